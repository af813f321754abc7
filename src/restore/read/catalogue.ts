import { isRecord, type KubeObject } from '../../kube/object.ts';
import { cloneJson } from '../../util/json.ts';

/** One item of the backup as the restore sees it: where it came from and how to read it. */
export interface CatalogueEntry {
  /** Folder name under `resources/`: `pods`, `deployments.apps` (reference §2.4). */
  readonly groupResource: string;
  readonly group: string;
  readonly resource: string;
  /** Source namespace; undefined for cluster-scoped items. */
  readonly namespace?: string;
  /** Item name, from the file name. */
  readonly name: string;
  /** The backed-up object's apiVersion: enough to choose its target type without reading its body. */
  readonly apiVersion: string;
  /** Opaque handle for `ItemCatalogue.read`. */
  readonly ref: number;
}

/** A per-item problem found while reading the tarball; the restore reports it as a warning. */
export interface CatalogueIssue {
  readonly path: string;
  readonly groupResource?: string;
  readonly namespace?: string;
  readonly message: string;
}

/**
 * The items of a backup, grouped by group-resource, each group sorted by namespace then name
 * (Velero walks directories in listing order, reference §4.2). Item bodies are read on demand,
 * and entries are made as they are iterated: a catalogue need not hold an object per item.
 */
export interface ItemCatalogue {
  readonly formatVersion: string | undefined;
  /** The group-resource folders that hold items. */
  readonly groupResources: readonly string[];
  /** How many items a group-resource holds. */
  count(groupResource: string): number;
  /** A group-resource's items, sorted by namespace then name. */
  entries(groupResource: string): Iterable<CatalogueEntry>;
  readonly issues: readonly CatalogueIssue[];
  readonly notes: readonly string[];
  read(entry: CatalogueEntry): Promise<KubeObject>;
  dispose(): Promise<void>;
}

/** Why an item's JSON cannot be restored, or null when it looks like a Kubernetes object. */
export function invalidObjectReason(value: Record<string, unknown>): string | null {
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '') return 'has no apiVersion';
  if (typeof value.kind !== 'string' || value.kind === '') return 'has no kind';
  if (!isRecord(value.metadata)) return 'has no metadata';
  if (typeof value.metadata.name !== 'string' || value.metadata.name === '') return 'has no metadata.name';
  return null;
}

export function compareEntries(a: CatalogueEntry, b: CatalogueEntry): number {
  const ns = (a.namespace ?? '').localeCompare(b.namespace ?? '');
  return ns !== 0 ? ns : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export interface MemoryItem {
  groupResource: string;
  namespace?: string;
  object: KubeObject;
}

/**
 * A catalogue over objects already in memory: for unit tests and small restores. Objects
 * are cloned on read so the planner may mutate what it gets.
 */
export function memoryCatalogue(items: readonly MemoryItem[], issues: CatalogueIssue[] = []): ItemCatalogue {
  const bodies: KubeObject[] = [];
  const resources = new Map<string, CatalogueEntry[]>();
  for (const item of items) {
    const dot = item.groupResource.indexOf('.');
    const entry: CatalogueEntry = {
      groupResource: item.groupResource,
      resource: dot < 0 ? item.groupResource : item.groupResource.slice(0, dot),
      group: dot < 0 ? '' : item.groupResource.slice(dot + 1),
      ...(item.namespace !== undefined ? { namespace: item.namespace } : {}),
      name: item.object.metadata.name ?? '',
      apiVersion: item.object.apiVersion,
      ref: bodies.length,
    };
    bodies.push(item.object);
    const list = resources.get(entry.groupResource) ?? [];
    list.push(entry);
    resources.set(entry.groupResource, list);
  }
  for (const list of resources.values()) list.sort(compareEntries);
  return {
    formatVersion: '1.1.0',
    groupResources: [...resources.keys()],
    count: (gr) => resources.get(gr)?.length ?? 0,
    entries: (gr) => resources.get(gr) ?? [],
    issues,
    notes: [],
    read: (entry) => Promise.resolve(cloneJson(bodies[entry.ref] as KubeObject)),
    dispose: () => Promise.resolve(),
  };
}
