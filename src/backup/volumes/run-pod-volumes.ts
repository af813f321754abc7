/**
 * The executor of the volume decision during a backup (reference §6.3, contract §3): for
 * each Running pod with file-system-backed volumes, ensure the namespace's repository,
 * create one PodVolumeBackup per volume, wait for them (per pod, and all at the end, within
 * the FSB timeout; late ones get `spec.cancel`), and report each failure as a backup error
 * naming pod, volume and message. The PodVolumeBackups as they ended are what the backup
 * records in `<backup>-podvolumebackups.json.gz`.
 *
 * Hooks seam (contract §7): `startPodVolumeBackups(pod)` then `waitForPodVolumeBackups(pod)`.
 */
import PQueue from 'p-queue';
import type { BackupStorageLocation } from '../../api/backup-storage-location.ts';
import { Kinds, Labels, resourceRef, type PodVolumeBackup } from '../../api/index.ts';
import type { Cluster } from '../../kube/cluster.ts';
import type { KubeObject } from '../../kube/object.ts';
import { errorMessage } from '../../util/errors.ts';
import { veleroListType } from '../../controllers/velero-types.ts';
import { podVolumeBackupObject } from './pod-volume-backup.ts';
import { resticIdentifier } from '../../volumes/repository/identity.ts';
import {
  isCsiVolume,
  isHostPathVolume,
  snapshotUnsupportedWarning,
  VolumePlanner,
  type PodVolumePlan,
} from './plan.ts';
import { boundVolumeName, claimName, podSpec, policyVolume } from './pod-volumes.ts';
import { matchVolumePolicy } from '../../volumes/policy/match.ts';
import type { ensureRepository } from '../../volumes/repository/ensure.ts';

type EnsureRepository = typeof ensureRepository;
import type { ResolvedVolumeFields } from './settings.ts';
import type { VolumeSettings } from './plan.ts';

const PVBS = veleroListType(Kinds.PodVolumeBackup);
const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
const PVS = { group: '', version: 'v1', resource: 'persistentvolumes' };
const TERMINAL = new Set(['Completed', 'Failed', 'Canceled']);

export interface PodVolumeReporter {
  warn(namespace: string, message: string): void;
  error(namespace: string, message: string): void;
  info(message: string, fields?: Record<string, string | number | undefined>): void;
}

export interface PodVolumeBackupsDeps {
  cluster: Cluster;
  /** Server namespace (PodVolumeBackups and repositories live there). */
  namespace: string;
  backup: { name: string; uid: string };
  location: BackupStorageLocation;
  fields: ResolvedVolumeFields;
  settings: VolumeSettings;
  ensureRepository: EnsureRepository;
  parallelFilesUpload?: number | undefined;
  /** How often PodVolumeBackups are read while waiting; default 1 s. */
  pollMs?: number;
}

export interface PodVolumeCounts {
  attempted: number;
  completed: number;
  failed: number;
}

export class PodVolumeBackups {
  private readonly planner: VolumePlanner;
  private readonly claims = new Map<string, KubeObject | undefined>();
  private readonly pvs = new Map<string, KubeObject | undefined>();
  /** Per pod (`ns/name`): the PodVolumeBackup names it created, once created. */
  private readonly started = new Map<string, Promise<string[]>>();
  private readonly ended = new Map<string, PodVolumeBackup>();
  private readonly repositories = new Map<string, Promise<string>>();
  /** PVs in the backup, to warn about the ones Velero would snapshot and no pod takes. */
  private readonly includedPvs = new Map<string, KubeObject>();
  private readonly warnedPvs = new Set<string>();
  private readonly deadline: number;
  /** Bounds the claim and volume look-ups of a backup with many pods. */
  private readonly queue = new PQueue({ concurrency: 8 });
  private readonly abort = new AbortController();
  private reporter: PodVolumeReporter | undefined;
  readonly plans: PodVolumePlan[] = [];

  constructor(private readonly deps: PodVolumeBackupsDeps) {
    this.planner = new VolumePlanner(deps.settings, {
      claim: (ns, name) => this.claims.get(`${ns}/${name}`),
      volume: (name) => this.pvs.get(name),
    });
    this.deadline = Date.now() + deps.fields.timeoutMs;
  }

  /** Where warnings and errors go (the backup's log and results). */
  report(to: PodVolumeReporter): void {
    this.reporter = to;
  }

  /** Whether any PodVolumeBackup was started: the backup then waits before its results are final. */
  get hasWork(): boolean {
    return this.started.size > 0;
  }

  notePersistentVolume(pv: KubeObject): void {
    this.includedPvs.set(pv.metadata.name ?? '', pv);
  }

  /**
   * Plans the pod's volumes and creates its PodVolumeBackups (after its repository is Ready).
   * Never throws: a failure is a backup error naming the pod.
   */
  startPodVolumeBackups(pod: KubeObject): Promise<PodVolumePlan | undefined> {
    const key = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    // Once per pod: the hooks' gate starts it, and the pod item passes by afterwards.
    if (this.started.has(key)) return Promise.resolve(undefined);
    const planned = this.queue.add(() => this.plan(pod));
    const creating = planned
      .then((plan) => this.create(plan))
      .catch((err: unknown) => {
        this.reporter?.error(pod.metadata.namespace ?? '', `pod volume backups of pod ${key}: ${errorMessage(err)}`);
        return [] as string[];
      });
    this.started.set(key, creating);
    return planned;
  }

  /** The hooks' seam (VOLUMES-CONTRACT §7): after the pre hooks, resolves once the pod's PVBs exist. */
  async start(pod: KubeObject): Promise<void> {
    await this.startPodVolumeBackups(pod);
    await this.started.get(`${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`);
  }

  /** The hooks' seam: before the post hooks, resolves once the pod's PVBs have ended. */
  async waitFor(pod: KubeObject): Promise<void> {
    await this.waitForPodVolumeBackups(pod);
  }

  /** Waits for the pod's PodVolumeBackups to end (or the FSB timeout); returns them as they ended. */
  async waitForPodVolumeBackups(pod: KubeObject): Promise<PodVolumeBackup[]> {
    const key = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    const names = (await this.started.get(key)) ?? [];
    return this.waitForNames(names);
  }

  /** Waits for every PodVolumeBackup of the backup, then warns about PVs Velero would snapshot. */
  async waitAll(): Promise<PodVolumeBackup[]> {
    const names = (await Promise.all(this.started.values())).flat();
    const out = await this.waitForNames(names);
    this.warnUnclaimedVolumes();
    return out;
  }

  /** Stops waiting and asks the node agents to cancel what is still running (the backup failed). */
  async cancelAll(): Promise<void> {
    this.abort.abort();
    const names = (await Promise.all(this.started.values())).flat();
    await Promise.all(names.filter((n) => !this.ended.has(n)).map((n) => this.cancel(n)));
  }

  /** The PodVolumeBackups as they ended, for `<backup>-podvolumebackups.json.gz`. */
  records(): PodVolumeBackup[] {
    return [...this.ended.values()];
  }

  counts(): PodVolumeCounts {
    const all = this.records();
    return {
      attempted: all.length,
      completed: all.filter((p) => p.status?.phase === 'Completed').length,
      failed: all.filter((p) => p.status?.phase !== 'Completed').length,
    };
  }

  private async plan(pod: KubeObject): Promise<PodVolumePlan> {
    const namespace = pod.metadata.namespace ?? '';
    for (const v of podSpec(pod).volumes ?? []) {
      const claim = claimName(v);
      if (claim === undefined) continue;
      const key = `${namespace}/${claim}`;
      if (!this.claims.has(key)) this.claims.set(key, await this.deps.cluster.find(PVCS, claim, namespace));
      const pvName = boundVolumeName(this.claims.get(key));
      if (pvName !== undefined && !this.pvs.has(pvName))
        this.pvs.set(pvName, await this.deps.cluster.find(PVS, pvName));
    }
    const plan = this.planner.planPod(pod);
    this.plans.push(plan);
    for (const w of plan.warnings) this.reporter?.warn(namespace, w);
    for (const d of plan.volumes) {
      if (d.method === 'snapshot-unsupported') {
        if (d.pv) this.warnedPvs.add(d.pv);
        this.reporter?.warn(namespace, snapshotUnsupportedWarning(plan.pod, d));
      } else if (d.method === 'skipped')
        this.reporter?.info(`volume ${d.volume} of pod ${namespace}/${plan.pod.name} skipped: ${d.reason ?? ''}`, {
          rule: d.rule,
        });
    }
    return plan;
  }

  private async create(plan: PodVolumePlan): Promise<string[]> {
    const chosen = plan.volumes.filter((d) => d.method === 'fs-backup');
    if (chosen.length === 0) return [];
    const repoIdentifier = await this.repository(plan.pod.namespace);
    const names: string[] = [];
    for (const decision of chosen) {
      const obj = podVolumeBackupObject({
        namespace: this.deps.namespace,
        backup: this.deps.backup,
        location: this.deps.location.metadata.name ?? '',
        uploaderType: this.deps.fields.uploaderType,
        repoIdentifier,
        parallelFilesUpload: this.deps.parallelFilesUpload,
        pod: plan.pod,
        decision,
      });
      const created = await this.deps.cluster.create(resourceRef(Kinds.PodVolumeBackup), obj);
      names.push(created.metadata.name ?? '');
      this.reporter?.info(`pod volume backup ${created.metadata.name ?? ''} created`, {
        pod: `${plan.pod.namespace}/${plan.pod.name}`,
        volume: decision.volume,
        rule: decision.rule,
      });
    }
    return names;
  }

  /** Once per namespace: the repository is Ready before any PodVolumeBackup of it is created. */
  private repository(volumeNamespace: string): Promise<string> {
    let p = this.repositories.get(volumeNamespace);
    if (!p) {
      const type = this.deps.fields.uploaderType;
      const location = this.deps.location.metadata.name ?? '';
      p = this.deps
        .ensureRepository(
          this.deps.cluster,
          this.deps.namespace,
          { volumeNamespace, location, type },
          AbortSignal.any([this.abort.signal, AbortSignal.timeout(Math.max(0, this.deadline - Date.now()))]),
        )
        .then((repo) =>
          type === 'kopia' ? '' : repo.spec.resticIdentifier || resticIdentifier(this.deps.location, volumeNamespace),
        );
      this.repositories.set(volumeNamespace, p);
    }
    return p;
  }

  private async waitForNames(names: string[]): Promise<PodVolumeBackup[]> {
    const pending = new Set(names.filter((n) => !this.ended.has(n)));
    while (pending.size > 0 && !this.abort.signal.aborted) {
      for await (const obj of this.deps.cluster.list(PVBS, {
        namespace: this.deps.namespace,
        labelSelector: `${Labels.BackupUID}=${this.deps.backup.uid}`,
      })) {
        const name = obj.metadata.name ?? '';
        const pvb = obj as PodVolumeBackup;
        if (pending.has(name) && TERMINAL.has(pvb.status?.phase ?? '')) {
          pending.delete(name);
          this.finished(pvb);
        }
      }
      if (pending.size === 0) break;
      if (Date.now() >= this.deadline) {
        await this.timedOut([...pending]);
        break;
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(this.deps.pollMs ?? 1000, this.deadline - Date.now())),
      );
    }
    return names.flatMap((n) => this.ended.get(n) ?? []);
  }

  private finished(pvb: PodVolumeBackup): void {
    if (this.ended.has(pvb.metadata.name ?? '')) return;
    this.ended.set(pvb.metadata.name ?? '', pvb);
    const phase = pvb.status?.phase ?? '';
    if (phase === 'Completed') return;
    const pod = pvb.spec.pod;
    this.reporter?.error(
      pod.namespace ?? '',
      `pod volume backup ${pvb.metadata.name ?? ''} of pod ${pod.namespace ?? ''}/${pod.name ?? ''} volume ${pvb.spec.volume} ${phase === 'Failed' ? 'failed' : 'was canceled'}: ${pvb.status?.message || 'no message'}`,
    );
  }

  /** The FSB timeout passed: ask each node agent to cancel, and record the PVB as it is. */
  private async timedOut(names: string[]): Promise<void> {
    for (const name of names) {
      const pvb = await this.cancel(name);
      if (!pvb) continue;
      const phase = pvb.status?.phase ?? 'New';
      this.ended.set(name, pvb);
      const pod = pvb.spec.pod;
      this.reporter?.error(
        pod.namespace ?? '',
        `pod volume backup ${name} of pod ${pod.namespace ?? ''}/${pod.name ?? ''} volume ${pvb.spec.volume} timed out after ${formatMs(this.deps.fields.timeoutMs)} in phase ${phase} (--fs-backup-timeout or annotation velero.io/pod-volume-timeout): canceled`,
      );
    }
  }

  private async cancel(name: string): Promise<PodVolumeBackup | undefined> {
    try {
      return (await this.deps.cluster.patch(
        resourceRef(Kinds.PodVolumeBackup),
        { name, namespace: this.deps.namespace },
        'merge',
        { spec: { cancel: true } },
      )) as PodVolumeBackup;
    } catch {
      return undefined;
    }
  }

  /** PVs in the backup that no pod volume took or warned about: Velero would snapshot them. */
  private warnUnclaimedVolumes(): void {
    if (this.deps.settings.snapshotVolumes === false) return;
    for (const [name, pv] of this.includedPvs) {
      // CSI volumes are the CSI action's (src/backup/csi/), which reports its own outcome.
      if (this.warnedPvs.has(name) || isHostPathVolume(pv) || isCsiVolume(pv)) continue;
      const claim = (pv.spec as { claimRef?: { namespace?: string; name?: string } } | undefined)?.claimRef;
      if (claim?.namespace && claim.name && this.planner.takes(claim.namespace, claim.name)) continue;
      if (this.plans.some((p) => p.volumes.some((d) => d.pv === name))) continue;
      const asVolume = { name, persistentVolumeClaim: { claimName: claim?.name ?? '' } };
      if (matchVolumePolicy(this.deps.settings.policies, policyVolume(asVolume, undefined, pv))) continue;
      this.reporter?.warn(
        claim?.namespace ?? '',
        `persistent volume ${name} would be snapshotted (spec.snapshotVolumes), but it is not CSI and Skiff has no native volume snapshots: its data is NOT in the backup; no Running pod in the backup mounts it for file-system backup`,
      );
    }
  }
}

function formatMs(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
}
