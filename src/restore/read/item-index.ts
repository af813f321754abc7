import type { ParsedEntryPath } from '../../archive/index.ts';
import type { CatalogueEntry } from './catalogue.ts';

/** Where one item's bytes sit in the spool file. */
export interface SpoolSlot {
  offset: number;
  length: number;
}

type NumberArray = Uint8Array | Uint32Array | Float64Array;

/** A growable column of numbers: one slot per item, no JS object or heap number per item. */
class Column {
  private data: NumberArray;

  constructor(private readonly make: (n: number) => NumberArray) {
    this.data = make(1024);
  }

  get(i: number): number {
    return this.data[i] ?? 0;
  }

  set(i: number, value: number): void {
    if (i >= this.data.length) {
      const bigger = this.make(Math.max(this.data.length * 2, i + 1));
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[i] = value;
  }
}

/** Each distinct string once (namespaces, group-resources, apiVersions repeat across items). */
class Interner {
  private readonly ids = new Map<string, number>();
  readonly values: string[] = [];

  id(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.push(value) - 1;
      this.ids.set(value, id);
    }
    return id;
  }

  value(id: number): string {
    return this.values[id] ?? '';
  }
}

/**
 * A string that owns its characters. V8 may keep a substring as a view of its parent (here
 * the whole tar path), which would keep every path alive for as long as the index lives.
 */
function ownString(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}

/** Cluster-scoped items have this namespace id (no real namespace is called ""). */
const CLUSTER = '';

/**
 * The catalogue's index of a backup's items, as parallel columns: per item an interned
 * group-resource, namespace and apiVersion, its name, the spool slot of its body and which
 * copy (reference §2.4) it came from. About 60 bytes per item plus its name, where an object
 * per item cost several times that; 200,000 items fit in about 15 MB.
 *
 * While reading, `held` finds the row of an item already seen (the legacy and the
 * preferred-version copy of one item share a row); `finish` drops it and sorts each group.
 */
export class ItemIndex {
  private readonly groupResources = new Interner();
  private readonly groupParts: { group: string; resource: string }[] = [];
  private readonly namespaces = new Interner();
  private readonly apiVersions = new Interner();
  private readonly names: string[] = [];
  private readonly gr = new Column((n) => new Uint32Array(n));
  private readonly ns = new Column((n) => new Uint32Array(n));
  private readonly api = new Column((n) => new Uint32Array(n));
  /** The held copy's rank from the reader's CopyChooser (lower wins). */
  private readonly rank = new Column((n) => new Uint32Array(n));
  private readonly offset = new Column((n) => new Float64Array(n));
  private readonly length = new Column((n) => new Uint32Array(n));
  /** group-resource id → namespace id → name → row; only while reading. */
  private held: Map<number, Map<number, Map<string, number>>> | undefined = new Map();
  /** Per group-resource id, its rows sorted by namespace then name; set by `finish`. */
  private order: Uint32Array[] = [];

  constructor() {
    this.namespaces.id(CLUSTER);
  }

  private rowsOf(parsed: ParsedEntryPath, create: boolean): Map<string, number> | undefined {
    if (!this.held) throw new Error('the item index is finished');
    const grId = this.groupResources.id(parsed.groupResource);
    this.groupParts[grId] ??= { group: parsed.group, resource: parsed.resource };
    const nsId = this.namespaces.id(parsed.namespace ?? CLUSTER);
    let byNs = this.held.get(grId);
    if (!byNs) {
      if (!create) return undefined;
      byNs = new Map();
      this.held.set(grId, byNs);
    }
    let rows = byNs.get(nsId);
    if (!rows && create) {
      rows = new Map();
      byNs.set(nsId, rows);
    }
    return rows;
  }

  /** The item's row and the rank of its held copy, when one of its copies is held. */
  heldCopy(parsed: ParsedEntryPath): { row: number; rank: number } | undefined {
    const row = this.rowsOf(parsed, false)?.get(parsed.name);
    return row === undefined ? undefined : { row, rank: this.rank.get(row) };
  }

  /** Holds this copy of the item (in `row`, replacing the copy held there, or in a new row). */
  hold(parsed: ParsedEntryPath, apiVersion: string, slot: SpoolSlot, rank: number, row?: number): void {
    const rows = this.rowsOf(parsed, true);
    const r = row ?? this.names.length;
    if (row === undefined) {
      const name = ownString(parsed.name);
      this.names.push(name);
      rows?.set(name, r);
    }
    this.gr.set(r, this.groupResources.id(parsed.groupResource));
    this.ns.set(r, this.namespaces.id(parsed.namespace ?? CLUSTER));
    this.api.set(r, this.apiVersions.id(apiVersion));
    this.rank.set(r, rank);
    this.offset.set(r, slot.offset);
    this.length.set(r, slot.length);
  }

  /** Drops the item (a bad copy replaces a good one, as the reader's rules say). */
  forget(parsed: ParsedEntryPath): void {
    this.rowsOf(parsed, false)?.delete(parsed.name);
  }

  /** Ends reading: each group's held rows, sorted by namespace (as `compareEntries`) then name. */
  finish(): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    const nsRank = new Uint32Array(this.namespaces.values.length);
    this.namespaces.values
      .map((value, id) => ({ value, id }))
      .sort((a, b) => a.value.localeCompare(b.value))
      .forEach(({ id }, rank) => (nsRank[id] = rank));
    const byName = (a: number, b: number): number => {
      const x = this.names[a] ?? '';
      const y = this.names[b] ?? '';
      return x < y ? -1 : x > y ? 1 : 0;
    };
    for (const [grId, byNs] of held) {
      let n = 0;
      for (const rows of byNs.values()) n += rows.size;
      const order = new Uint32Array(n);
      let i = 0;
      // Namespace by namespace in their order; a backup's LIST pages come sorted by name, so a
      // namespace's rows are mostly in order already and are sorted only when they are not.
      const nsIds = [...byNs.keys()].sort((a, b) => (nsRank[a] ?? 0) - (nsRank[b] ?? 0));
      for (const nsId of nsIds) {
        const from = i;
        let inOrder = true;
        let last: string | undefined;
        for (const [name, row] of byNs.get(nsId) ?? []) {
          if (last !== undefined && last > name) inOrder = false;
          last = name;
          order[i++] = row;
        }
        if (!inOrder) order.subarray(from, i).sort(byName);
      }
      this.order[grId] = order;
    }
  }

  /** Group-resources that hold at least one item. */
  groups(): string[] {
    return this.groupResources.values.filter((_, id) => (this.order[id]?.length ?? 0) > 0);
  }

  count(groupResource: string): number {
    return this.orderOf(groupResource).length;
  }

  /** Entries made on the way: only the caller's current ones are alive. */
  *entries(groupResource: string): Generator<CatalogueEntry> {
    for (const row of this.orderOf(groupResource)) yield this.entry(row);
  }

  slot(row: number): SpoolSlot | undefined {
    return row < this.names.length ? { offset: this.offset.get(row), length: this.length.get(row) } : undefined;
  }

  private orderOf(groupResource: string): Uint32Array {
    const id = this.groupResources.values.indexOf(groupResource);
    return (id < 0 ? undefined : this.order[id]) ?? new Uint32Array(0);
  }

  private entry(row: number): CatalogueEntry {
    const grId = this.gr.get(row);
    const ns = this.namespaces.value(this.ns.get(row));
    const parts = this.groupParts[grId] ?? { group: '', resource: '' };
    // Made twice per item (the plan's first pass and the plan): no spread of a temporary object.
    const entry: { -readonly [K in keyof CatalogueEntry]: CatalogueEntry[K] } = {
      groupResource: this.groupResources.value(grId),
      group: parts.group,
      resource: parts.resource,
      name: this.names[row] ?? '',
      apiVersion: this.apiVersions.value(this.api.get(row)),
      ref: row,
    };
    if (ns !== CLUSTER) entry.namespace = ns;
    return entry;
  }
}
