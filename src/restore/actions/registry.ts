import { apiServiceAction, crdPreserveFieldsAction, webhookConfigurationAction } from './cluster-config-actions.ts';
import { dataUploadAction } from './data-mover-actions.ts';
import { backendNamespaceAction } from './backend-namespace-action.ts';
import {
  csiPvcRestoreAction,
  csiVolumeSnapshotContentRestoreAction,
  csiVolumeSnapshotRestoreAction,
} from './csi-actions.ts';
import { roleBindingAction, secretAction, serviceAccountAction } from './identity-actions.ts';
import { initRestoreHookAction } from '../hooks/init-hooks.ts';
import { podAction } from './pod-action.ts';
import { serviceAction } from './service-action.ts';
import { changeTopologyAction } from './topology-actions.ts';
import type { RestoreItemAction } from './types.ts';
import { changeStorageClassAction, pvAction, pvcAction } from './volume-actions.ts';
import { changeImageNameAction, jobAction } from './workload-actions.ts';
import { podVolumeRestoreAction } from '../volumes/restore-wait.ts';

/** Restore item actions keyed by the group-resource they apply to, in registration order. */
export class RestoreActionRegistry {
  private readonly byResource = new Map<string, RestoreItemAction[]>();

  constructor(readonly actions: readonly RestoreItemAction[]) {
    for (const a of actions) {
      for (const r of a.appliesTo) {
        const list = this.byResource.get(r) ?? [];
        list.push(a);
        this.byResource.set(r, list);
      }
    }
  }

  for(groupResource: string): readonly RestoreItemAction[] {
    return this.byResource.get(groupResource) ?? [];
  }
}

/**
 * Velero's built-in restore item actions (reference §4.5, §4.6), with the CSI and data-mover ones
 * (§7.5), plus Skiff's `skiff.io/change-topology` and `skiff.io/backend-service-namespace`.
 */
export function defaultRestoreActions(): RestoreActionRegistry {
  return new RestoreActionRegistry([
    pvAction,
    pvcAction,
    csiPvcRestoreAction,
    csiVolumeSnapshotRestoreAction,
    csiVolumeSnapshotContentRestoreAction,
    changeStorageClassAction,
    changeTopologyAction,
    podAction,
    // Before any action that adds init containers: restore-wait stays at index 0 (reference §4.7).
    podVolumeRestoreAction,
    initRestoreHookAction,
    changeImageNameAction,
    jobAction,
    serviceAction,
    serviceAccountAction,
    secretAction,
    roleBindingAction,
    crdPreserveFieldsAction,
    apiServiceAction,
    webhookConfigurationAction,
    backendNamespaceAction,
    dataUploadAction,
  ]);
}
