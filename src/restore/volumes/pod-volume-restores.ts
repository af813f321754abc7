/**
 * PodVolumeRestores (reference §1.11, §6.5 step 2; contract §4): one per restored pod volume,
 * created once the pod exists (its new uid goes into the spec), then waited for. The node
 * agent of the pod's node writes the data and the `.velero/<restore-uid>` marker that lets
 * `restore-wait` end. Building the objects and judging the outcome are pure; the class
 * below does the I/O.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import { Labels } from '../../api/labels.ts';
import type { RestoreSpec } from '../../api/restore.ts';
import { veleroListType } from '../../controllers/velero-types.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { ResourceRef, ResourceType } from '../../kube/resource.ts';
import type { ListOptions } from '../../kube/list.ts';
import type { OperationLog } from '../../results/operation-log.ts';
import { scopeOf } from '../../results/results.ts';
import { parseDuration } from '../../util/duration.ts';
import { formatError } from '../../util/errors.ts';
import { validLabelValue } from '../../util/label-value.ts';
import { DIR_TIMES_ANNOTATION } from '../../volumes/dir-times/record.ts';
import { currentResticIdentifier } from '../../volumes/repository/current-identifier.ts';
import { UploaderSettingKeys } from '../../volumes/uploader/settings.ts';
import { getPath } from '../actions/types.ts';
import { claimOf, type BackedUpVolume } from './pod-volumes.ts';

/** On a PodVolumeRestore (and a Restore): data into an existing pod, no restore-wait marker (contract §4). */
export const DATA_ONLY_ANNOTATION = 'skiff.io/data-only';

/** `--fs-backup-timeout`'s default, which bounds the wait for pod volume restores too (reference §6.3). */
export const DEFAULT_POD_VOLUME_TIMEOUT_MS = 240 * 60 * 1000;
/** Per-restore override of the wait (reference Appendix A). */
export const POD_VOLUME_TIMEOUT_ANNOTATION = 'velero.io/pod-volume-timeout';

const PVRS: ResourceType = veleroListType(Kinds.PodVolumeRestore);

/** `spec.uploaderConfig` of a Restore as uploader settings (reference §1.2, contract §2); unset fields are left out. */
export function restoreUploaderSettings(spec: Pick<RestoreSpec, 'uploaderConfig'>): Record<string, string> {
  const config = spec.uploaderConfig;
  const out: Record<string, string> = {};
  if (!config) return out;
  if (typeof config.writeSparseFiles === 'boolean')
    out[UploaderSettingKeys.WriteSparseFiles] = String(config.writeSparseFiles);
  if (typeof config.parallelFilesDownload === 'number' && config.parallelFilesDownload > 0) {
    out[UploaderSettingKeys.ParallelFilesDownload] = String(config.parallelFilesDownload);
  }
  return out;
}

/** The Restore a PodVolumeRestore belongs to. */
export interface RestoreIdentity {
  name: string;
  uid: string;
  /** The server namespace: where the Restore and its PodVolumeRestores live. */
  namespace: string;
  /** false: the Restore is not an object in the cluster (a tenant's), so it owns nothing. */
  stored?: boolean;
}

export interface PodVolumeRestoreInput {
  restore: RestoreIdentity;
  /** The pod as it is in the cluster now (its uid is the new one). */
  pod: KubeObject;
  sourceNamespace: string;
  volume: BackedUpVolume;
  /** The location whose repository holds the data (contract §4). */
  backupStorageLocation: string;
  /** restic: the location's repository URL for the source namespace now (§1.11); "" for kopia. */
  repoIdentifier: string;
  uploaderSettings: Record<string, string>;
  /** The uid of the claim the volume mounts in the target namespace, when it is a PVC. */
  pvcUID?: string;
  dataOnly?: boolean;
}

/** The PodVolumeRestore object (reference §6.5 step 2, contract §4). */
export function podVolumeRestoreObject(input: PodVolumeRestoreInput): KubeObject {
  const { restore, pod, volume } = input;
  const podUID = pod.metadata.uid ?? '';
  return {
    apiVersion: 'velero.io/v1',
    kind: 'PodVolumeRestore',
    metadata: {
      generateName: `${restore.name}-`,
      namespace: restore.namespace,
      ...(restore.stored === false
        ? {}
        : {
            ownerReferences: [
              { apiVersion: 'velero.io/v1', kind: 'Restore', name: restore.name, uid: restore.uid, controller: true },
            ],
          }),
      labels: {
        [Labels.RestoreName]: validLabelValue(restore.name),
        [Labels.RestoreUID]: restore.uid,
        [Labels.PodUID]: podUID,
        ...(input.pvcUID ? { [Labels.PVCUID]: input.pvcUID } : {}),
      },
      ...(input.dataOnly || volume.dirTimesSnapshotID
        ? {
            annotations: {
              ...(input.dataOnly ? { [DATA_ONLY_ANNOTATION]: 'true' } : {}),
              ...(volume.dirTimesSnapshotID ? { [DIR_TIMES_ANNOTATION]: volume.dirTimesSnapshotID } : {}),
            },
          }
        : {}),
    },
    spec: {
      pod: { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: podUID },
      volume: volume.volume,
      backupStorageLocation: input.backupStorageLocation,
      repoIdentifier: input.repoIdentifier,
      uploaderType: volume.uploaderType,
      snapshotID: volume.snapshotID,
      sourceNamespace: input.sourceNamespace,
      uploaderSettings: input.uploaderSettings,
      ...(volume.snapshotSize !== undefined ? { snapshotSize: volume.snapshotSize } : {}),
    },
  };
}

/** One finished-badly or unfinished PodVolumeRestore, named for the restore's errors. */
export interface PodVolumeRestoreProblem {
  pod: string;
  volume: string;
  message: string;
}

export interface PodVolumeRestoreOutcome {
  completed: number;
  pending: number;
  problems: PodVolumeRestoreProblem[];
}

/** Judges a restore's PodVolumeRestores; `timedOut` turns the unfinished ones into problems. */
export function judgePodVolumeRestores(pvrs: readonly KubeObject[], timedOut: boolean): PodVolumeRestoreOutcome {
  const out: PodVolumeRestoreOutcome = { completed: 0, pending: 0, problems: [] };
  for (const pvr of pvrs) {
    const phase = str(getPath(pvr, 'status', 'phase'));
    const pod = `${str(getPath(pvr, 'spec', 'pod', 'namespace'))}/${str(getPath(pvr, 'spec', 'pod', 'name'))}`;
    const volume = str(getPath(pvr, 'spec', 'volume'));
    const message = str(getPath(pvr, 'status', 'message'));
    if (phase === 'Completed') out.completed++;
    else if (phase === 'Failed' || phase === 'Canceled') {
      out.problems.push({ pod, volume, message: `${phase.toLowerCase()}: ${message || 'no message'}` });
    } else if (timedOut) {
      out.problems.push({ pod, volume, message: `timed out in phase ${phase || 'New'}` });
    } else out.pending++;
  }
  return out;
}

/** The wait's limit: the Restore's `velero.io/pod-volume-timeout` annotation, else the server's. */
export function podVolumeTimeoutMs(
  annotations: Record<string, string> | undefined,
  serverDefaultMs: number,
): { ms: number; warning?: string } {
  const raw = annotations?.[POD_VOLUME_TIMEOUT_ANNOTATION];
  if (raw === undefined || raw.trim() === '') return { ms: serverDefaultMs };
  try {
    return { ms: parseDuration(raw, `annotation ${POD_VOLUME_TIMEOUT_ANNOTATION}`) };
  } catch (err) {
    return { ms: serverDefaultMs, warning: `${formatError(err)}; waiting up to the server's default instead` };
  }
}

/** The verbs the PodVolumeRestore executor uses (`Cluster` satisfies it). */
export interface PodVolumeCluster {
  create(rt: ResourceRef, obj: KubeObject): Promise<KubeObject>;
  find(rt: ResourceRef, name: string, namespace?: string): Promise<KubeObject | undefined>;
  list(rt: ResourceType, opts?: ListOptions): AsyncIterable<KubeObject>;
}

const PVCS: ResourceRef = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };

/**
 * Creates a restore's PodVolumeRestores as its pods are created, and waits for all of them.
 * Failures are restore errors naming pod, volume and message (reference §6.5 step 5).
 */
export class PodVolumeRestorer {
  private created = 0;
  /** Restic URLs by location and source namespace: looked up once, not once per volume. */
  private readonly resticURLs = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly deps: {
      cluster: PodVolumeCluster;
      log: OperationLog;
      restore: RestoreIdentity;
      /** The backup's location (contract §4); each PVB's own when empty. */
      backupStorageLocation: string;
      uploaderSettings: Record<string, string>;
      dataOnly?: boolean;
    },
  ) {}

  /** How many PodVolumeRestores this run created. */
  get count(): number {
    return this.created;
  }

  /** Creates one PodVolumeRestore per volume of `pod` (as it is in the cluster now). */
  async start(pod: KubeObject, sourceNamespace: string, volumes: readonly BackedUpVolume[]): Promise<void> {
    const { cluster, log } = this.deps;
    const namespace = pod.metadata.namespace ?? '';
    for (const volume of volumes) {
      const where = `pod ${namespace}/${pod.metadata.name ?? ''} volume ${volume.volume}`;
      try {
        const claim = claimOf(pod, volume.volume);
        const pvc = claim ? await cluster.find(PVCS, claim, namespace) : undefined;
        const location = this.deps.backupStorageLocation || volume.backupStorageLocation;
        const pvr = podVolumeRestoreObject({
          restore: this.deps.restore,
          pod,
          sourceNamespace,
          volume,
          backupStorageLocation: location,
          repoIdentifier: await this.repoIdentifier(volume, location, sourceNamespace),
          uploaderSettings: this.deps.uploaderSettings,
          ...(pvc?.metadata.uid ? { pvcUID: pvc.metadata.uid } : {}),
          ...(this.deps.dataOnly ? { dataOnly: true } : {}),
        });
        const made = await cluster.create(resourceRef(Kinds.PodVolumeRestore), pvr);
        this.created++;
        log.info(`created pod volume restore ${made.metadata.name ?? ''} for ${where}`, {
          snapshot: volume.snapshotID,
        });
      } catch (err) {
        log.error(scopeOf(namespace), `could not start the pod volume restore of ${where}: ${formatError(err)}`);
      }
    }
  }

  /**
   * What a restic PodVolumeRestore records as its repository (Velero takes it from the
   * BackupRepository of this cluster, not from the backup): the location's URL for the source
   * namespace now. A backup that recorded another is restored from the location all the same,
   * and the log says so, since "snapshot not found" would otherwise be hard to place.
   */
  private async repoIdentifier(volume: BackedUpVolume, location: string, sourceNamespace: string): Promise<string> {
    if (volume.uploaderType !== 'restic') return '';
    const key = `${location}/${sourceNamespace}`;
    let lookup = this.resticURLs.get(key);
    if (!lookup) {
      lookup = currentResticIdentifier(this.deps.cluster, this.deps.restore.namespace, location, sourceNamespace);
      this.resticURLs.set(key, lookup);
    }
    const current = await lookup;
    if (current === undefined) throw new Error(`backup storage location "${location}" not found`);
    if (volume.repoIdentifier !== '' && volume.repoIdentifier !== current) {
      this.deps.log.info(
        `the backup recorded restic repository "${volume.repoIdentifier}" for volume ${volume.volume}; location ${location} keeps it at "${current}" now, which is read`,
      );
    }
    return current;
  }

  /**
   * Waits until every PodVolumeRestore of the restore (those of an earlier, interrupted run
   * too) has finished, or `timeoutMs` has passed; records each failure as a restore error.
   */
  async waitForAll(timeoutMs: number, pollMs = 1000, signal?: AbortSignal): Promise<PodVolumeRestoreOutcome> {
    const { cluster, log, restore } = this.deps;
    const deadline = Date.now() + timeoutMs;
    const labelSelector = `${Labels.RestoreUID}=${restore.uid}`;
    let outcome: PodVolumeRestoreOutcome;
    for (;;) {
      const pvrs: KubeObject[] = [];
      for await (const pvr of cluster.list(PVRS, { namespace: restore.namespace, labelSelector })) pvrs.push(pvr);
      const timedOut = Date.now() >= deadline || signal?.aborted === true;
      outcome = judgePodVolumeRestores(pvrs, timedOut);
      if (outcome.pending === 0) break;
      await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())), undefined, { signal }).catch(() => undefined);
    }
    for (const p of outcome.problems) {
      log.error('operation', `pod volume restore of pod ${p.pod} volume ${p.volume} failed: ${p.message}`);
    }
    if (outcome.completed > 0) log.info(`pod volume restores completed`, { completed: outcome.completed });
    return outcome;
  }
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
