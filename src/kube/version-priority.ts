/**
 * Kubernetes' ordering of API versions, as the API server uses it to pick a group's preferred
 * version: GA before beta before alpha; within one level a higher major, then a higher minor
 * (`v2` > `v1` > `v1beta2` > `v1beta1` > `v1alpha1`). Versions that do not look like
 * `v<major>[alpha|beta<minor>]` come last, in plain string order.
 */
export function compareKubeVersions(a: string, b: string): number {
  const pa = parseKubeVersion(a);
  const pb = parseKubeVersion(b);
  if (!pa || !pb) {
    if (pa) return -1;
    if (pb) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (pa.level !== pb.level) return pb.level - pa.level;
  if (pa.major !== pb.major) return pb.major - pa.major;
  return pb.minor - pa.minor;
}

const LEVEL = { alpha: 0, beta: 1, ga: 2 } as const;

function parseKubeVersion(v: string): { major: number; level: number; minor: number } | undefined {
  const m = /^v([1-9]\d*)(?:(alpha|beta)([1-9]\d*))?$/.exec(v);
  if (!m) return undefined;
  const stage = m[2] as 'alpha' | 'beta' | undefined;
  return { major: Number(m[1]), level: LEVEL[stage ?? 'ga'], minor: stage ? Number(m[3]) : 0 };
}
