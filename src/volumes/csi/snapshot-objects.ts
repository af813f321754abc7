/**
 * The CSI snapshot API objects Skiff writes, named and labelled as Velero names and labels
 * them (reference §7.3, §7.5, §5.3). Pure.
 */
import { createHash } from 'node:crypto';
import { Labels } from '../../api/labels.ts';
import type { KubeObject } from '../../kube/object.ts';
import { validLabelValue } from '../../util/label-value.ts';

export const SNAPSHOT_GROUP = 'snapshot.storage.k8s.io';
export const SNAPSHOT_API_VERSION = `${SNAPSHOT_GROUP}/v1`;
export const VOLUME_SNAPSHOTS = { group: SNAPSHOT_GROUP, version: 'v1', resource: 'volumesnapshots' };
export const VOLUME_SNAPSHOT_CONTENTS = { group: SNAPSHOT_GROUP, version: 'v1', resource: 'volumesnapshotcontents' };
export const VOLUME_SNAPSHOT_CLASSES = { group: SNAPSHOT_GROUP, version: 'v1', resource: 'volumesnapshotclasses' };
export const VS_GROUP_RESOURCE = `volumesnapshots.${SNAPSHOT_GROUP}`;
export const VSC_GROUP_RESOURCE = `volumesnapshotcontents.${SNAPSHOT_GROUP}`;
export const VS_CLASS_GROUP_RESOURCE = `volumesnapshotclasses.${SNAPSHOT_GROUP}`;

export interface VolumeSnapshotView {
  spec?: {
    source?: { persistentVolumeClaimName?: string; volumeSnapshotContentName?: string };
    volumeSnapshotClassName?: string;
  };
  status?: {
    boundVolumeSnapshotContentName?: string;
    readyToUse?: boolean;
    restoreSize?: string;
    error?: { message?: string; time?: string };
  };
}

export interface VolumeSnapshotContentView {
  spec?: {
    deletionPolicy?: string;
    driver?: string;
    source?: { snapshotHandle?: string; volumeHandle?: string };
    volumeSnapshotClassName?: string;
    volumeSnapshotRef?: { name?: string; namespace?: string };
  };
  status?: {
    snapshotHandle?: string;
    readyToUse?: boolean;
    restoreSize?: number;
    error?: { message?: string };
  };
}

export function vsView(o: KubeObject | undefined): VolumeSnapshotView {
  return (o ?? {}) as VolumeSnapshotView;
}

export function vscView(o: KubeObject | undefined): VolumeSnapshotContentView {
  return (o ?? {}) as VolumeSnapshotContentView;
}

/**
 * The VolumeSnapshot of a claim for a backup (reference §7.3 step 4): in the claim's
 * namespace, generateName `velero-<pvc>-`, the claim's labels plus `velero.io/backup-name`.
 */
export function backupVolumeSnapshot(pvc: KubeObject, backupName: string, snapshotClass: string): KubeObject {
  return {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: 'VolumeSnapshot',
    metadata: {
      generateName: `velero-${pvc.metadata.name ?? ''}-`,
      namespace: pvc.metadata.namespace ?? '',
      labels: { ...(pvc.metadata.labels ?? {}), [Labels.BackupName]: validLabelValue(backupName) },
    },
    spec: {
      source: { persistentVolumeClaimName: pvc.metadata.name ?? '' },
      volumeSnapshotClassName: snapshotClass,
    },
  };
}

/** The name a restore gives a backed-up VolumeSnapshot and its static content (reference §7.5). */
export function restoredSnapshotName(restoreUID: string, backedUpName: string): string {
  return createHash('sha256').update(`${restoreUID}/${backedUpName}`).digest('hex');
}
