/**
 * The server's BackupRepository controller (reference §1.6, §6.4): initialises or connects each
 * repository (phase Ready, or NotReady with the reason), fills in its maintenance frequency, and
 * runs maintenance when due (kopia maintenance / restic prune), recording the last runs in
 * `status.recentMaintenance`. Maintenance runs in the background so that one long run does not
 * hold back another repository's initialisation, which a backup is waiting for.
 */
import { Kinds, resourceRef, type BackupRepository, type RepositoryType } from '../../api/index.ts';
import type { ControllerSpec, ReconcileResult } from '../../controllers/controller.ts';
import { veleroListType } from '../../controllers/velero-types.ts';
import type { KubeObject } from '../../kube/index.ts';
import { kubeTime, type Clock } from '../../util/clock.ts';
import { errorMessage } from '../../util/errors.ts';
import type { Logger } from '../../util/log.ts';
import { currentResticIdentifier, movedMessage } from './current-identifier.ts';
import type { RepositoryKey } from './identity.ts';
import { maintenanceFrequencyFor, msUntilMaintenance, recordMaintenance } from './maintenance.ts';
import { openRepository, type RepositoryContext } from './open.ts';

export interface RepositoryControllerDeps extends RepositoryContext {
  clock: Clock;
  log: Logger;
  /** `--default-repo-maintain-frequency`: wins over each repository's own frequency when set. */
  defaultMaintenanceFrequency?: string | undefined;
}

const TYPE = veleroListType(Kinds.BackupRepository);
const REF = resourceRef(Kinds.BackupRepository);
/** Velero's repository controller resyncs every 5 minutes (§1.6). */
const RESYNC_MS = 5 * 60_000;
/** How soon a NotReady repository is tried again. */
const RETRY_NOT_READY_MS = 60_000;

/**
 * `spec.repositoryConfig`, which Velero fills from `--backup-repository-configmap` (reference
 * §1.6: `cacheLimitMB`, `fullMaintenanceInterval`, ...), on a repository carried over from Velero:
 * Skiff's repositories run with the uploader's own cache and maintenance settings, so the keys
 * are named rather than dropped.
 */
export function repositoryConfigNote(repo: Pick<BackupRepository, 'spec'>): string | undefined {
  const keys = Object.keys(repo.spec.repositoryConfig ?? {});
  if (keys.length === 0) return undefined;
  return `spec.repositoryConfig (${keys.sort().join(', ')}) is not acted on: Skiff runs the repository with the uploader's default cache and maintenance settings`;
}

/** A repository that was Ready before Skiff ran (Velero's) gets the note too, unless a message is there. */
async function noteRepositoryConfig(
  deps: RepositoryControllerDeps,
  repo: BackupRepository,
  target: { name: string; namespace: string },
): Promise<void> {
  const note = repositoryConfigNote(repo);
  if (note === undefined || repo.status?.message) return;
  deps.log.warn({ repository: target.name }, note);
  await deps.cluster.patchStatus(REF, target, { message: note });
}

/**
 * Initialises or connects a repository that is not Ready, or whose location now keeps it
 * elsewhere, and records the outcome; a NotReady one is tried again at most once a minute.
 */
async function connect(
  deps: RepositoryControllerDeps,
  attempts: ControllerState['attempts'],
  { repo, key }: { repo: BackupRepository; key: RepositoryKey },
  location: LocationCheck,
): Promise<ReconcileResult> {
  const name = repo.metadata.name ?? '';
  const target = { name, namespace: deps.namespace };
  const { type } = key;
  const now = deps.clock.now().getTime();
  const last = attempts.get(name);
  if (repo.status?.phase === 'NotReady' && last !== undefined && now - last < RETRY_NOT_READY_MS) {
    return { requeueAfterMs: last + RETRY_NOT_READY_MS - now };
  }
  attempts.set(name, now);
  try {
    if (location.error !== undefined) throw location.error;
    if (location.moved !== undefined && repo.spec.resticIdentifier) {
      deps.log.info({ repository: name }, movedMessage(key.location, repo.spec.resticIdentifier, location.moved));
    }
    const uploader = await openRepository(deps, key);
    const how = await uploader.initOrConnect();
    // Written only once connected there: a repository that was Ready under the old URL must not
    // look Ready under the new one before restic has a repository at it.
    if (location.moved !== undefined) {
      await deps.cluster.patch(REF, target, 'merge', { spec: { resticIdentifier: location.moved } });
    }
    deps.log.info({ repository: name, how }, 'backup repository ready');
    // Ready, but saying on the object what of it is not acted on (Velero's --backup-repository-configmap keys).
    await deps.cluster.patchStatus(REF, target, { phase: 'Ready', message: repositoryConfigNote(repo) ?? '' });
    attempts.delete(name);
  } catch (err) {
    const message = `cannot initialise or connect to the ${type} repository: ${errorMessage(err)}`;
    deps.log.warn({ repository: name, err }, 'backup repository not ready');
    await deps.cluster.patchStatus(REF, target, { phase: 'NotReady', message });
    return { requeueAfterMs: RETRY_NOT_READY_MS };
  }
  return { requeueAfterMs: RESYNC_MS };
}

interface LocationCheck {
  moved?: string;
  error?: Error;
}

/**
 * Where the location keeps a restic repository now, against `spec.resticIdentifier`: `moved`
 * is the new URL when they differ (or none was written yet); `error` a location restic cannot
 * use. Kopia repositories are found from the location each time they are opened.
 */
async function locationCheck(
  deps: RepositoryControllerDeps,
  repo: BackupRepository,
  type: RepositoryType,
): Promise<LocationCheck> {
  if (type !== 'restic') return {};
  try {
    const current = await currentResticIdentifier(
      deps.cluster,
      deps.namespace,
      repo.spec.backupStorageLocation,
      repo.spec.volumeNamespace,
    );
    return current !== undefined && current !== (repo.spec.resticIdentifier ?? '') ? { moved: current } : {};
  } catch (err) {
    return { error: err instanceof Error ? err : new Error(String(err)) };
  }
}

/** Velero's BackupRepository type field: "" is a legacy restic repository. */
export function repositoryTypeField(value: string | undefined): RepositoryType {
  return value === 'kopia' ? 'kopia' : 'restic';
}

export function backupRepositoryController(deps: RepositoryControllerDeps): ControllerSpec {
  const running = new Map<string, Promise<void>>();
  const attempts = new Map<string, number>();
  return {
    name: 'backup-repo',
    type: TYPE,
    namespace: deps.namespace,
    resyncMs: RESYNC_MS,
    reconcile: (obj) => reconcile(deps, { running, attempts }, obj),
    drain: async () => {
      await Promise.all(running.values());
    },
  };
}

interface ControllerState {
  /** Maintenance runs in progress, by repository. */
  running: Map<string, Promise<void>>;
  /** When each NotReady repository was last tried (its own status update must not retry it at once). */
  attempts: Map<string, number>;
}

async function reconcile(
  deps: RepositoryControllerDeps,
  { running, attempts }: ControllerState,
  obj: KubeObject,
): Promise<ReconcileResult | undefined> {
  const repo = obj as BackupRepository;
  const name = repo.metadata.name ?? '';
  const target = { name, namespace: deps.namespace };
  const type = repositoryTypeField(repo.spec.repositoryType);
  const key = { volumeNamespace: repo.spec.volumeNamespace, location: repo.spec.backupStorageLocation, type };

  // The frequency the server flag or the type suggests, written once into the spec (Velero does too).
  const frequency =
    deps.defaultMaintenanceFrequency || repo.spec.maintenanceFrequency || maintenanceFrequencyFor(type, undefined);
  if (!repo.spec.maintenanceFrequency) {
    await deps.cluster.patch(REF, target, 'merge', { spec: { maintenanceFrequency: frequency } });
  }

  const location = await locationCheck(deps, repo, type);
  if (repo.status?.phase !== 'Ready' || location.moved !== undefined || location.error !== undefined) {
    return connect(deps, attempts, { repo, key }, location);
  }

  await noteRepositoryConfig(deps, repo, target);

  // Look again soon: the status patch at the end of the run may be seen while it is still running.
  if (running.has(name)) return { requeueAfterMs: 1000 };
  let waitMs: number;
  try {
    waitMs = msUntilMaintenance(repo, frequency, deps.clock.now());
  } catch (err) {
    await deps.cluster.patchStatus(REF, target, { message: errorMessage(err) });
    return undefined;
  }
  if (waitMs > 0) return { requeueAfterMs: Math.min(waitMs, RESYNC_MS) };

  const run = (async () => {
    const startTimestamp = kubeTime(deps.clock.now());
    let result: 'Succeeded' | 'Failed' = 'Succeeded';
    let message: string | undefined;
    try {
      const uploader = await openRepository(deps, key);
      await uploader.maintenance();
    } catch (err) {
      result = 'Failed';
      message = errorMessage(err);
      deps.log.warn({ repository: name, err }, 'repository maintenance failed');
    }
    const completeTimestamp = kubeTime(deps.clock.now());
    const current = (await deps.cluster.find(REF, name, deps.namespace)) as BackupRepository | undefined;
    if (!current) return;
    await deps.cluster.patchStatus(
      REF,
      target,
      recordMaintenance(current, { result, startTimestamp, completeTimestamp, ...(message ? { message } : {}) }),
    );
  })()
    .catch((err: unknown) => deps.log.error({ repository: name, err }, 'recording repository maintenance failed'))
    .finally(() => running.delete(name));
  running.set(name, run);
  return undefined;
}
