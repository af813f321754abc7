/**
 * The restore finalizer (reference §1.2): a deleted Restore's files under `restores/<name>/`
 * go before the finalizer does. It must never block the deletion forever: a Restore that
 * never wrote anything, or whose backup or location is gone, has nothing to clean and is let
 * go at once; a cleanup that keeps failing is retried a few times (the controller's backoff),
 * then the finalizer goes anyway and a Warning Event names the files left behind.
 */
import { Finalizers, Kinds, resourceRef, type Backup } from '../api/index.ts';
import type { Cluster } from '../kube/cluster.ts';
import { isNotFound } from '../kube/errors.ts';
import { recordEvent } from '../kube/events.ts';
import type { KubeObject } from '../kube/object.ts';
import type { Clock } from '../util/clock.ts';
import { formatError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import type { ReconcileResult } from './controller.ts';
import type { LocationResolver } from './locations.ts';

export const RESTORE_FINALIZER = Finalizers.RestoreExternalResources;

/** Attempts at deleting a Restore's files before its finalizer is removed without them. */
export const CLEANUP_ATTEMPTS = 5;

/** Phases a Restore that never started can be in: nothing was written for it. */
const NEVER_STARTED = new Set(['', 'New', 'FailedValidation']);

export type RestoreCleanupPlan = { action: 'release'; reason: string } | { action: 'clean'; backupName: string };

/** Whether a deleted Restore can have left files in object storage (pure, from the object alone). */
export function planRestoreCleanup(restore: KubeObject): RestoreCleanupPlan {
  const backupName = (restore.spec as { backupName?: string } | undefined)?.backupName ?? '';
  const status = restore.status as { phase?: string; startTimestamp?: string } | undefined;
  const phase = status?.phase ?? '';
  if (!status?.startTimestamp && NEVER_STARTED.has(phase)) {
    return { action: 'release', reason: `it never started (phase ${phase || 'New'}), so nothing was written for it` };
  }
  if (backupName === '') return { action: 'release', reason: 'it names no backup, so it wrote no files' };
  return { action: 'clean', backupName };
}

/** After the `failures`-th failed cleanup in a row: try again, or give up and let the Restore go. */
export function afterCleanupFailure(failures: number, maxAttempts = CLEANUP_ATTEMPTS): 'retry' | 'give-up' {
  return failures < maxAttempts ? 'retry' : 'give-up';
}

export interface RestoreFinalizerDeps {
  cluster: Cluster;
  namespace: string;
  locations: LocationResolver;
  clock: Clock;
  log: Logger;
  /** Default CLEANUP_ATTEMPTS. */
  cleanupAttempts?: number;
}

/** Runs the finalizer of deleted Restores; remembers failed attempts per Restore (by uid). */
export class RestoreFinalizer {
  private readonly failures = new Map<string, number>();

  constructor(private readonly deps: RestoreFinalizerDeps) {}

  async finalize(obj: KubeObject): Promise<ReconcileResult | undefined> {
    if (!(obj.metadata.finalizers ?? []).includes(RESTORE_FINALIZER)) return undefined;
    const name = obj.metadata.name ?? '';
    const plan = planRestoreCleanup(obj);
    if (plan.action === 'release') return this.release(obj, `nothing to clean: ${plan.reason}`);
    const backup = (await this.deps.cluster.find(resourceRef(Kinds.Backup), plan.backupName, this.deps.namespace)) as
      Backup | undefined;
    // A backup that is gone took its restores' files with it (reference §5.3).
    if (!backup)
      return this.release(obj, `nothing to clean: backup "${plan.backupName}" is gone, and its files with it`);
    const locationName = backup.spec.storageLocation ?? 'default';
    const bsl = await this.deps.locations.find(locationName);
    if (!bsl) {
      return this.release(obj, `nothing can be cleaned: backup storage location "${locationName}" no longer exists`);
    }
    const where = `restores/${name}/ in bucket "${bsl.spec.objectStorage.bucket}"${
      bsl.spec.objectStorage.prefix ? ` under prefix "${bsl.spec.objectStorage.prefix}"` : ''
    } of backup storage location "${locationName}"`;
    const uid = obj.metadata.uid ?? name;
    try {
      // No layout validation: deleting the restore's own keys is safe even in a bucket that also
      // holds foreign directories, the case that once kept a Restore from ever being deleted.
      const store = await this.deps.locations.store(bsl);
      await store.deleteRestore(name);
    } catch (err) {
      const failures = (this.failures.get(uid) ?? 0) + 1;
      const max = this.deps.cleanupAttempts ?? CLEANUP_ATTEMPTS;
      if (afterCleanupFailure(failures, max) === 'retry') {
        this.failures.set(uid, failures);
        throw new Error(`could not delete the files of restore ${name} (${where}), attempt ${failures} of ${max}`, {
          cause: err,
        });
      }
      this.failures.delete(uid);
      const message =
        `gave up deleting the files of this restore, ${where}, after ${failures} attempts (${formatError(err)}); ` +
        `the finalizer was removed so that the Restore could be deleted: delete those files by hand`;
      await recordEvent(
        this.deps.cluster,
        obj,
        { type: 'Warning', reason: 'CleanupFailed', message },
        'skiff-server',
        this.deps.clock.now(),
      ).catch((eventErr: unknown) => this.deps.log.warn({ restore: name, err: eventErr }, 'could not record an event'));
      return this.release(obj, message, 'warn');
    }
    this.failures.delete(uid);
    return this.release(obj, `its files (${where}) were deleted`);
  }

  private async release(obj: KubeObject, why: string, level: 'info' | 'warn' = 'info'): Promise<undefined> {
    const name = obj.metadata.name ?? '';
    try {
      await this.deps.cluster.patch(resourceRef(Kinds.Restore), { name, namespace: this.deps.namespace }, 'merge', {
        metadata: {
          finalizers: (obj.metadata.finalizers ?? []).filter((f) => f !== RESTORE_FINALIZER),
          resourceVersion: obj.metadata.resourceVersion,
        },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.deps.log[level]({ restore: name }, `restore deleted: ${why}`);
    return undefined;
  }
}
