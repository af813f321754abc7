import { readSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { makeScratchDir } from '../../util/scratch-dir.ts';
import type { Readable } from 'node:stream';
import { readBackupArchive, type ArchiveLimits, type ParsedEntryPath } from '../../archive/index.ts';
import type { KubeObject } from '../../kube/object.ts';
import { parseJsonLossless } from '../../util/json.ts';
import { ItemIndex, type SpoolSlot } from './item-index.ts';
import { SpoolWriter } from './spool-writer.ts';
import { invalidObjectReason, type CatalogueEntry, type CatalogueIssue, type ItemCatalogue } from './catalogue.ts';
import { legacyCopyChooser, type CopyChooser } from './version-choice.ts';

export interface ReadBackupOptions {
  limits?: Partial<ArchiveLimits>;
  /** Parent of the spool directory; the OS temp dir by default. */
  tempDir?: string;
  /** Which copy of an item is restored; Velero's choice without EnableAPIGroupVersions by default. */
  copies?: CopyChooser;
}

/**
 * Reads a backup tarball into a catalogue.
 *
 * Memory: item bodies are appended to ONE spool file in a private temp directory, and only a
 * compact index (`ItemIndex`: names, interned strings and offsets in columns) stays in memory,
 * so a backup of 200,000 items costs about 15 MB of index, not its full JSON. The spool file's name is ours
 * (`items.spool`); nothing derived from a tar path ever reaches the file system, so a
 * hostile entry name cannot write outside that directory. The hardened reader rejects
 * traversal, links, devices and bombs as a fatal `ArchiveError`, which we let through.
 *
 * Version choice (reference §2.4 "Restore-side parsing"): `opts.copies` ranks each copy of an
 * item (version-choice.ts). By default, as Velero without EnableAPIGroupVersions: the legacy,
 * unversioned copy is restored; a `<v>-preferredversion/` copy is used only when its legacy twin
 * is missing; other version folders are ignored.
 */
export async function readBackupCatalogue(source: Readable, opts: ReadBackupOptions = {}): Promise<ItemCatalogue> {
  const dir = await makeScratchDir('restore', opts.tempDir);
  const spool = await open(join(dir, 'items.spool'), 'w+', 0o600);
  const dispose = async (): Promise<void> => {
    await spool.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    return await readInto(source, spool, opts, dispose);
  } catch (err) {
    await dispose();
    throw err;
  }
}

async function readInto(
  source: Readable,
  spool: FileHandle,
  opts: ReadBackupOptions,
  dispose: () => Promise<void>,
): Promise<ItemCatalogue> {
  const index = new ItemIndex();
  const issues = new Map<string, CatalogueIssue>();
  const notes: string[] = [];
  const copies = opts.copies ?? legacyCopyChooser();
  let formatVersion: string | undefined;
  const writer = new SpoolWriter(spool);
  // A copy in a version folder is ranked from its path alone; one that cannot beat the copy
  // already held (the preferred-version twin of a legacy copy) is skipped before it is parsed.
  const wanted = (parsed: ParsedEntryPath): boolean => {
    if (parsed.version === undefined) return true;
    const rank = copies.rank(parsed, undefined);
    const previous = index.heldCopy(parsed);
    return rank !== undefined && !(previous && previous.rank <= rank);
  };
  for await (const record of readBackupArchive(source, opts.limits, { wanted })) {
    if (record.kind === 'metadata') {
      formatVersion = record.data.toString('utf8').trim();
      continue;
    }
    if (record.kind === 'note') {
      notes.push(`${record.path}: ${record.message}`);
      continue;
    }
    const rank = copies.rank(record.parsed, record.kind === 'item' ? apiVersionOf(record.object) : undefined);
    if (rank === undefined) continue;
    const previous = index.heldCopy(record.parsed);
    if (previous && previous.rank <= rank) continue;
    const problem = record.kind === 'item-error' ? record.error.message : objectProblem(record.path, record.object);
    if (problem !== null) {
      issues.set(itemKey(record.parsed), issueFor(record.path, record.parsed, problem));
      index.forget(record.parsed);
      continue;
    }
    if (issues.size > 0) issues.delete(itemKey(record.parsed));
    const slot = await writer.append(record.data);
    // Validated by objectProblem: apiVersion is a non-empty string.
    const apiVersion = record.kind === 'item' ? String(record.object.apiVersion) : '';
    index.hold(record.parsed, apiVersion, slot, rank, previous?.row);
  }
  await writer.finish();
  notes.push(...copies.notes());
  index.finish();
  return spooledCatalogue({ formatVersion, index, issues: [...issues.values()], notes, spool, dispose });
}

function apiVersionOf(object: Record<string, unknown>): string | undefined {
  return typeof object.apiVersion === 'string' ? object.apiVersion : undefined;
}

function itemKey(parsed: ParsedEntryPath): string {
  return `${parsed.groupResource}\u0000${parsed.namespace ?? ''}\u0000${parsed.name}`;
}

function objectProblem(path: string, object: Record<string, unknown>): string | null {
  const reason = invalidObjectReason(object);
  return reason === null ? null : `item ${JSON.stringify(path)} is not a Kubernetes object: it ${reason}`;
}

function issueFor(path: string, parsed: ParsedEntryPath, message: string): CatalogueIssue {
  return {
    path,
    groupResource: parsed.groupResource,
    ...(parsed.namespace !== undefined ? { namespace: parsed.namespace } : {}),
    message,
  };
}

interface SpooledParts {
  formatVersion: string | undefined;
  index: ItemIndex;
  issues: CatalogueIssue[];
  notes: string[];
  spool: FileHandle;
  dispose: () => Promise<void>;
}

function spooledCatalogue(parts: SpooledParts): ItemCatalogue {
  const { index } = parts;
  const spool = new SpoolReader(parts.spool.fd);
  return {
    formatVersion: parts.formatVersion,
    groupResources: index.groups(),
    count: (gr) => index.count(gr),
    entries: (gr) => index.entries(gr),
    issues: parts.issues,
    notes: parts.notes,
    read(entry: CatalogueEntry): Promise<KubeObject> {
      try {
        return Promise.resolve(readSpooled(spool, index, entry));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    dispose: parts.dispose,
  };
}

/** Bytes read at once when the planner walks the spool in the order it was written. */
const READ_AHEAD_BYTES = 64 * 1024;

/**
 * Reads item bodies from the spool file, synchronously: the spool was written moments ago and
 * sits in the page cache, so a read is a copy of a few KiB. Through the thread pool each read
 * cost several times its copy in CPU (measured: 20-30 µs against 4), taken from the API server
 * on a small machine. The planner reads a type's items sorted by namespace and name, which for
 * a backup of LIST pages is mostly the order they were spooled in: a read that starts where
 * the last one ended fetches READ_AHEAD_BYTES at once, so the next items come from memory
 * instead of a system call each; any other read fetches just its item.
 */
class SpoolReader {
  private block = Buffer.alloc(0);
  /** File offset of `block[0]`. */
  private blockStart = 0;
  /** Where the last item read ended. */
  private lastEnd = -1;

  constructor(private readonly fd: number) {}

  /** The slot's bytes as text; undefined when the file ends inside it. */
  text(slot: SpoolSlot): string | undefined {
    const end = slot.offset + slot.length;
    const sequential = slot.offset === this.lastEnd;
    this.lastEnd = end;
    if (slot.offset < this.blockStart || end > this.blockStart + this.block.length) {
      const size = sequential ? Math.max(READ_AHEAD_BYTES, slot.length) : slot.length;
      // A fresh buffer each time: the last block's bytes may still back a string being parsed.
      const buf = Buffer.allocUnsafe(size);
      const got = readSync(this.fd, buf, 0, size, slot.offset);
      this.block = buf.subarray(0, got);
      this.blockStart = slot.offset;
      if (got < slot.length) return undefined;
    }
    const from = slot.offset - this.blockStart;
    return this.block.toString('utf8', from, from + slot.length);
  }
}

function readSpooled(spool: SpoolReader, index: ItemIndex, entry: CatalogueEntry): KubeObject {
  const slot = index.slot(entry.ref);
  if (!slot) throw new Error(`catalogue entry ${entry.groupResource}/${entry.name} has no spooled body`);
  const text = spool.text(slot);
  if (text === undefined) throw new Error(`the restore's spool file ends inside ${entry.groupResource}/${entry.name}`);
  // Validated when spooled (invalidObjectReason), so the shape holds.
  return parseJsonLossless(text) as KubeObject;
}
