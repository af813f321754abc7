import type { KubeObject } from '../../kube/object.ts';

/**
 * The `<name>-resource-list.json.gz` map: `"<apiVersion>/<Kind>"` → sorted `ns/name`
 * or `name` (reference §1.14).
 */
export class ResourceListBuilder {
  private readonly map = new Map<string, string[]>();

  add(item: KubeObject): void {
    const key = `${item.apiVersion}/${item.kind}`;
    const ns = item.metadata.namespace;
    const entry = ns ? `${ns}/${item.metadata.name ?? ''}` : (item.metadata.name ?? '');
    const list = this.map.get(key);
    if (list) list.push(entry);
    else this.map.set(key, [entry]);
  }

  toJSON(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const key of [...this.map.keys()].sort()) out[key] = [...(this.map.get(key) ?? [])].sort();
    return out;
  }
}
