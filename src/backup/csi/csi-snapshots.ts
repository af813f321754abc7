/**
 * The executor of CSI snapshots during a backup (reference §7.3, without data movement): for
 * each claim the volume decision gives to `csi-snapshot`, choose its VolumeSnapshotClass
 * (§7.2), create a VolumeSnapshot, wait up to `csiSnapshotTimeout` for it to be ready; at the
 * end, keep the storage snapshot (VolumeSnapshotContent set to Retain) and remove the cluster
 * objects, as Velero's finalize step does. A failed or late snapshot is removed at once and
 * fails that claim's item with the reason.
 */
import type { Cluster } from '../../kube/cluster.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { ResourceType } from '../../kube/resource.ts';
import { waitForObject } from '../../kube/wait-object.ts';
import { kubeTime } from '../../util/clock.ts';
import { errorMessage } from '../../util/errors.ts';
import { deleteContent } from '../../deletion/csi-snapshots.ts';
import { selectSnapshotClass } from '../../volumes/csi/class-selection.ts';
import {
  backupVolumeSnapshot,
  VOLUME_SNAPSHOT_CLASSES,
  VOLUME_SNAPSHOT_CONTENTS,
  VOLUME_SNAPSHOTS,
  vscView,
  vsView,
} from '../../volumes/csi/snapshot-objects.ts';
import type { BackupActionContext, ClaimSnapshot, CsiSnapshotter } from '../actions/types.ts';
import { VolumePlanner, type VolumeSettings } from '../volumes/plan.ts';
import { boundVolumeName } from '../volumes/pod-volumes.ts';
import { movedVolumeInfo } from '../../volumes/data-mover/upload-objects.ts';
import type { DataUpload } from '../../api/index.ts';
import { BackupDataUploads, type DataUploadSettings } from './data-uploads.ts';
import { dataUploadOperation, type BackupOperation } from './item-operations.ts';

const PODS: ResourceType = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true, verbs: [] };
const PVS = { group: '', version: 'v1', resource: 'persistentvolumes' };
const STORAGE_CLASSES = { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' };

export interface CsiSnapshotsDeps {
  cluster: Cluster;
  backup: { name: string; annotations: Record<string, string> };
  settings: VolumeSettings;
  /** `spec.csiSnapshotTimeout` in ms (default 10m). */
  timeoutMs: number;
  /** `snapshotMoveData`: each snapshot's data is moved by a DataUpload (reference §7.3 step 8). */
  moveData?: DataUploadSettings | undefined;
}

/** One VolumeSnapshot this backup took, and what volume info records about it (reference §1.14). */
interface Taken {
  namespace: string;
  volumeSnapshot: string;
  pvc: string;
  pv: string;
  driver: string;
  content: string;
  handle: string;
  size: number | undefined;
  started: string;
  completed: string;
  /** The content as it was once ready: after the clean-up, the only way back to the storage snapshot. */
  stored: KubeObject;
  cleaned?: boolean;
  /** The DataUpload moving the snapshot's data, when moved. */
  dataUpload?: string;
  pvInfo: { reclaimPolicy: string; labels: Record<string, string> };
}

export interface CsiSnapshotCounts {
  attempted: number;
  completed: number;
}

export class CsiSnapshots implements CsiSnapshotter {
  private readonly planner: VolumePlanner;
  private readonly claims = new Map<string, KubeObject | undefined>();
  private readonly pvs = new Map<string, KubeObject | undefined>();
  private readonly podsByNamespace = new Map<string, Promise<KubeObject[]>>();
  private readonly taken: Taken[] = [];
  private attempted = 0;
  private readonly uploads: BackupDataUploads | undefined;

  constructor(private readonly deps: CsiSnapshotsDeps) {
    this.uploads = deps.moveData ? new BackupDataUploads(deps.cluster, deps.moveData) : undefined;
    this.planner = new VolumePlanner(deps.settings, {
      claim: (ns, name) => this.claims.get(`${ns}/${name}`),
      volume: (name) => this.pvs.get(name),
    });
  }

  /**
   * Snapshots the claim when the volume decision says so; undefined when it does not. Throws
   * with the reason when it should and cannot (no class, an error, the timeout).
   */
  async snapshotClaim(pvc: KubeObject, ctx: BackupActionContext): Promise<ClaimSnapshot | undefined> {
    const namespace = pvc.metadata.namespace ?? '';
    const name = pvc.metadata.name ?? '';
    this.claims.set(`${namespace}/${name}`, pvc);
    const pvName = boundVolumeName(pvc);
    if (pvName !== undefined && !this.pvs.has(pvName)) this.pvs.set(pvName, await this.deps.cluster.find(PVS, pvName));
    const decision = this.planner.decideClaim(namespace, name, await this.podsUsing(namespace, name));
    if (decision.method !== 'csi-snapshot' || pvName === undefined) return undefined;
    const pv = this.pvs.get(pvName);
    this.attempted++;
    const driver = await this.driverOf(pvc, ctx);
    const choice = selectSnapshotClass({
      claim: `${namespace}/${name}`,
      claimAnnotations: pvc.metadata.annotations ?? {},
      driver,
      backupAnnotations: this.deps.backup.annotations,
      classes: await ctx.listClusterScoped(VOLUME_SNAPSHOT_CLASSES.group, VOLUME_SNAPSHOT_CLASSES.resource),
    });
    if ('error' in choice) throw new Error(choice.error);
    const started = kubeTime(new Date());
    const created = await this.deps.cluster.create(
      VOLUME_SNAPSHOTS,
      backupVolumeSnapshot(pvc, this.deps.backup.name, choice.name),
    );
    const vsName = created.metadata.name ?? '';
    // The repository the data will move to gets ready while the storage snapshot is taken.
    this.uploads?.prepareRepository(namespace).catch(() => undefined);
    const ready = await this.waitReady(namespace, vsName, `${namespace}/${name}`);
    const status = vsView(ready.vs).status ?? {};
    const taken = takenRecord({ namespace, vsName, pvc: name, pv, driver, started }, ready.vsc);
    if (this.uploads) taken.dataUpload = await this.startDataUpload(pvc, vsName, choice.name, driver);
    this.taken.push(taken);
    return {
      volumeSnapshot: vsName,
      rule: `${decision.rule}; VolumeSnapshotClass ${choice.name} (${choice.rule})`,
      ...(status.restoreSize ? { restoreSize: status.restoreSize } : {}),
      ...(taken.dataUpload ? { dataUpload: `${this.deps.moveData?.backup.namespace ?? ''}/${taken.dataUpload}` } : {}),
    };
  }

  /** Creates the claim's DataUpload; when that fails, the snapshot is removed and the claim's item fails. */
  private async startDataUpload(
    pvc: KubeObject,
    vsName: string,
    snapshotClass: string,
    driver: string,
  ): Promise<string> {
    const namespace = pvc.metadata.namespace ?? '';
    try {
      return await (this.uploads as BackupDataUploads).create({
        pvc: { name: pvc.metadata.name ?? '', namespace, uid: pvc.metadata.uid ?? '' },
        volumeSnapshot: vsName,
        storageClass: (pvc.spec as { storageClassName?: string } | undefined)?.storageClassName ?? '',
        snapshotClass,
        driver,
      });
    } catch (err) {
      await this.discard(namespace, vsName);
      throw new Error(
        `cannot start moving the data of VolumeSnapshot ${namespace}/${vsName}: ${errorMessage(err)}; the snapshot was removed`,
        { cause: err },
      );
    }
  }

  /** Whether any snapshot's data is being moved: the backup then waits for `waitDataUploads`. */
  movesData(): boolean {
    return (this.uploads?.count ?? 0) > 0;
  }

  /** Waits for the backup's DataUploads; returns them final, and one problem per one that did not complete. */
  async waitDataUploads(): Promise<{ uploads: DataUpload[]; problems: string[] }> {
    return this.uploads ? this.uploads.waitAll() : { uploads: [], problems: [] };
  }

  snapshotContent(name: string): Promise<KubeObject | undefined> {
    return this.deps.cluster.find(VOLUME_SNAPSHOT_CONTENTS, name);
  }

  counts(): CsiSnapshotCounts {
    return { attempted: this.attempted, completed: this.taken.length };
  }

  /** The DataUploads' operations (reference §1.14), once `waitDataUploads` returned: `-itemoperations.json.gz`. */
  itemOperations(): BackupOperation[] {
    const backup = this.deps.moveData?.backup;
    if (!backup) return [];
    return (this.uploads?.finished() ?? []).map((du) => dataUploadOperation(du, backup));
  }

  /** The volume info entries of the snapshots taken (reference §1.14, `-volumeinfo.json.gz`). */
  volumeInfos(): Record<string, unknown>[] {
    const moved = new Map((this.uploads?.finished() ?? []).map((d) => [d.metadata.name ?? '', d]));
    return this.taken.map((t) => {
      const du = t.dataUpload ? moved.get(t.dataUpload) : undefined;
      if (du)
        return movedVolumeInfo(du, { pvName: t.pv, pvInfo: t.pvInfo, snapshotHandle: t.handle, vscName: t.content });
      return this.snapshotInfo(t);
    });
  }

  private snapshotInfo(t: Taken): Record<string, unknown> {
    return {
      pvcName: t.pvc,
      pvcNamespace: t.namespace,
      pvName: t.pv,
      backupMethod: 'CSISnapshot',
      snapshotDataMoved: false,
      preserveLocalSnapshot: true,
      skipped: false,
      startTimestamp: t.started,
      completionTimestamp: t.completed,
      result: 'succeeded',
      csiSnapshotInfo: {
        snapshotHandle: t.handle,
        ...(t.size !== undefined ? { size: t.size } : {}),
        driver: t.driver,
        vscName: t.content,
        readyToUse: true,
      },
      pvInfo: t.pvInfo,
    };
  }

  /**
   * Velero's finalize step for CSI snapshots (reference §7.3 step 7): each content is set to
   * Retain, then the content and the VolumeSnapshot are deleted; the storage snapshot stays,
   * known from the backup's copies of both. Returns a problem per snapshot that could not be cleaned.
   */
  async retainAndCleanUp(): Promise<string[]> {
    const problems: string[] = [];
    for (const t of this.taken) {
      if (t.dataUpload) {
        // Moved data: the local snapshot is not kept (reference §7.3 step 8, DATAMOVER-CONTRACT).
        await this.discard(t.namespace, t.volumeSnapshot);
        t.cleaned = true;
        continue;
      }
      try {
        await this.deps.cluster.patch(VOLUME_SNAPSHOT_CONTENTS, { name: t.content }, 'merge', {
          spec: { deletionPolicy: 'Retain' },
        });
        await this.deps.cluster.delete(VOLUME_SNAPSHOT_CONTENTS, t.content);
        await this.deps.cluster.delete(VOLUME_SNAPSHOTS, t.volumeSnapshot, t.namespace);
        t.cleaned = true;
      } catch (err) {
        problems.push(
          `cleaning up VolumeSnapshot ${t.namespace}/${t.volumeSnapshot} (content ${t.content}): ${errorMessage(err)}`,
        );
      }
    }
    return problems;
  }

  /** The backup failed: its snapshots are not kept (deleting a VolumeSnapshot with policy Delete removes it). */
  async discardAll(): Promise<void> {
    await this.uploads?.cancelAll();
    for (const t of this.taken.splice(0)) {
      if (!t.cleaned) await this.discard(t.namespace, t.volumeSnapshot);
      // Already retained and removed from the cluster: deleted as a backup deletion would.
      else if (!t.dataUpload) await deleteContent(this.deps.cluster, t.stored).catch(() => undefined);
    }
  }

  /** The claim's StorageClass provisioner (reference §7.2); a claim without a class cannot be snapshotted. */
  private async driverOf(pvc: KubeObject, ctx: BackupActionContext): Promise<string> {
    const className = (pvc.spec as { storageClassName?: string } | undefined)?.storageClassName;
    const claim = `${pvc.metadata.namespace ?? ''}/${pvc.metadata.name ?? ''}`;
    if (!className) throw new Error(`claim ${claim} has no storageClassName, so no VolumeSnapshotClass can be chosen`);
    const classes = await ctx.listClusterScoped(STORAGE_CLASSES.group, STORAGE_CLASSES.resource);
    const sc = classes.find((c) => c.metadata.name === className);
    const provisioner = (sc as { provisioner?: string } | undefined)?.provisioner;
    if (!provisioner) throw new Error(`StorageClass ${className} of claim ${claim} was not found`);
    return provisioner;
  }

  private podsUsing(namespace: string, claim: string): Promise<KubeObject[]> {
    let pods = this.podsByNamespace.get(namespace);
    if (!pods) {
      pods = (async () => {
        const out: KubeObject[] = [];
        for await (const p of this.deps.cluster.list(PODS, { namespace })) out.push(p);
        return out;
      })();
      this.podsByNamespace.set(namespace, pods);
    }
    return pods.then((all) =>
      all.filter((p) =>
        (
          (p.spec as { volumes?: { persistentVolumeClaim?: { claimName?: string } }[] } | undefined)?.volumes ?? []
        ).some((v) => v.persistentVolumeClaim?.claimName === claim),
      ),
    );
  }

  /**
   * Watches the VolumeSnapshot until it is ready to use, then its content until it has the storage snapshot's
   * handle; on error or timeout removes the snapshot and throws with the last error the cluster gave.
   */
  private async waitReady(
    namespace: string,
    vsName: string,
    claim: string,
  ): Promise<{ vs: KubeObject; vsc: KubeObject }> {
    const deadline = Date.now() + this.deps.timeoutMs;
    let lastError = '';
    const vs = await waitForObject(
      this.deps.cluster,
      VOLUME_SNAPSHOTS,
      { name: vsName, namespace },
      (obj) => {
        if (!obj) {
          lastError = 'the VolumeSnapshot was deleted';
          return null;
        }
        const status = vsView(obj).status ?? {};
        if (status.error?.message) lastError = status.error.message;
        return status.readyToUse === true && status.boundVolumeSnapshotContentName ? obj : undefined;
      },
      { timeoutMs: this.deps.timeoutMs },
    );
    const contentName = vsView(vs ?? undefined).status?.boundVolumeSnapshotContentName;
    const vsc =
      vs && contentName
        ? await waitForObject(
            this.deps.cluster,
            VOLUME_SNAPSHOT_CONTENTS,
            { name: contentName },
            (obj) => {
              const status = vscView(obj).status;
              if (status?.error?.message) lastError = status.error.message;
              if (!obj) lastError = `its VolumeSnapshotContent ${contentName} was deleted`;
              return obj ? (status?.snapshotHandle ? obj : undefined) : null;
            },
            { timeoutMs: Math.max(0, deadline - Date.now()) },
          )
        : undefined;
    if (vs && vsc) return { vs, vsc };
    await this.discard(namespace, vsName);
    throw new Error(
      `VolumeSnapshot ${namespace}/${vsName} of claim ${claim} was not ready within ${formatMs(this.deps.timeoutMs)} ` +
        `(spec.csiSnapshotTimeout)${lastError ? `: ${lastError}` : ''}; the snapshot was removed`,
    );
  }

  /** Removes a VolumeSnapshot and, when it would outlive it (Retain), its content. */
  private async discard(namespace: string, vsName: string): Promise<void> {
    try {
      const vs = await this.deps.cluster.find(VOLUME_SNAPSHOTS, vsName, namespace);
      const contentName = vsView(vs).status?.boundVolumeSnapshotContentName;
      if (contentName) {
        await this.deps.cluster
          .patch(VOLUME_SNAPSHOT_CONTENTS, { name: contentName }, 'merge', { spec: { deletionPolicy: 'Delete' } })
          .catch(() => undefined);
      }
      await this.deps.cluster.delete(VOLUME_SNAPSHOTS, vsName, namespace);
    } catch {
      // Best effort: the error that brought us here is the one reported.
    }
  }
}

function takenRecord(
  t: { namespace: string; vsName: string; pvc: string; pv: KubeObject | undefined; driver: string; started: string },
  vsc: KubeObject,
): Taken {
  const content = vscView(vsc);
  return {
    namespace: t.namespace,
    volumeSnapshot: t.vsName,
    pvc: t.pvc,
    pv: t.pv?.metadata.name ?? '',
    driver: content.spec?.driver ?? t.driver,
    content: vsc.metadata.name ?? '',
    handle: content.status?.snapshotHandle ?? '',
    size: content.status?.restoreSize,
    started: t.started,
    completed: kubeTime(new Date()),
    stored: vsc,
    pvInfo: {
      reclaimPolicy:
        (t.pv?.spec as { persistentVolumeReclaimPolicy?: string } | undefined)?.persistentVolumeReclaimPolicy ?? '',
      labels: t.pv?.metadata.labels ?? {},
    },
  };
}

function formatMs(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
}
