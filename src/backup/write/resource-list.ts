import type { KubeObject } from '../../kube/object.ts';

/**
 * The `<name>-resource-list.json.gz` map: `"<apiVersion>/<Kind>"` → sorted `ns/name`
 * or `name` (reference §1.14).
 */
export class ResourceListBuilder {
  /** Names per kind and namespace ('' for cluster-scoped): `ns/name` strings are only built at the end. */
  private readonly map = new Map<string, Map<string, string[]>>();

  add(item: KubeObject): void {
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

  toJSON(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const key of [...this.map.keys()].sort()) {
      const entries: string[] = [];
      for (const [ns, names] of this.map.get(key) ?? []) {
        for (const name of names) entries.push(ns ? `${ns}/${name}` : name);
      }
      out[key] = entries.sort();
    }
    return out;
  }
}
