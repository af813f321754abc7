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
   * The map's compact JSON in pieces, one kind at a time: a backup of many objects never
   * holds the whole list as one string (nor every kind's `ns/name` strings at once), which
   * showed as peak memory growing with the number of objects.
   */
  *jsonPieces(): Generator<string> {
    yield '{';
    let first = true;
    for (const key of [...this.map.keys()].sort()) {
      const entries: string[] = [];
      for (const [ns, names] of this.map.get(key) ?? []) {
        for (const name of names) entries.push(ns ? `${ns}/${name}` : name);
      }
      entries.sort();
      yield `${first ? '' : ','}${JSON.stringify(key)}:[`;
      first = false;
      for (let i = 0; i < entries.length; i += PIECE_ENTRIES) {
        const piece = JSON.stringify(entries.slice(i, i + PIECE_ENTRIES));
        yield `${i > 0 ? ',' : ''}${piece.slice(1, -1)}`;
      }
      yield ']';
    }
    yield '}';
  }
}

const PIECE_ENTRIES = 1000;
