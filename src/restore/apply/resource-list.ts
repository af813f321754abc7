import { createReadStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeScratchDir } from '../../util/scratch-dir.ts';
import { createInterface } from 'node:readline';

/** How an item ended, as the restore resource list spells it (reference §1.14, §4.4). */
export const ItemAction = {
  Created: 'created',
  Updated: 'updated',
  Failed: 'failed',
  Skipped: 'skipped',
} as const;
export type ItemAction = (typeof ItemAction)[keyof typeof ItemAction];

/** One line of the list: `"<apiVersion>/<Kind>"` and `ns/name(action)`. */
type Line = readonly [key: string, entry: string];

/** Entries kept in memory before a sorted run of them is written to a temp file. */
const DEFAULT_RUN_SIZE = 16_384;

function compareLines(a: Line, b: Line): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/**
 * The `restore-<name>-resource-list.json.gz` map: `"<apiVersion>/<Kind>"` → sorted
 * `ns/name(action)` or `name(action)` (reference §1.14).
 *
 * Memory does not grow with the restore: entries are held until `runSize` of them are
 * there, then written, sorted, to a run file in a private temp directory; the JSON is a
 * merge of the runs, produced piece by piece (`jsonPieces`). A small restore never
 * touches the disk. `dispose` removes the temp directory.
 */
export class RestoreResourceList {
  readonly counts: Record<ItemAction, number> = { created: 0, updated: 0, failed: 0, skipped: 0 };
  private buffer: Line[] = [];
  private readonly runs: string[] = [];
  private dir: Promise<string> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(private readonly opts: { tempDir?: string | undefined; runSize?: number } = {}) {}

  add(
    item: { apiVersion: string; kind: string; namespace?: string | undefined; name: string },
    action: ItemAction,
  ): void {
    const key = `${item.apiVersion}/${item.kind}`;
    const entry = `${item.namespace ? `${item.namespace}/` : ''}${item.name}(${action})`;
    this.buffer.push([key, entry]);
    this.counts[action]++;
    if (this.buffer.length >= (this.opts.runSize ?? DEFAULT_RUN_SIZE)) this.spill();
  }

  /** Writes the buffered entries as a sorted run; runs are written one after the other. */
  private spill(): void {
    const batch = this.buffer.sort(compareLines);
    this.buffer = [];
    this.writing = this.writing.then(async () => {
      try {
        this.dir ??= makeScratchDir('resource-list', this.opts.tempDir);
        const file = join(await this.dir, `run-${this.runs.length}.jsonl`);
        await writeFile(file, batch.map((l) => `${JSON.stringify(l)}\n`).join(''), { mode: 0o600 });
        this.runs.push(file);
      } catch (err) {
        this.failure ??= err instanceof Error ? err : new Error(String(err));
      }
    });
  }

  /** Every entry in order: a merge of the runs and the buffer, one line of each source held at a time. */
  private async *merged(): AsyncGenerator<Line> {
    await this.writing;
    if (this.failure !== undefined) throw this.failure;
    const sources: AsyncIterator<Line>[] = [
      ...this.runs.map((file) => readRun(file)),
      toAsync([...this.buffer].sort(compareLines)),
    ];
    const next = async (s: AsyncIterator<Line> | undefined): Promise<Line | undefined> => {
      const res = await s?.next();
      return res && !res.done ? res.value : undefined;
    };
    const heads: (Line | undefined)[] = [];
    for (const s of sources) heads.push(await next(s));
    for (;;) {
      let min = -1;
      heads.forEach((h, i) => {
        const m = heads[min];
        if (h !== undefined && (m === undefined || compareLines(h, m) < 0)) min = i;
      });
      const head = heads[min];
      if (head === undefined) return;
      yield head;
      heads[min] = await next(sources[min]);
    }
  }

  /** The list's compact JSON, in pieces (the same text as `JSON.stringify(toJSON())`). */
  async *jsonPieces(): AsyncGenerator<string> {
    yield '{';
    let key: string | undefined;
    for await (const [k, entry] of this.merged()) {
      if (k !== key) {
        yield `${key === undefined ? '' : '],'}${JSON.stringify(k)}:[${JSON.stringify(entry)}`;
        key = k;
      } else {
        yield `,${JSON.stringify(entry)}`;
      }
    }
    yield key === undefined ? '}' : ']}';
  }

  /** The whole map in memory: for tests and small lists. */
  async toJSON(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for await (const [key, entry] of this.merged()) (out[key] ??= []).push(entry);
    return out;
  }

  async dispose(): Promise<void> {
    await this.writing;
    this.buffer = [];
    if (this.dir) await rm(await this.dir, { recursive: true, force: true });
  }
}

function toAsync(lines: readonly Line[]): AsyncIterator<Line> {
  let i = 0;
  return {
    next: () => Promise.resolve(i < lines.length ? { value: lines[i++] as Line } : { done: true, value: undefined }),
  };
}

async function* readRun(file: string): AsyncGenerator<Line> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) if (line !== '') yield JSON.parse(line) as Line;
}
