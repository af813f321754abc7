import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { readBackupArchive, type ArchiveLimits, type ParsedEntryPath } from '../../archive/index.ts';
import type { KubeObject } from '../../kube/object.ts';
import { parseJsonLossless } from '../../util/json.ts';
import {
  compareEntries,
  invalidObjectReason,
  type CatalogueEntry,
  type CatalogueIssue,
  type ItemCatalogue,
} from './catalogue.ts';

export interface ReadBackupOptions {
  limits?: Partial<ArchiveLimits>;
  /** Parent of the spool directory; the OS temp dir by default. */
  tempDir?: string;
}

/** Where one item's bytes sit in the spool file. */
interface SpoolSlot {
  offset: number;
  length: number;
}

/** Which copy of an item we hold: the legacy path wins over the preferred-version copy (§2.4). */
type Copy = 'legacy' | 'preferred';

interface Held {
  entry: CatalogueEntry;
  copy: Copy;
}

/**
 * Reads a backup tarball into a catalogue.
 *
 * Memory: item bodies are appended to ONE spool file in a private temp directory, and only a
 * small index (names, offsets) stays in memory, so a backup of hundreds of thousands of items
 * costs a few tens of MB of index, not its full JSON. The spool file's name is ours
 * (`items.spool`); nothing derived from a tar path ever reaches the file system, so a
 * hostile entry name cannot write outside that directory. The hardened reader rejects
 * traversal, links, devices and bombs as a fatal `ArchiveError`, which we let through.
 *
 * Version choice, as Velero without EnableAPIGroupVersions (reference §2.4 "Restore-side
 * parsing"): the legacy, unversioned copy is restored; a `<v>-preferredversion/` copy is used
 * only when its legacy twin is missing; other version folders are ignored.
 */
export async function readBackupCatalogue(source: Readable, opts: ReadBackupOptions = {}): Promise<ItemCatalogue> {
  const dir = await mkdtemp(join(opts.tempDir ?? tmpdir(), 'skiff-restore-'));
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
  const slots: SpoolSlot[] = [];
  const held = new Map<string, Held>();
  const issues = new Map<string, CatalogueIssue>();
  const notes: string[] = [];
  const ignoredVersions = new Set<string>();
  let formatVersion: string | undefined;
  let offset = 0;
  for await (const record of readBackupArchive(source, opts.limits)) {
    if (record.kind === 'metadata') {
      formatVersion = record.data.toString('utf8').trim();
      continue;
    }
    if (record.kind === 'note') {
      notes.push(`${record.path}: ${record.message}`);
      continue;
    }
    const copy = copyOf(record.parsed);
    if (copy === undefined) {
      if (!ignoredVersions.has(record.parsed.groupResource)) notes.push(versionNote(record.parsed));
      ignoredVersions.add(record.parsed.groupResource);
      continue;
    }
    const key = itemKey(record.parsed);
    const previous = held.get(key);
    if (previous?.copy === 'legacy' || (previous && copy === 'preferred')) continue;
    const problem = record.kind === 'item-error' ? record.error.message : objectProblem(record.path, record.object);
    if (problem !== null) {
      issues.set(key, issueFor(record.path, record.parsed, problem));
      held.delete(key);
      continue;
    }
    issues.delete(key);
    await spool.write(record.data, 0, record.data.length, offset);
    slots.push({ offset, length: record.data.length });
    offset += record.data.length;
    held.set(key, { entry: entryFor(record.parsed, slots.length - 1), copy });
  }
  return spooledCatalogue({ formatVersion, held, issues: [...issues.values()], notes, slots, spool, dispose });
}

function copyOf(parsed: ParsedEntryPath): Copy | undefined {
  if (parsed.version === undefined) return 'legacy';
  return parsed.preferred ? 'preferred' : undefined;
}

function versionNote(parsed: ParsedEntryPath): string {
  return `${parsed.groupResource}: non-preferred version folders are ignored (EnableAPIGroupVersions is not supported on restore)`;
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

function entryFor(parsed: ParsedEntryPath, ref: number): CatalogueEntry {
  return {
    groupResource: parsed.groupResource,
    group: parsed.group,
    resource: parsed.resource,
    ...(parsed.namespace !== undefined ? { namespace: parsed.namespace } : {}),
    name: parsed.name,
    ref,
  };
}

interface SpooledParts {
  formatVersion: string | undefined;
  held: Map<string, Held>;
  issues: CatalogueIssue[];
  notes: string[];
  slots: SpoolSlot[];
  spool: FileHandle;
  dispose: () => Promise<void>;
}

function spooledCatalogue(parts: SpooledParts): ItemCatalogue {
  const resources = new Map<string, CatalogueEntry[]>();
  for (const { entry } of parts.held.values()) {
    const list = resources.get(entry.groupResource) ?? [];
    list.push(entry);
    resources.set(entry.groupResource, list);
  }
  for (const list of resources.values()) list.sort(compareEntries);
  parts.held.clear();
  return {
    formatVersion: parts.formatVersion,
    resources,
    issues: parts.issues,
    notes: parts.notes,
    async read(entry: CatalogueEntry): Promise<KubeObject> {
      const slot = parts.slots[entry.ref];
      if (!slot) throw new Error(`catalogue entry ${entry.groupResource}/${entry.name} has no spooled body`);
      const buf = Buffer.alloc(slot.length);
      await parts.spool.read(buf, 0, slot.length, slot.offset);
      // Validated when spooled (invalidObjectReason), so the shape holds.
      return parseJsonLossless(buf.toString('utf8')) as KubeObject;
    },
    dispose: parts.dispose,
  };
}
