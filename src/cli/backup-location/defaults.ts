/** At most one location is the default (reference §1.4): making one default clears the flag on the others. */
import type { BackupStorageLocation } from '../../api/backup-storage-location.ts';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { listVelero } from '../resources.ts';

/** Clears `spec.default` on every location but `keep`; returns the names it changed. */
export async function clearOtherDefaults(cluster: Cluster, namespace: string, keep: string): Promise<string[]> {
  const changed: string[] = [];
  const all = await listVelero<BackupStorageLocation>(cluster, Kinds.BackupStorageLocation, namespace);
  for (const bsl of all) {
    const name = bsl.metadata.name ?? '';
    if (name === keep || !bsl.spec.default) continue;
    await cluster.patch(resourceRef(Kinds.BackupStorageLocation), { name, namespace }, 'merge', {
      spec: { default: false },
    });
    changed.push(name);
  }
  return changed;
}
