import { csiPvcAction, csiVolumeSnapshotAction, csiVolumeSnapshotContentAction } from './csi-actions.ts';
import { podAction } from './pod-action.ts';
import { pvcAction } from './pvc-action.ts';
import { serviceAccountAction } from './service-account-action.ts';
import type { BackupItemAction } from './types.ts';

/** Backup item actions keyed by the group-resource they apply to, in the order they run. */
export class BackupActionRegistry {
  private readonly byResource = new Map<string, BackupItemAction[]>();
  private readonly addable = new Set<string>();

  constructor(actions: readonly BackupItemAction[]) {
    for (const a of actions) {
      for (const r of a.mayAdd) this.addable.add(r);
      for (const r of a.appliesTo) {
        const list = this.byResource.get(r) ?? [];
        list.push(a);
        this.byResource.set(r, list);
      }
    }
  }

  for(groupResource: string): readonly BackupItemAction[] {
    return this.byResource.get(groupResource) ?? [];
  }

  /** Whether some action may return items of this group-resource as related items. */
  mayAdd(groupResource: string): boolean {
    return this.addable.has(groupResource);
  }
}

/** Velero's default backup item actions; the CSI claim action after `velero.io/pv`, which drops stale snapshot labels. */
export function defaultBackupActions(): BackupActionRegistry {
  return new BackupActionRegistry([
    podAction,
    pvcAction,
    csiPvcAction,
    csiVolumeSnapshotAction,
    csiVolumeSnapshotContentAction,
    serviceAccountAction,
  ]);
}
