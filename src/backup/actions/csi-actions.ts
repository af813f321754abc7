/**
 * Velero's CSI backup item actions (reference §7.3, without data movement): the claim's
 * snapshot is taken (`velero.io/csi-pvc-backupper`), and the VolumeSnapshot brings its content
 * and class, annotated with what a restore or a deletion needs to find the storage snapshot
 * again (`velero.io/csi-volumesnapshot-backupper`, `velero.io/csi-volumesnapshotcontent-backupper`).
 */
import { Annotations, Labels } from '../../api/labels.ts';
import type { KubeObject } from '../../kube/object.ts';
import { cloneJson } from '../../util/json.ts';
import { validLabelValue } from '../../util/label-value.ts';
import { parseQuantity } from '../../volumes/policy/quantity.ts';
import {
  SNAPSHOT_GROUP,
  VS_CLASS_GROUP_RESOURCE,
  VS_GROUP_RESOURCE,
  VSC_GROUP_RESOURCE,
  vscView,
  vsView,
} from '../../volumes/csi/snapshot-objects.ts';
import { volumeGroupWarning } from '../csi/volume-group.ts';
import type { BackupItemAction, ItemRef } from './types.ts';

export const csiPvcAction: BackupItemAction = {
  name: 'velero.io/csi-pvc-backupper',
  appliesTo: ['persistentvolumeclaims'],
  mayAdd: [VS_GROUP_RESOURCE],
  async execute(original, ctx) {
    const snap = ctx.csi ? await ctx.csi.snapshotClaim(original, ctx) : undefined;
    if (!snap) return { item: original, additionalItems: [] };
    const grouped = volumeGroupWarning(original);
    const warnings = grouped === undefined ? {} : { warnings: [grouped] };
    const item = cloneJson(original);
    item.metadata.labels = {
      ...(item.metadata.labels ?? {}),
      [Labels.VolumeSnapshotName]: snap.volumeSnapshot,
      [Labels.BackupName]: validLabelValue(ctx.backupName),
    };
    item.metadata.annotations = {
      ...(item.metadata.annotations ?? {}),
      [Annotations.VolumeSnapshotName]: snap.volumeSnapshot,
    };
    // Moved data (reference §7.3 step 8): the DataUpload, not the VolumeSnapshot, carries the volume.
    if (snap.dataUpload) {
      item.metadata.annotations[Annotations.DataUploadName] = snap.dataUpload;
      return { item, additionalItems: [], ...warnings };
    }
    raiseRequest(item, snap.restoreSize);
    return {
      item,
      additionalItems: [
        {
          group: SNAPSHOT_GROUP,
          resource: 'volumesnapshots',
          namespace: item.metadata.namespace ?? '',
          name: snap.volumeSnapshot,
          mustInclude: true,
        },
      ],
      ...warnings,
    };
  },
};

/** A claim restored from the snapshot must ask for at least the snapshot's size (reference §7.3 step 7). */
function raiseRequest(pvc: KubeObject, restoreSize: string | undefined): void {
  if (!restoreSize) return;
  const spec = pvc.spec as { resources?: { requests?: { storage?: string } } } | undefined;
  const requested = spec?.resources?.requests?.storage;
  const want = parseQuantity(restoreSize);
  const have = requested === undefined ? undefined : parseQuantity(requested);
  if (want === undefined || (have !== undefined && have >= want) || !spec) return;
  spec.resources = {
    ...(spec.resources ?? {}),
    requests: { ...(spec.resources?.requests ?? {}), storage: restoreSize },
  };
}

export const csiVolumeSnapshotAction: BackupItemAction = {
  name: 'velero.io/csi-volumesnapshot-backupper',
  appliesTo: [VS_GROUP_RESOURCE],
  mayAdd: [VSC_GROUP_RESOURCE, VS_CLASS_GROUP_RESOURCE],
  async execute(original, ctx) {
    const vs = vsView(original);
    const contentName = vs.status?.boundVolumeSnapshotContentName;
    const additionalItems: ItemRef[] = [];
    if (vs.spec?.volumeSnapshotClassName)
      additionalItems.push({
        group: SNAPSHOT_GROUP,
        resource: 'volumesnapshotclasses',
        name: vs.spec.volumeSnapshotClassName,
      });
    if (!contentName) return { item: original, additionalItems };
    additionalItems.push({
      group: SNAPSHOT_GROUP,
      resource: 'volumesnapshotcontents',
      name: contentName,
      mustInclude: true,
    });
    const content = ctx.csi ? vscView(await ctx.csi.snapshotContent(contentName)) : undefined;
    if (!content?.spec) return { item: original, additionalItems };
    const item = cloneJson(original);
    const annotations: Record<string, string> = {
      [Annotations.CSIVSCDeletionPolicy]: content.spec.deletionPolicy ?? '',
      [Annotations.CSIDriverName]: content.spec.driver ?? '',
    };
    if (content.status?.snapshotHandle)
      annotations[Annotations.CSIVolumeSnapshotHandle] = content.status.snapshotHandle;
    const size = vs.status?.restoreSize ?? content.status?.restoreSize;
    if (size !== undefined) annotations[Annotations.CSIVolumeSnapshotRestoreSize] = String(size);
    item.metadata.annotations = { ...(item.metadata.annotations ?? {}), ...annotations };
    return { item, additionalItems };
  },
};

export const csiVolumeSnapshotContentAction: BackupItemAction = {
  name: 'velero.io/csi-volumesnapshotcontent-backupper',
  appliesTo: [VSC_GROUP_RESOURCE],
  mayAdd: [VS_CLASS_GROUP_RESOURCE],
  execute(original, ctx) {
    const item = cloneJson(original);
    item.metadata.labels = { ...(item.metadata.labels ?? {}), [Labels.BackupName]: validLabelValue(ctx.backupName) };
    const cls = vscView(original).spec?.volumeSnapshotClassName;
    return {
      item,
      additionalItems: cls
        ? [{ group: SNAPSHOT_GROUP, resource: 'volumesnapshotclasses', name: cls, mustInclude: true }]
        : [],
    };
  },
};
