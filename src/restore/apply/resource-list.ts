/** How an item ended, as the restore resource list spells it (reference §1.14, §4.4). */
export const ItemAction = {
  Created: 'created',
  Updated: 'updated',
  Failed: 'failed',
  Skipped: 'skipped',
} as const;
export type ItemAction = (typeof ItemAction)[keyof typeof ItemAction];

/**
 * The `restore-<name>-resource-list.json.gz` map: `"<apiVersion>/<Kind>"` → sorted
 * `ns/name(action)` or `name(action)` (reference §1.14).
 */
export class RestoreResourceList {
  private readonly map = new Map<string, string[]>();
  readonly counts: Record<ItemAction, number> = { created: 0, updated: 0, failed: 0, skipped: 0 };

  add(
    item: { apiVersion: string; kind: string; namespace?: string | undefined; name: string },
    action: ItemAction,
  ): void {
    const key = `${item.apiVersion}/${item.kind}`;
    const entry = `${item.namespace ? `${item.namespace}/` : ''}${item.name}(${action})`;
    const list = this.map.get(key);
    if (list) list.push(entry);
    else this.map.set(key, [entry]);
    this.counts[action]++;
  }

  toJSON(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const key of [...this.map.keys()].sort()) out[key] = [...(this.map.get(key) ?? [])].sort();
    return out;
  }
}
