/** PodVolumeBackups and PodVolumeRestores made by hand, as the server's backup and restore would. */
import { Kinds, resourceRef, type PodVolumeBackup, type PodVolumeRestore } from '../../src/api/index.ts';
import type { Cluster } from '../../src/kube/index.ts';
import { DIR_TIMES_ANNOTATION } from '../../src/volumes/dir-times/record.ts';
import { waitFor } from './cluster.ts';
import type { VolumePod } from './volume-pods.ts';

export const PVB = resourceRef(Kinds.PodVolumeBackup);

export interface ManualPodVolumeBackup {
  pod: VolumePod;
  volume: string;
  uploaderType: 'kopia' | 'restic';
  repoIdentifier?: string;
  uploaderSettings?: Record<string, string>;
  /** Default: `default`. */
  location?: string;
}

export async function createPodVolumeBackup(
  cluster: Cluster,
  serverNamespace: string,
  { pod, volume, uploaderType, ...extra }: ManualPodVolumeBackup,
): Promise<string> {
  const created = await cluster.create(PVB, {
    apiVersion: 'velero.io/v1',
    kind: 'PodVolumeBackup',
    metadata: { generateName: 'manual-', namespace: serverNamespace, labels: { 'velero.io/backup-name': 'manual' } },
    spec: {
      node: pod.node,
      pod: { kind: 'Pod', namespace: pod.pod.metadata.namespace, name: pod.pod.metadata.name, uid: pod.uid },
      volume,
      backupStorageLocation: extra.location ?? 'default',
      repoIdentifier: extra.repoIdentifier ?? '',
      uploaderType,
      tags: { backup: 'manual', volume, ns: pod.pod.metadata.namespace ?? '' },
      ...(extra.uploaderSettings ? { uploaderSettings: extra.uploaderSettings } : {}),
    },
  });
  return created.metadata.name ?? '';
}

export function waitForPodVolumeBackup(
  cluster: Cluster,
  namespace: string,
  name: string,
  timeoutMs = 180_000,
): Promise<PodVolumeBackup> {
  return waitFor(
    `PodVolumeBackup ${name} to finish`,
    async () => {
      const pvb = (await cluster.get(PVB, name, namespace)) as PodVolumeBackup;
      return ['Completed', 'Failed', 'Canceled'].includes(pvb.status?.phase ?? '') ? pvb : undefined;
    },
    timeoutMs,
  );
}

export const PVR = resourceRef(Kinds.PodVolumeRestore);

export function waitForPodVolumeRestore(
  cluster: Cluster,
  namespace: string,
  name: string,
  timeoutMs = 180_000,
): Promise<PodVolumeRestore> {
  return waitFor(
    `PodVolumeRestore ${name} to finish`,
    async () => {
      const pvr = (await cluster.get(PVR, name, namespace)) as PodVolumeRestore;
      return ['Completed', 'Failed', 'Canceled'].includes(pvr.status?.phase ?? '') ? pvr : undefined;
    },
    timeoutMs,
  );
}

/** A PodVolumeRestore of `backup`'s snapshot into `pod`'s volume, as the server's restore would create it. */
export interface ManualPodVolumeRestore {
  pod: VolumePod;
  volume: string;
  backup: PodVolumeBackup;
  sourceNamespace: string;
  restoreUID: string;
  annotations?: Record<string, string>;
  /** Default: `WriteSparseFiles: "true"`. */
  uploaderSettings?: Record<string, string>;
  /** Default: the PodVolumeBackup's. */
  location?: string;
  /** Default: the PodVolumeBackup's. */
  repoIdentifier?: string;
}

export async function createPodVolumeRestore(
  cluster: Cluster,
  serverNamespace: string,
  r: ManualPodVolumeRestore,
): Promise<string> {
  // As a restore does: the backup's directory-times record travels with the PVR, or kopia's
  // restored directories keep the times kopia stored (their subtree's newest), not their own.
  const dirTimes = r.backup.metadata?.annotations?.[DIR_TIMES_ANNOTATION];
  const annotations = { ...(dirTimes ? { [DIR_TIMES_ANNOTATION]: dirTimes } : {}), ...r.annotations };
  const created = await cluster.create(PVR, {
    apiVersion: 'velero.io/v1',
    kind: 'PodVolumeRestore',
    metadata: {
      generateName: 'manual-restore-',
      namespace: serverNamespace,
      labels: {
        'velero.io/restore-name': 'manual-restore',
        'velero.io/restore-uid': r.restoreUID,
        'velero.io/pod-uid': r.pod.uid,
      },
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: {
      pod: { kind: 'Pod', namespace: r.pod.pod.metadata.namespace, name: r.pod.pod.metadata.name, uid: r.pod.uid },
      volume: r.volume,
      backupStorageLocation: r.location ?? r.backup.spec.backupStorageLocation,
      repoIdentifier: r.repoIdentifier ?? r.backup.spec.repoIdentifier ?? '',
      uploaderType: r.backup.spec.uploaderType,
      snapshotID: r.backup.status?.snapshotID,
      sourceNamespace: r.sourceNamespace,
      snapshotSize: r.backup.status?.progress?.totalBytes,
      uploaderSettings: r.uploaderSettings ?? { WriteSparseFiles: 'true' },
    },
  });
  return created.metadata.name ?? '';
}
