import type { ObjectHead } from '../../kube/object.ts';

/**
 * The `<name>-resource-list.json.gz` map: `"<apiVersion>/<Kind>"` → sorted `ns/name`
 * or `name` (reference §1.14).
 */
export class ResourceListBuilder {
  /** Names per kind and namespace ('' for cluster-scoped): `ns/name` strings are only built at the end. */
  private readonly map = new Map<string, Map<string, string[]>>();

  add(item: ObjectHead): void {
    const key = `${item.apiVersion}/${item.kind}`;
    const ns = item.metadata.namespace ?? '';
    let byNamespace = this.map.get(key);
    if (!byNamespace) {
      byNamespace = new Map();
      this.map.set(key, byNamespace);
    }
    const names = byNamespace.get(ns);
    if (names) names.push(item.metadata.name ?? '');
    else byNamespace.set(ns, [item.metadata.name ?? '']);
  }

  /**
   * The map's compact JSON in pieces, one namespace's names at a time: a backup of many objects
   * never holds the whole list as one string, nor a kind's `ns/name` strings at once (building
   * and sorting those for 100,000 ConfigMaps took ~20 MiB, at the backup's peak).
   */
  *jsonPieces(): Generator<string> {
    yield '{';
    let first = true;
    for (const key of [...this.map.keys()].sort()) {
      yield `${first ? '' : ','}${JSON.stringify(key)}:[`;
      first = false;
      let written = false;
      for (const [ns, names] of inEntryOrder(this.map.get(key) ?? new Map<string, string[]>())) {
        for (let i = 0; i < names.length; i += PIECE_ENTRIES) {
          const entries = names.slice(i, i + PIECE_ENTRIES).map((name) => (ns ? `${ns}/${name}` : name));
          yield `${written ? ',' : ''}${JSON.stringify(entries).slice(1, -1)}`;
          written = true;
        }
      }
      yield ']';
    }
    yield '}';
  }
}

/**
 * A kind's namespaces with their names sorted, in the order that sorting every `ns/name` entry
 * gives: entries of two namespaces first differ within the namespaces or at the '/' that ends
 * the shorter, so namespaces sort as `ns + '/'` ("a-b/x" before "a/x"), and names within one.
 * A kind with both cluster-scoped and namespaced entries (not seen in practice) is sorted whole.
 */
function inEntryOrder(byNamespace: Map<string, string[]>): [string, string[]][] {
  if (byNamespace.has('') && byNamespace.size > 1) {
    const all = [...byNamespace].flatMap(([ns, names]) => names.map((name) => (ns ? `${ns}/${name}` : name)));
    return [['', all.sort()]];
  }
  const sortKey = (ns: string): string => `${ns}/`;
  return [...byNamespace]
    .sort(([a], [b]) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0))
    .map(([ns, names]) => [ns, names.sort()]);
}

const PIECE_ENTRIES = 1000;
