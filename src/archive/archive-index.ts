import type { Readable } from 'node:stream';
import type { ArchiveError } from './errors.ts';
import { splitGroupResource, type ParsedEntryPath } from './layout.ts';
import type { ArchiveLimits } from './limits.ts';
import { readBackupArchive } from './reader.ts';

/** Item names of one directory level: `cluster/` and `namespaces/<ns>/`. */
export interface ItemCatalogue {
  cluster: string[];
  /** Namespace → item names, in archive order. */
  namespaces: Map<string, string[]>;
}

/** What one `resources/<gr>/` folder holds. */
export interface ResourceFolderIndex {
  groupResource: string;
  group: string;
  resource: string;
  /**
   * Items at the legacy paths (no version directory). This is the catalogue Velero's restore
   * works from (§2.4 "Restore-side parsing").
   */
  items: ItemCatalogue;
  /** Version directory → its items. Keys are plain versions (`v1`), without the suffix. */
  versions: Map<string, ItemCatalogue>;
  /** The version whose directory carries `-preferredversion`: the source cluster's preferred one (§2.4). */
  preferredVersion: string | undefined;
}

export interface ArchiveIndex {
  /** Content of `metadata/version`, trimmed; undefined when the marker is missing. */
  formatVersion: string | undefined;
  /** Keyed by group-resource folder name, in order of first appearance. */
  resources: Map<string, ResourceFolderIndex>;
  /** Items whose content could not be used; the restore reports each as a warning. */
  itemErrors: ArchiveError[];
  /** Entries skipped and why. */
  notes: string[];
}

function emptyCatalogue(): ItemCatalogue {
  return { cluster: [], namespaces: new Map() };
}

function addToCatalogue(catalogue: ItemCatalogue, parsed: ParsedEntryPath): void {
  if (parsed.namespace === undefined) {
    catalogue.cluster.push(parsed.name);
    return;
  }
  const names = catalogue.namespaces.get(parsed.namespace);
  if (names) names.push(parsed.name);
  else catalogue.namespaces.set(parsed.namespace, [parsed.name]);
}

function folderFor(index: ArchiveIndex, gr: string): ResourceFolderIndex {
  let folder = index.resources.get(gr);
  if (!folder) {
    folder = {
      groupResource: gr,
      ...splitGroupResource(gr),
      items: emptyCatalogue(),
      versions: new Map(),
      preferredVersion: undefined,
    };
    index.resources.set(gr, folder);
  }
  return folder;
}

function addItem(index: ArchiveIndex, parsed: ParsedEntryPath): void {
  const folder = folderFor(index, parsed.groupResource);
  if (parsed.version === undefined) {
    addToCatalogue(folder.items, parsed);
    return;
  }
  let catalogue = folder.versions.get(parsed.version);
  if (!catalogue) {
    catalogue = emptyCatalogue();
    folder.versions.set(parsed.version, catalogue);
  }
  addToCatalogue(catalogue, parsed);
  if (!parsed.preferred || folder.preferredVersion === parsed.version) return;
  if (folder.preferredVersion === undefined) folder.preferredVersion = parsed.version;
  else index.notes.push(`${parsed.groupResource}: more than one preferred version; keeping ${folder.preferredVersion}`);
}

/**
 * Reads a whole tarball once and returns its catalogue: per resource folder the versions
 * present, the preferred one, and the item names per namespace / cluster. Item bodies are not
 * kept. Throws the same `ArchiveError`s as `readBackupArchive`.
 */
export async function indexBackupArchive(source: Readable, limits?: Partial<ArchiveLimits>): Promise<ArchiveIndex> {
  const index: ArchiveIndex = { formatVersion: undefined, resources: new Map(), itemErrors: [], notes: [] };
  for await (const record of readBackupArchive(source, limits)) {
    switch (record.kind) {
      case 'item':
        addItem(index, record.parsed);
        break;
      case 'item-error':
        // Still listed, so the restore can name the item in its warning.
        addItem(index, record.parsed);
        index.itemErrors.push(record.error);
        break;
      case 'metadata':
        index.formatVersion = record.data.toString('utf8').trim();
        break;
      case 'note':
        index.notes.push(`${record.path}: ${record.message}`);
        break;
    }
  }
  return index;
}
