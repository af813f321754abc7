/**
 * Printing: tables in kubectl's style, objects as JSON or YAML, times as Velero shows
 * them, and progress (a bar on a terminal, plain lines in logs and pipes).
 */
import cliProgress from 'cli-progress';
import { stringify } from 'yaml';
import type { KubeObject } from '../kube/object.ts';
import { FlagError } from './errors.ts';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Checks `-o`; `allowed` narrows the choice for commands that have no table. */
export function parseOutputFormat<F extends OutputFormat = OutputFormat>(
  value: string | undefined,
  allowed: readonly F[] = OUTPUT_FORMATS as readonly OutputFormat[] as readonly F[],
): F | undefined {
  if (value === undefined || value === '') return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as F;
  throw new FlagError([`invalid output format "${value}": use one of ${allowed.join(', ')}`]);
}

/**
 * Columns separated by three spaces, as kubectl's and Velero's tabwriter pads them.
 * Trailing spaces are trimmed so the output diffs cleanly.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** One object as itself; several as a `v1 List`, which is what Velero prints and kubectl accepts. */
export function formatObjects(objects: readonly KubeObject[], format: 'json' | 'yaml', forceList = false): string {
  const doc: unknown =
    objects.length === 1 && !forceList ? objects[0] : { apiVersion: 'v1', kind: 'List', items: objects };
  // No anchors and aliases for objects that share a value: plain YAML, as kubectl and Velero print it.
  return format === 'json' ? JSON.stringify(doc, null, 2) + '\n' : stringify(doc, { aliasDuplicateObjects: false });
}

/** `2025-01-31 14:05:09 +0000 UTC`: Go's default time format, in UTC, as Velero prints timestamps. */
export function formatTimestamp(value: string | null | undefined): string {
  if (!value) return '<n/a>';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

/**
 * A short, rounded duration ("45s", "3m20s", "5h", "29d", "2y30d") with the thresholds of
 * Kubernetes' `duration.HumanDuration`, the format of kubectl's AGE column.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return withRemainder(minutes, 'm', seconds % 60, 's');
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return withRemainder(hours, 'h', minutes % 60, 'm');
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return withRemainder(days, 'd', hours % 24, 'h');
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return withRemainder(years, 'y', days % 365, 'd');
  return `${years}y`;
}

function withRemainder(n: number, unit: string, rest: number, restUnit: string): string {
  return rest === 0 ? `${n}${unit}` : `${n}${unit}${rest}${restUnit}`;
}

/** Time until `value` ("29d"), or since it ("3h ago") when it has passed; `n/a` when unset. */
export function formatRelative(value: string | null | undefined, now: Date): string {
  if (!value) return 'n/a';
  const delta = new Date(value).getTime() - now.getTime();
  if (Number.isNaN(delta)) return value;
  return delta >= 0 ? humanDuration(delta) : `${humanDuration(-delta)} ago`;
}

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/**
 * A bar on a terminal; elsewhere (CI logs, pipes) one plain line per change,
 * `Backup b1: 120/500 items`, so logs stay readable.
 */
export function createProgress(label: string, out: NodeJS.WriteStream = process.stdout): Progress {
  if (out.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} items`, stream: out, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        if (!started) bar.start(total, done);
        else bar.setTotal(total);
        started = true;
        bar.update(done);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = '';
  return {
    update(done, total) {
      const line = `${label}: ${done}/${total} items`;
      if (line !== last) out.write(line + '\n');
      last = line;
    },
    stop() {
      // Plain lines need no cleanup.
    },
  };
}
