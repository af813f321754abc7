/**
 * Which method backs up each pod volume, and the rule that chose it (reference §3.7, §6.2):
 * include/exclude filters, then the first matching volume policy, then the opt-in/opt-out
 * annotations or `defaultVolumesToFsBackup`, then `snapshotVolumes`. Pure: the dry run prints
 * it and the executor creates PodVolumeBackups from it.
 */
import type { KubeObject } from '../../kube/object.ts';
import { describePolicy, matchVolumePolicy } from '../../volumes/policy/match.ts';
import type { ResourcePolicies } from '../../volumes/policy/types.ts';
import { boundVolumeName, claimName, podPhase, podSpec, policyVolume, pvSpec, type PodVolume } from './pod-volumes.ts';
import { skipReason } from '../../volumes/host-path.ts';
import {
  annotationEntries,
  BACKUP_VOLUMES_ANNOTATION,
  BACKUP_VOLUMES_EXCLUDES_ANNOTATION,
  fsBackupAnnotationWarnings,
} from './fs-backup-annotations.ts';

/**
 * - `fs-backup`: a PodVolumeBackup is made;
 * - `csi-snapshot`: the claim's PV is CSI: a VolumeSnapshot is taken (src/backup/csi/);
 * - `skipped`: the volume's data is not backed up, for `reason`;
 * - `snapshot-unsupported`: Velero would snapshot it natively, Skiff cannot: a warning on the backup.
 */
export type VolumeMethod = 'fs-backup' | 'csi-snapshot' | 'skipped' | 'snapshot-unsupported';

export interface VolumeDecision {
  volume: string;
  method: VolumeMethod;
  /** The rule that chose the method, e.g. `opt-in annotation backup.velero.io/backup-volumes`. */
  rule: string;
  reason?: string;
  pvc?: { name: string; uid: string };
  pv?: string;
}

export interface PodVolumePlan {
  pod: { namespace: string; name: string; uid: string; node: string };
  volumes: VolumeDecision[];
  /** What the pod's file-system backup annotations say that the backup does not act on (backup warnings). */
  warnings: string[];
}

export interface VolumeSettings {
  policies?: ResourcePolicies | undefined;
  defaultVolumesToFsBackup: boolean;
  /** Where the default came from, for the rule text: `spec.defaultVolumesToFsBackup`, `--default-volumes-to-fs-backup`, ... */
  defaultSource: string;
  /** `spec.snapshotVolumes`; unset behaves as true. */
  snapshotVolumes?: boolean | undefined;
  /** Whether PVCs are in the backup at all (not excluded by the resource filters). */
  pvcsIncluded: boolean;
}

/** The claims and volumes a pod uses, by name (claims in the pod's namespace). */
export interface VolumeLookup {
  claim(namespace: string, name: string): KubeObject | undefined;
  volume(name: string): KubeObject | undefined;
}

/**
 * Plans pod after pod, remembering which claims a PodVolumeBackup already takes, so a volume
 * shared by several pods (RWX) is backed up once per backup (reference §6.2).
 */
export class VolumePlanner {
  private readonly taken = new Map<string, string>();

  constructor(
    private readonly settings: VolumeSettings,
    private readonly lookup: VolumeLookup,
  ) {}

  planPod(pod: KubeObject): PodVolumePlan {
    const spec = podSpec(pod);
    const namespace = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    const plan: PodVolumePlan = {
      pod: { namespace, name, uid: pod.metadata.uid ?? '', node: spec.nodeName ?? '' },
      volumes: [],
      warnings: fsBackupAnnotationWarnings(
        pod,
        (spec.volumes ?? []).map((v) => v.name),
        this.settings,
      ),
    };
    const phase = podPhase(pod);
    for (const volume of spec.volumes ?? []) {
      let d = this.decide(pod, volume);
      if (d.method === 'fs-backup' && phase !== 'Running')
        d = { ...d, method: 'skipped', reason: `the pod is not Running (phase ${phase || 'unknown'})` };
      else if (d.method === 'fs-backup' && d.pvc) {
        const key = `${namespace}/${d.pvc.name}`;
        const by = this.taken.get(key);
        if (by !== undefined)
          d = { ...d, method: 'skipped', reason: `claim ${d.pvc.name} is already backed up through pod ${by}` };
        else this.taken.set(key, `${namespace}/${name}`);
      }
      plan.volumes.push(d);
    }
    return plan;
  }

  /** Whether a PodVolumeBackup of this backup already takes the claim. */
  takes(namespace: string, claim: string): boolean {
    return this.taken.has(`${namespace}/${claim}`);
  }

  private decide(pod: KubeObject, volume: PodVolume): VolumeDecision {
    const { claim, pvc, pv, base } = this.resolve(pod, volume);
    if (claim !== undefined && !this.settings.pvcsIncluded)
      return { ...base, rule: 'resource filters', reason: 'persistentvolumeclaims are excluded from the backup' };
    const never = skipReason(volume, pod, pv);
    const policies = this.settings.policies;
    const policy = matchVolumePolicy(policies, policyVolume(volume, pvc, pv));
    if (policies && policy) {
      const rule = describePolicy(policies, policy);
      if (policy.action === 'skip') return { ...base, rule, reason: 'the volume policy skips it' };
      if (policy.action === 'snapshot') return this.policySnapshot(base, rule, claim, pv);
      return never === undefined ? { ...base, method: 'fs-backup', rule } : { ...base, rule, reason: never };
    }
    const legacy = this.legacyRule(pod, volume.name);
    if (legacy.fsBackup && never === undefined) return { ...base, method: 'fs-backup', rule: legacy.rule };
    // Kinds file-system backup never takes are skipped, unless they are claims Velero would snapshot.
    if (claim === undefined || (pv && isHostPathVolume(pv)))
      return {
        ...base,
        rule: never === undefined ? legacy.rule : 'volume type',
        reason: never ?? 'not selected for file-system backup',
      };
    return this.snapshotDecision(base, never === undefined ? legacy.rule : `volume type (${never})`, pv);
  }

  /**
   * The method for a claim as a whole (reference §3.7 `ShouldPerformSnapshot`), as the CSI
   * action asks it: file-system backup when one of the pods mounting it backs it up that way,
   * otherwise what the first of them decides; with no pod, the policy and `snapshotVolumes`.
   */
  decideClaim(namespace: string, claim: string, pods: readonly KubeObject[]): VolumeDecision {
    let first: VolumeDecision | undefined;
    for (const pod of pods) {
      for (const volume of podSpec(pod).volumes ?? []) {
        if (claimName(volume) !== claim) continue;
        const d = this.decide(pod, volume);
        if (d.method === 'fs-backup') return d;
        first ??= d;
      }
    }
    if (first) return first;
    const asVolume: PodVolume = { name: claim, persistentVolumeClaim: { claimName: claim } };
    const pseudoPod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name: '' } };
    const { pvc, pv, base } = this.resolve(pseudoPod, asVolume);
    if (!this.settings.pvcsIncluded)
      return { ...base, rule: 'resource filters', reason: 'persistentvolumeclaims are excluded from the backup' };
    const policies = this.settings.policies;
    const policy = matchVolumePolicy(policies, policyVolume(asVolume, pvc, pv));
    if (policies && policy) {
      const rule = describePolicy(policies, policy);
      if (policy.action === 'snapshot') return this.policySnapshot(base, rule, claim, pv);
      return {
        ...base,
        rule,
        reason: `the volume policy asks for ${policy.action}, and no pod in the backup mounts the claim`,
      };
    }
    if (pv && isHostPathVolume(pv))
      return { ...base, rule: 'volume type', reason: 'hostPath volumes are not backed up' };
    return this.snapshotDecision(base, 'no pod in the backup mounts the claim', pv);
  }

  /** A policy asks for a snapshot: a CSI one for a claim whose PV is CSI (reference §3.7). */
  private policySnapshot(
    base: VolumeDecision,
    rule: string,
    claim: string | undefined,
    pv: KubeObject | undefined,
  ): VolumeDecision {
    if (claim === undefined) return { ...base, rule, reason: 'only claims can be snapshotted' };
    if (!pv) return { ...base, rule, reason: 'the claim is not bound to a volume' };
    if (isCsiVolume(pv)) return { ...base, method: 'csi-snapshot', rule };
    return { ...base, method: 'snapshot-unsupported', rule };
  }

  private resolve(
    pod: KubeObject,
    volume: PodVolume,
  ): { claim?: string; pvc?: KubeObject; pv?: KubeObject; base: VolumeDecision } {
    const base: VolumeDecision = { volume: volume.name, method: 'skipped', rule: '' };
    const claim = claimName(volume);
    if (claim === undefined) return { base };
    const pvc = this.lookup.claim(pod.metadata.namespace ?? '', claim);
    base.pvc = { name: claim, uid: pvc?.metadata.uid ?? '' };
    const pvName = boundVolumeName(pvc);
    if (pvName === undefined) return { claim, ...(pvc ? { pvc } : {}), base };
    base.pv = pvName;
    const pv = this.lookup.volume(pvName);
    return { claim, ...(pvc ? { pvc } : {}), ...(pv ? { pv } : {}), base };
  }

  /** The annotations, or the default (reference §3.7): both are comma-separated, not trimmed. */
  private legacyRule(pod: KubeObject, volume: string): { fsBackup: boolean; rule: string } {
    if (this.settings.defaultVolumesToFsBackup) {
      const excluded = annotationEntries(pod, BACKUP_VOLUMES_EXCLUDES_ANNOTATION).includes(volume);
      return excluded
        ? { fsBackup: false, rule: `opt-out: listed in annotation ${BACKUP_VOLUMES_EXCLUDES_ANNOTATION}` }
        : {
            fsBackup: true,
            rule: `opt-out (${this.settings.defaultSource} true): not listed in ${BACKUP_VOLUMES_EXCLUDES_ANNOTATION}`,
          };
    }
    const listed = annotationEntries(pod, BACKUP_VOLUMES_ANNOTATION).includes(volume);
    return listed
      ? { fsBackup: true, rule: `opt-in: listed in annotation ${BACKUP_VOLUMES_ANNOTATION}` }
      : {
          fsBackup: false,
          rule: `opt-in (${this.settings.defaultSource} false): not listed in ${BACKUP_VOLUMES_ANNOTATION}`,
        };
  }

  /** A claim not backed up from the file system is one Velero would snapshot, unless snapshotVolumes is false. */
  private snapshotDecision(base: VolumeDecision, rule: string, pv: KubeObject | undefined): VolumeDecision {
    if (this.settings.snapshotVolumes === false)
      return {
        ...base,
        rule: `${rule}; spec.snapshotVolumes false`,
        reason: 'not selected for file-system backup and snapshots are off',
      };
    if (!pv) return { ...base, rule, reason: 'the claim is not bound to a volume' };
    return {
      ...base,
      method: isCsiVolume(pv) ? 'csi-snapshot' : 'snapshot-unsupported',
      rule: `${rule}; snapshotVolumes ${this.settings.snapshotVolumes === true ? 'true' : 'unset (true)'}`,
    };
  }
}

/**
 * The warning a volume Velero would snapshot gets (issue 14 item 8): its data is not in the
 * backup, and the user must know.
 */
export function snapshotUnsupportedWarning(pod: PodVolumePlan['pod'], d: VolumeDecision): string {
  return (
    `volume ${d.volume} of pod ${pod.namespace}/${pod.name} (claim ${d.pvc?.name ?? ''}, PV ${d.pv ?? ''}) would be snapshotted ` +
    `(spec.snapshotVolumes), but its PV is not CSI and Skiff has no native volume snapshots: its data is NOT in the backup; ` +
    `back it up from the file system with annotation ${BACKUP_VOLUMES_ANNOTATION}=${d.volume}, --default-volumes-to-fs-backup or a volume policy, ` +
    `or set --snapshot-volumes=false`
  );
}

/** Whether a PV is a CSI one: those are snapshotted through the CSI snapshot API (reference §7.3). */
export function isCsiVolume(pv: KubeObject): boolean {
  return pvSpec(pv)?.csi !== undefined;
}

/** Whether a PV is a hostPath one (never snapshotted nor file-system backed up): used for PVs no pod takes. */
export function isHostPathVolume(pv: KubeObject): boolean {
  return pvSpec(pv)?.hostPath !== undefined;
}
