/**
 * `spec.orderedResources`: plural resource name → comma-separated `ns/name` (or `name`
 * for cluster-scoped objects); those objects are written first, in that order
 * (reference §1.1, §3.3 step 6).
 */
export function parseOrderedResources(spec: Record<string, string> | null | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [resource, list] of Object.entries(spec ?? {})) {
    const names = list
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (names.length > 0) out.set(resource, names);
  }
  return out;
}

/** The key an ordered entry is matched by: `ns/name` or `name`. */
export function orderKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
