import { Kinds, Labels, resourceRef, type Backup } from '../api/index.ts';
import { deleteBackupRequestFor, deleteRequestSelector } from '../deletion/delete-request.ts';
import { decideGc, gcPrecheck, gcRetryMs, type GcDecision } from '../deletion/gc-decision.ts';
import { backupLocationName, readLocationState } from '../deletion/location-state.ts';
import type { Cluster } from '../kube/cluster.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { ControllerSpec, ReconcileResult } from './controller.ts';
import type { LocationResolver } from './locations.ts';
import { veleroListType } from './velero-types.ts';

export interface GcControllerDeps {
  cluster: Cluster;
  namespace: string;
  locations: LocationResolver;
  clock: Clock;
  log: Logger;
  /** `--garbage-collection-frequency` in milliseconds (already defaulted: 0 is not allowed here). */
  frequencyMs: number;
}

const BACKUPS = veleroListType(Kinds.Backup);
const RESTORES = veleroListType(Kinds.Restore);
const REQUESTS = veleroListType(Kinds.DeleteBackupRequest);

/**
 * Garbage collection (reference §5.2): each Backup is looked at when it appears and every
 * `--garbage-collection-frequency`; an expired one is deleted through a DeleteBackupRequest,
 * so storage goes first and the Backup object last, exactly as `skiff backup delete` does.
 * The decision is `decideGc`; this only gathers its inputs and carries it out.
 */
export function gcController(deps: GcControllerDeps): ControllerSpec {
  return {
    name: 'gc',
    type: BACKUPS,
    namespace: deps.namespace,
    resyncMs: deps.frequencyMs,
    reconcile: (obj) => reconcile(deps, obj as Backup),
  };
}

async function reconcile(deps: GcControllerDeps, seen: Backup): Promise<ReconcileResult | undefined> {
  const now = deps.clock.now();
  // Most backups have not expired: decided without a single API call.
  if (gcPrecheck(seen, now)) return undefined;
  const name = seen.metadata.name ?? '';
  // The requests first, then the Backup as it is now, not the informer's copy: a successful deletion
  // removes the Backup before it marks its request Processed, so read in this order a Processed request
  // beside a Backup still there means the deletion failed (and is asked again). With the informer's copy,
  // which could predate the deletion, a finished request made a second one for a Backup already gone,
  // and that one stayed, refused as "not found".
  const phases = await requestPhases(deps, seen);
  const backup = (await deps.cluster.find(resourceRef(Kinds.Backup), name, deps.namespace)) as Backup | undefined;
  if (!backup || gcPrecheck(backup, now)) return undefined;
  const decision = decideGc(
    {
      backup,
      location: await readLocationState(deps.locations, backupLocationName(backup)),
      restores: await restoresOf(deps, name),
      requestPhases: phases,
    },
    now,
  );
  return carryOut(deps, backup, decision);
}

async function carryOut(deps: GcControllerDeps, backup: Backup, d: GcDecision): Promise<ReconcileResult | undefined> {
  const name = backup.metadata.name ?? '';
  const log = deps.log.child({ backup: name });
  switch (d.action) {
    case 'keep':
      return undefined;
    case 'mark': {
      // Said at warn level once, when the label is set; every later pass repeats it at debug level.
      const changed = await setFailureLabel(deps, backup, d.label);
      const fields = { label: `${Labels.GCFailure}=${d.label}`, reason: d.reason };
      if (changed) log.warn(fields, 'expired backup not deleted');
      else log.debug(fields, 'expired backup still not deleted');
      return undefined;
    }
    case 'retry':
      if (d.clearLabel) await setFailureLabel(deps, backup, null);
      log.info({ reason: d.reason }, 'expired backup not deleted yet; will look again');
      return { requeueAfterMs: gcRetryMs(deps.frequencyMs) };
    case 'pending':
      if (d.clearLabel) await setFailureLabel(deps, backup, null);
      return undefined;
    case 'delete': {
      if (d.clearLabel) await setFailureLabel(deps, backup, null);
      const request = deleteBackupRequestFor({
        ...backup,
        metadata: { ...backup.metadata, namespace: deps.namespace },
      });
      const created = await deps.cluster.create(resourceRef(Kinds.DeleteBackupRequest), request);
      log.info(
        { request: created.metadata.name, expiration: backup.status?.expiration },
        'expired backup: deletion requested',
      );
      return undefined;
    }
  }
}

/** Sets (or, with null, removes) `velero.io/gc-failure`; no write when it already says so. Returns whether it wrote. */
async function setFailureLabel(deps: GcControllerDeps, backup: Backup, value: string | null): Promise<boolean> {
  const current = backup.metadata.labels?.[Labels.GCFailure];
  if ((current ?? null) === value) return false;
  await deps.cluster.patch(
    resourceRef(Kinds.Backup),
    { name: backup.metadata.name ?? '', namespace: deps.namespace },
    'merge',
    { metadata: { labels: { [Labels.GCFailure]: value } } },
  );
  return true;
}

async function restoresOf(deps: GcControllerDeps, backupName: string): Promise<{ name: string; phase?: string }[]> {
  const out: { name: string; phase?: string }[] = [];
  for await (const r of deps.cluster.list(RESTORES, { namespace: deps.namespace })) {
    if ((r.spec as { backupName?: string } | undefined)?.backupName !== backupName) continue;
    const phase = (r.status as { phase?: string } | undefined)?.phase;
    out.push({ name: r.metadata.name ?? '', ...(phase !== undefined ? { phase } : {}) });
  }
  return out;
}

async function requestPhases(deps: GcControllerDeps, backup: Backup): Promise<(string | undefined)[]> {
  const labelSelector = deleteRequestSelector(backup.metadata.name ?? '', backup.metadata.uid);
  const phases: (string | undefined)[] = [];
  for await (const r of deps.cluster.list(REQUESTS, { namespace: deps.namespace, labelSelector })) {
    phases.push((r.status as { phase?: string } | undefined)?.phase);
  }
  return phases;
}
