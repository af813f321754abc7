/**
 * The backup's side of CSI snapshot data movement (reference §7.3 step 8, §7.4 step 5): one DataUpload per
 * claim whose snapshot is moved, created once the VolumeSnapshot is ready; the backup waits for them (bounded
 * by `spec.itemOperationTimeout`, then cancels), stores them in their final state and records them in the
 * volume info. A failed or canceled one is an error of the backup (PartiallyFailed).
 */
import { DataPathPhase, Kinds, resourceRef, type DataUpload } from '../../api/index.ts';
import { veleroListType } from '../../controllers/velero-types.ts';
import type { Cluster } from '../../kube/cluster.ts';
import type { ResourceType } from '../../kube/resource.ts';
import { waitForObject } from '../../kube/wait-object.ts';
import { dataUploadObject, isFinal, type DataUploadInput } from '../../volumes/data-mover/upload-objects.ts';
import type { ensureRepository } from '../../volumes/repository/ensure.ts';

const REF = resourceRef(Kinds.DataUpload);
export const DATA_UPLOAD_TYPE: ResourceType = veleroListType(Kinds.DataUpload);

export interface DataUploadSettings {
  backup: { name: string; uid: string; namespace: string };
  location: string;
  datamover: string;
  /** The backup's csiSnapshotTimeout as a Go duration: the DataUploads' `operationTimeout`. */
  operationTimeout: string;
  parallelFilesUpload?: number | undefined;
  /** How long the backup waits for its DataUploads (`spec.itemOperationTimeout`, default 4h). */
  waitMs: number;
  ensureRepository: typeof ensureRepository;
}

export class BackupDataUploads {
  private readonly created: string[] = [];
  private final: DataUpload[] | undefined;
  private readonly repositories = new Map<string, Promise<void>>();

  constructor(
    private readonly cluster: Cluster,
    private readonly settings: DataUploadSettings,
  ) {}

  get count(): number {
    return this.created.length;
  }

  /**
   * Makes the kopia repository of a claim's namespace ready (once per namespace): started as soon as the claim's
   * snapshot is asked for, so that a new repository is initialised while the storage snapshot is taken.
   */
  prepareRepository(namespace: string): Promise<void> {
    let ready = this.repositories.get(namespace);
    if (!ready) {
      const s = this.settings;
      ready = s
        .ensureRepository(this.cluster, s.backup.namespace, {
          volumeNamespace: namespace,
          location: s.location,
          type: 'kopia',
        })
        .then(() => undefined);
      // A failure is reported by the node agent, which waits for the same repository; a later claim tries again.
      ready.catch(() => this.repositories.delete(namespace));
      this.repositories.set(namespace, ready);
    }
    return ready;
  }

  /**
   * Creates the DataUpload of a claim's ready snapshot; returns its name. It does not wait for the claim's
   * repository: the node agent exposes the snapshot meanwhile and waits for the repository before it uploads,
   * as Velero's data path does (a repository that cannot be made ready fails the DataUpload, naming why).
   */
  async create(
    input: Omit<DataUploadInput, 'backup' | 'location' | 'datamover' | 'operationTimeout'>,
  ): Promise<string> {
    const s = this.settings;
    this.prepareRepository(input.pvc.namespace).catch(() => undefined);
    const du = dataUploadObject({
      ...input,
      backup: s.backup,
      location: s.location,
      datamover: s.datamover,
      operationTimeout: s.operationTimeout,
      parallelFilesUpload: s.parallelFilesUpload,
    });
    const created = await this.cluster.create(REF, du);
    const name = created.metadata.name ?? '';
    this.created.push(name);
    return name;
  }

  /**
   * Waits until every DataUpload has ended (watching each in turn: the wait is as long as the slowest); those
   * still running after `waitMs` are canceled, and then waited for until they end. Returns the DataUploads in
   * their final state and one problem per DataUpload that did not complete.
   */
  async waitAll(): Promise<{ uploads: DataUpload[]; problems: string[] }> {
    const deadline = Date.now() + this.settings.waitMs;
    let canceled = false;
    const all: (DataUpload | undefined)[] = [];
    for (const name of this.created) {
      const ended = (timeoutMs?: number) =>
        waitForObject(
          this.cluster,
          REF,
          { name, namespace: this.settings.backup.namespace },
          (obj) => (!obj ? null : isFinal(obj as DataUpload) ? (obj as DataUpload) : undefined),
          { timeoutMs },
        );
      let du = await ended(Math.max(0, deadline - Date.now()));
      if (du === undefined) {
        if (!canceled) await this.cancelAll();
        canceled = true;
        du = await ended();
      }
      all.push(du ?? undefined);
    }
    const uploads = all.filter((d): d is DataUpload => d !== undefined);
    this.final = uploads;
    return { uploads, problems: problemsOf(this.created, all, canceled, this.settings.waitMs) };
  }

  /** The DataUploads' final state, once `waitAll` returned. */
  finished(): DataUpload[] {
    return this.final ?? [];
  }

  /** Asks every DataUpload still running to stop (the backup failed or waited too long). */
  async cancelAll(): Promise<void> {
    for (const name of this.created) {
      try {
        const du = (await this.cluster.find(REF, name, this.settings.backup.namespace)) as DataUpload | undefined;
        if (du && !isFinal(du))
          await this.cluster.patch(REF, { name, namespace: this.settings.backup.namespace }, 'merge', {
            spec: { cancel: true },
          });
      } catch {
        // Best effort: the node agent's own bounds end it.
      }
    }
  }
}

function problemsOf(names: string[], all: (DataUpload | undefined)[], canceled: boolean, waitMs: number): string[] {
  const problems: string[] = [];
  all.forEach((du, i) => {
    const name = names[i] ?? '';
    if (!du) {
      problems.push(`DataUpload ${name} was deleted before it ended`);
      return;
    }
    const phase = du.status?.phase ?? '';
    if (phase === DataPathPhase.Completed) return;
    const claim = `${du.spec.sourceNamespace}/${du.spec.sourcePVC}`;
    const why =
      canceled && phase === DataPathPhase.Canceled
        ? `it did not end within spec.itemOperationTimeout (${Math.round(waitMs / 1000)}s) and was canceled`
        : du.status?.message || 'no reason given';
    problems.push(`moving the snapshot data of claim ${claim} (DataUpload ${name}) ended ${phase}: ${why}`);
  });
  return problems;
}
