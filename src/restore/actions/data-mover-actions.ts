/**
 * The restore side of CSI snapshot data movement (reference §7.5, DATAMOVER-CONTRACT "Restore
 * side"): the backup's DataUploads say where each moved volume's data is; a claim whose data was
 * moved is created without a volume and with the dynamic-restore selector label, and a
 * DataDownload asks the node agent to fill a new volume and bind it to that claim. Everything
 * here is pure: the planner and the dry run call it, the executor (restore/volumes/data-downloads.ts)
 * creates what it builds.
 */
import { createHash } from 'node:crypto';
import type { DataUploadResult } from '../../api/data-mover.ts';
import { Annotations, Labels } from '../../api/labels.ts';
import type { KubeObject } from '../../kube/object.ts';
import { validLabelValue } from '../../util/label-value.ts';
import { DIR_TIMES_ANNOTATION } from '../../volumes/dir-times/record.ts';
import { asRecord, getPath, RestoreActionError, type RestoreActionEnv, type RestoreItemAction } from './types.ts';

export const DATA_UPLOAD_GROUP_RESOURCE = 'datauploads.velero.io';
/** `velero.io/resource-usage` of the DataUploadResult ConfigMaps (reference §7.5). */
export const DATA_UPLOAD_RESOURCE_USAGE = 'DataUpload';

/** One moved volume, from the DataUpload the backup stored for it. */
export interface MovedVolume {
  /** The DataUpload's name (the ConfigMap's generateName is `<du>-`). */
  dataUpload: string;
  sourceNamespace: string;
  sourcePVC: string;
  /** The DataUploadResult (reference §1.12) the ConfigMap carries and the DataDownload is built from. */
  result: DataUploadResult;
}

/** What the data-mover restore needs, fixed for one restore (it travels in the plan's env). */
export interface DataMoverRestoreEnv {
  restoreUID: string;
  /** Completed DataUploads, keyed by `movedVolumeKey(sourceNamespace, sourcePVC)`. */
  volumes: Record<string, MovedVolume>;
  /** DataUploads that did not complete, by the same key: their claims cannot get data back. */
  unfinished: Record<string, string>;
}

export function movedVolumeKey(namespace: string, pvc: string): string {
  return `${namespace}/${pvc}`;
}

/**
 * Indexes the backup's DataUploads by their source claim. Only a Completed one with a snapshot
 * ID holds data; the others are kept with the reason, so that their claims fail with it.
 */
export function indexDataUploads(dataUploads: readonly KubeObject[], restoreUID: string): DataMoverRestoreEnv {
  const env: DataMoverRestoreEnv = { restoreUID, volumes: {}, unfinished: {} };
  for (const du of dataUploads) {
    const sourceNamespace = str(getPath(du, 'spec', 'sourceNamespace'));
    const sourcePVC = str(getPath(du, 'spec', 'sourcePVC'));
    if (sourceNamespace === '' || sourcePVC === '') continue;
    const key = movedVolumeKey(sourceNamespace, sourcePVC);
    const name = du.metadata.name ?? '';
    const phase = str(getPath(du, 'status', 'phase'));
    const snapshotID = str(getPath(du, 'status', 'snapshotID'));
    if (phase !== 'Completed' || snapshotID === '') {
      env.unfinished[key] = `DataUpload ${name} ended in phase ${phase || 'New'} without a snapshot`;
      continue;
    }
    const datamover = str(getPath(du, 'spec', 'datamover'));
    const nodeOS = str(getPath(du, 'status', 'nodeOS'));
    // Velero restores such a volume from a mover pod on a Windows node; Skiff's mover pods run
    // on Linux nodes only, where a Windows volume may not even attach: the claim fails, saying so.
    if (nodeOS === 'windows') {
      env.unfinished[key] =
        `DataUpload ${name} moved the data of a Windows volume (status.nodeOS "windows"), and Skiff's data mover restores on Linux nodes only`;
      continue;
    }
    const size = getPath(du, 'status', 'progress', 'totalBytes');
    const moverResult = asRecord(getPath(du, 'status', 'dataMoverResult'));
    const result: DataUploadResult = {
      backupStorageLocation: str(getPath(du, 'spec', 'backupStorageLocation')),
      ...(datamover !== '' ? { datamover } : {}),
      snapshotID,
      sourceNamespace,
      ...(moverResult ? { dataMoverResult: stringMap(moverResult) } : {}),
      ...(nodeOS === 'linux' || nodeOS === 'auto' ? { nodeOS } : {}),
      ...(typeof size === 'number' ? { snapshotSize: size } : {}),
    };
    env.volumes[key] = { dataUpload: name, sourceNamespace, sourcePVC, result };
  }
  return env;
}

/** The restore whose objects these are. */
export interface RestoreRef {
  name: string;
  uid: string;
  /** The server namespace: the Restore, its ConfigMaps and DataDownloads live there. */
  namespace: string;
}

/** The DataUploadResult ConfigMap of one moved volume (reference §7.5, `velero.io/dataupload`). */
export function dataUploadResultConfigMap(restore: RestoreRef, volume: MovedVolume): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      generateName: `${volume.dataUpload}-`,
      namespace: restore.namespace,
      labels: {
        [Labels.RestoreUID]: restore.uid,
        [Labels.PVCNamespaceName]: validLabelValue(`${volume.sourceNamespace}.${volume.sourcePVC}`),
        [Labels.ResourceUsage]: DATA_UPLOAD_RESOURCE_USAGE,
      },
    },
    data: { [restore.uid]: JSON.stringify(volume.result) },
  };
}

/** The alphabet of Kubernetes' random name suffixes (no vowels, no look-alike digits). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * The `velero.io/dynamic-pv-restore` value of a claim: `<ns>.<pvc>.<5 chars>`, normalised
 * (reference §7.5). Velero draws the 5 characters at random; here they come from a hash of the
 * restore and the claim, so that the planner, the dry run and a resumed restore agree on it
 * and two restores of the same claim still differ.
 */
export function dynamicRestoreLabelValue(restoreUID: string, namespace: string, pvc: string): string {
  const digest = createHash('sha256').update(`${restoreUID}/${namespace}/${pvc}`).digest();
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += SUFFIX_ALPHABET.charAt((digest[i] ?? 0) % SUFFIX_ALPHABET.length);
  return validLabelValue(`${namespace}.${pvc}.${suffix}`);
}

/** `dd-<restoreUID>.<pvcUID>`, normalised (reference §7.5 step 4; the claim's uid in the backup). */
export function dataDownloadOperationID(restoreUID: string, pvcUID: string): string {
  return validLabelValue(`dd-${restoreUID}.${pvcUID}`);
}

/** The DataDownload a restored claim gets, as the planner decides it (the dry run prints it). */
export interface PlannedDataDownload {
  /** The claim in the target cluster. */
  pvc: string;
  namespace: string;
  operationID: string;
  /** The claim's `velero.io/dynamic-pv-restore` selector value. */
  selector: string;
  volume: MovedVolume;
}

/**
 * The moved volume behind a backed-up claim, or undefined when the claim's data was not moved
 * (no `velero.io/data-upload-name` annotation). Throws when the annotation is there but the
 * backup holds no completed DataUpload for the claim: the claim cannot get its data.
 */
export function movedVolumeOf(env: RestoreActionEnv, original: KubeObject): MovedVolume | undefined {
  const annotation = original.metadata.annotations?.[Annotations.DataUploadName];
  if (annotation === undefined || annotation === '') return undefined;
  const key = movedVolumeKey(original.metadata.namespace ?? '', original.metadata.name ?? '');
  const found = env.dataMover?.volumes[key];
  if (found) return found;
  const why = env.dataMover?.unfinished[key] ?? `the backup holds no DataUpload for it (annotation ${annotation})`;
  throw new RestoreActionError(CSI_PVC_RESTORER, `claim ${key} had its snapshot data moved, but ${why}`);
}

/** The DataDownload of a claim the restore creates, or undefined for a claim whose data was not moved. */
export function plannedDataDownload(
  env: RestoreActionEnv,
  original: KubeObject,
  target: { name: string; namespace: string },
): PlannedDataDownload | undefined {
  if (!env.restorePVs || !env.dataMover) return undefined;
  const volume = movedVolumeOf(env, original);
  if (!volume) return undefined;
  return {
    pvc: target.name,
    namespace: target.namespace,
    operationID: dataDownloadOperationID(env.dataMover.restoreUID, original.metadata.uid ?? ''),
    selector: dynamicRestoreLabelValue(env.dataMover.restoreUID, target.namespace, target.name),
    volume,
  };
}

const CSI_PVC_RESTORER = 'velero.io/csi-pvc-restorer';

/**
 * The data-mover branch of `velero.io/csi-pvc-restorer` (reference §7.5), for a claim with the
 * `velero.io/data-upload-name` annotation: with `restorePVs: false` it loses its volume name and
 * data source (it is provisioned empty); otherwise it loses its volume name and gets the
 * dynamic-restore selector label, which only the PV the node agent fills will carry. Returns
 * false for other claims.
 */
export function restoreMovedDataClaim(
  item: KubeObject,
  original: KubeObject,
  env: RestoreActionEnv,
  targetNamespace: string,
): boolean {
  const annotation = original.metadata.annotations?.[Annotations.DataUploadName];
  const spec = asRecord(item.spec);
  if (annotation === undefined || annotation === '' || !spec) return false;
  delete spec.volumeName;
  delete spec.dataSource;
  delete spec.dataSourceRef;
  if (!env.restorePVs) return true;
  movedVolumeOf(env, original);
  const selector = asRecord(spec.selector) ?? {};
  const matchLabels = asRecord(selector.matchLabels) ?? {};
  const name = item.metadata.name ?? '';
  matchLabels[Labels.DynamicPVRestore] = dynamicRestoreLabelValue(
    env.dataMover?.restoreUID ?? '',
    targetNamespace,
    name,
  );
  selector.matchLabels = matchLabels;
  spec.selector = selector;
  return true;
}

/** The DataDownload object of a planned claim (reference §1.13, §7.5 step 3). */
export function dataDownloadObject(
  restore: RestoreRef,
  planned: PlannedDataDownload,
  options: { dataMoverConfig?: Record<string, string>; operationTimeout?: string; restoreNotStored?: boolean } = {},
): KubeObject {
  const { result } = planned.volume;
  const dirTimes = movedDirTimes(result);
  return {
    apiVersion: 'velero.io/v2alpha1',
    kind: 'DataDownload',
    metadata: {
      generateName: `${restore.name}-`,
      namespace: restore.namespace,
      // A Restore that exists only in memory (a tenant's) owns nothing: the garbage collector
      // would follow the reference to a missing object and delete the DataDownload while it runs.
      ...(options.restoreNotStored
        ? {}
        : {
            ownerReferences: [
              { apiVersion: 'velero.io/v1', kind: 'Restore', name: restore.name, uid: restore.uid, controller: true },
            ],
          }),
      labels: {
        [Labels.RestoreName]: validLabelValue(restore.name),
        [Labels.RestoreUID]: restore.uid,
        [Labels.AsyncOperationID]: planned.operationID,
      },
      ...(dirTimes ? { annotations: { [DIR_TIMES_ANNOTATION]: dirTimes } } : {}),
    },
    spec: {
      targetVolume: { pvc: planned.pvc, pv: '', namespace: planned.namespace },
      backupStorageLocation: result.backupStorageLocation,
      ...(result.datamover !== undefined ? { datamover: result.datamover } : {}),
      snapshotID: result.snapshotID,
      sourceNamespace: result.sourceNamespace,
      ...(options.dataMoverConfig && Object.keys(options.dataMoverConfig).length > 0
        ? { dataMoverConfig: options.dataMoverConfig }
        : {}),
      ...(options.operationTimeout ? { operationTimeout: options.operationTimeout } : {}),
      ...(result.nodeOS ? { nodeOS: result.nodeOS } : {}),
      ...(result.snapshotSize !== undefined ? { snapshotSize: result.snapshotSize } : {}),
    },
  };
}

/**
 * The directory-times snapshot of a moved volume: `status.dataMoverResult` of the DataUpload
 * (DATAMOVER-CONTRACT), an annotation of the DataDownload as of a PodVolumeRestore.
 */
export function movedDirTimes(result: DataUploadResult): string | undefined {
  const id = result.dataMoverResult?.[DIR_TIMES_ANNOTATION];
  return id ? id : undefined;
}

/** `volume data: moved, snapshot 1a2b (kopia, 1024 bytes) by a DataDownload`, as the dry run lists it. */
export function movedDataLine(planned: PlannedDataDownload): string {
  const { result, dataUpload } = planned.volume;
  const size = result.snapshotSize !== undefined ? `, ${result.snapshotSize} bytes` : '';
  return `volume data: CSI snapshot data moved (DataUpload ${dataUpload}), kopia snapshot ${result.snapshotID}${size}, restored by a DataDownload`;
}

/**
 * `velero.io/dataupload` (reference §4.6, §7.5): a DataUpload is never restored; its result
 * goes into a DataUploadResult ConfigMap, which the executor creates before any claim.
 */
export const dataUploadAction: RestoreItemAction = {
  name: 'velero.io/dataupload',
  appliesTo: [DATA_UPLOAD_GROUP_RESOURCE],
  execute({ item }) {
    return { item, skip: 'DataUploads are never restored; their results go into DataUploadResult ConfigMaps' };
  },
};

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function stringMap(value: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}
