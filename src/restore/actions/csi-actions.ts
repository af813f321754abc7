/**
 * Velero's plain CSI restore actions (reference §7.5, without data movement): a claim the
 * backup CSI-snapshotted is created from a VolumeSnapshot, restored under the name
 * `sha256hex(restoreUID/<backed-up name>)` over a static, retained VolumeSnapshotContent that
 * points at the storage snapshot by its handle. With `restorePVs: false`, no snapshot is
 * restored and the claim is provisioned empty.
 */
import { Annotations } from '../../api/labels.ts';
import { mapNamespace } from '../../selection/index.ts';
import {
  restoredSnapshotName,
  SNAPSHOT_API_VERSION,
  SNAPSHOT_GROUP,
  VS_GROUP_RESOURCE,
  VSC_GROUP_RESOURCE,
  vscView,
  vsView,
} from '../../volumes/csi/snapshot-objects.ts';
import { restoreMovedDataClaim } from './data-mover-actions.ts';
import { asRecord, RestoreActionError, type RestoreItemAction } from './types.ts';

/** The node a WaitForFirstConsumer claim was provisioned on (kept for CSI restores, see below). */
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';

const NO_SNAPSHOTS = 'restorePVs is false: no volume snapshot is restored';

/**
 * `velero.io/csi-pvc-restorer`. Runs after `velero.io/pvc`. The selected-node annotation is
 * put back when that node exists in the target cluster: a snapshot of a node-local CSI driver
 * can only be restored on its node, and the provisioner of that node acts on the annotation
 * (Velero before 1.18 kept it likewise when the node existed); a node that is gone is dropped.
 */
export const csiPvcRestoreAction: RestoreItemAction = {
  name: 'velero.io/csi-pvc-restorer',
  appliesTo: ['persistentvolumeclaims'],
  execute({ item, original, env, targetNamespace }) {
    // A claim whose snapshot data was moved comes back through a DataDownload (data-mover-actions.ts).
    if (restoreMovedDataClaim(item, original, env, targetNamespace ?? '')) return { item };
    const snapshot = original.metadata.annotations?.[Annotations.VolumeSnapshotName];
    const spec = asRecord(item.spec);
    if (!snapshot || !spec || !env.csi) return { item };
    delete spec.volumeName;
    delete spec.dataSourceRef;
    if (!env.restorePVs) {
      delete spec.dataSource;
      return { item };
    }
    spec.dataSource = {
      apiGroup: SNAPSHOT_GROUP,
      kind: 'VolumeSnapshot',
      name: restoredSnapshotName(env.csi.restoreUID, snapshot),
    };
    const node = original.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
    if (node && env.csi.nodes?.includes(node))
      item.metadata.annotations = { ...(item.metadata.annotations ?? {}), [SELECTED_NODE_ANNOTATION]: node };
    return { item };
  },
};

/** `velero.io/csi-volumesnapshot-restorer`: the VolumeSnapshot, renamed, over the content of the same name. */
export const csiVolumeSnapshotRestoreAction: RestoreItemAction = {
  name: 'velero.io/csi-volumesnapshot-restorer',
  appliesTo: [VS_GROUP_RESOURCE],
  execute({ item, original, env }) {
    if (!env.restorePVs) return { item, skip: NO_SNAPSHOTS };
    if (!env.csi) return { item };
    const ref = `${original.metadata.namespace ?? ''}/${original.metadata.name ?? ''}`;
    if (!vsView(original).status?.boundVolumeSnapshotContentName)
      throw new RestoreActionError(
        'velero.io/csi-volumesnapshot-restorer',
        `VolumeSnapshot ${ref} in the backup has no status.boundVolumeSnapshotContentName: its storage snapshot is unknown`,
      );
    const name = restoredSnapshotName(env.csi.restoreUID, original.metadata.name ?? '');
    item.metadata.name = name;
    item.metadata.annotations = { ...(item.metadata.annotations ?? {}), [Annotations.CSIVSCDeletionPolicy]: 'Retain' };
    item.spec = { source: { volumeSnapshotContentName: name } };
    return { item };
  },
};

/**
 * `velero.io/csi-volumesnapshotcontent-restorer`: a static content (deletionPolicy Retain)
 * for the stored snapshot handle, bound to the restored VolumeSnapshot.
 */
export const csiVolumeSnapshotContentRestoreAction: RestoreItemAction = {
  name: 'velero.io/csi-volumesnapshotcontent-restorer',
  appliesTo: [VSC_GROUP_RESOURCE],
  execute({ item, original, env }) {
    if (!env.restorePVs) return { item, skip: NO_SNAPSHOTS };
    if (!env.csi) return { item };
    const vsc = vscView(original);
    const handle = vsc.status?.snapshotHandle ?? vsc.spec?.source?.snapshotHandle;
    const snapshotRef = vsc.spec?.volumeSnapshotRef;
    if (!handle || !snapshotRef?.name || !vsc.spec?.driver)
      throw new RestoreActionError(
        'velero.io/csi-volumesnapshotcontent-restorer',
        `VolumeSnapshotContent ${original.metadata.name ?? ''} in the backup lacks its snapshot handle, driver or VolumeSnapshot reference`,
      );
    const name = restoredSnapshotName(env.csi.restoreUID, snapshotRef.name);
    item.metadata.name = name;
    item.spec = {
      deletionPolicy: 'Retain',
      driver: vsc.spec.driver,
      source: { snapshotHandle: handle },
      volumeSnapshotRef: {
        apiVersion: SNAPSHOT_API_VERSION,
        kind: 'VolumeSnapshot',
        name,
        namespace: mapNamespace({ namespaceMapping: env.namespaceMapping }, snapshotRef.namespace ?? ''),
      },
    };
    return { item };
  },
};
