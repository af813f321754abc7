import { Kinds, resourceRef, type Backup } from '../../api/index.ts';
import type { ControllerSpec, ReconcileResult } from '../../controllers/controller.ts';
import type { LocationResolver } from '../../controllers/locations.ts';
import { veleroListType } from '../../controllers/velero-types.ts';
import { deleteBackupRequestFor } from '../../deletion/delete-request.ts';
import { describeDenial, userCan } from '../../kube/access-review.ts';
import type { Cluster } from '../../kube/cluster.ts';
import type { UserIdentity } from '../../kube/impersonation.ts';
import type { KubeObject } from '../../kube/object.ts';
import { kubeTime, type Clock } from '../../util/clock.ts';
import type { Logger } from '../../util/log.ts';
import { adoptedFrom, adoptTenantBackup } from './adoption.ts';
import { planTenantBackup } from './backup-plan.ts';
import { liveNamespace } from './namespaces.ts';
import { policyForNamespace, readPolicy, unenforcedPolicyFields } from './policy.ts';
import {
  phaseOf,
  requesterOf,
  specOf,
  TENANT_BACKUP_FINALIZER,
  TENANT_GROUP,
  TenantLabels,
  TenantPhase,
  TenantTypes,
  TERMINAL_PHASES,
  veleroBackupNameOf,
} from './resources.ts';
import { sealBackup } from './seal-store.ts';
import { ensureTenantLocation } from './tenant-location.ts';

const BACKUPS = resourceRef(Kinds.Backup);
const DELETE_REQUESTS = resourceRef(Kinds.DeleteBackupRequest);
const TENANT_BACKUPS = TenantTypes.TenantBackup;
/** How often an unfinished TenantBackup looks at its velero.io Backup. */
const MIRROR_MS = 1000;

export interface TenantControllerDeps {
  cluster: Cluster;
  /** The server namespace: velero.io objects made for tenants live here, never in theirs. */
  namespace: string;
  locations: LocationResolver;
  clock: Clock;
  log: Logger;
  /** The key tenant seals are made with (seal-store.ts `ensureSealKey`). */
  sealKey: () => Promise<Buffer>;
}

/**
 * TenantBackup (issue 17): validated against the namespace's TenantPolicy, the requester's
 * access checked again (SubjectAccessReview) right before it runs, then carried by a velero.io
 * Backup in the server namespace, limited to the authorised namespaces, without cluster
 * resources, stored under `tenants/<namespace UID>/` of the policy's location. Its status
 * mirrors that Backup's; once finished the backup is sealed (seal.ts). Deleting a TenantBackup
 * deletes its bucket objects through a DeleteBackupRequest, except while its namespace is being
 * deleted: those backups are kept for an admin to adopt.
 */
export function tenantBackupController(deps: TenantControllerDeps): ControllerSpec {
  return {
    name: 'tenant-backup',
    type: TENANT_BACKUPS,
    namespace: '',
    reconcile: (obj) => reconcileTenantBackup(deps, obj),
  };
}

async function reconcileTenantBackup(
  deps: TenantControllerDeps,
  seen: KubeObject,
): Promise<ReconcileResult | undefined> {
  const tb = await deps.cluster.find(TENANT_BACKUPS, seen.metadata.name ?? '', seen.metadata.namespace);
  if (!tb) return undefined;
  if (tb.metadata.deletionTimestamp) return finalizeTenantBackup(deps, tb);
  const phase = phaseOf(tb);
  if (phase === '' || phase === TenantPhase.New) {
    // An admin's adoption of an earlier namespace's backup (adoption.ts) is copied, not run.
    const from = adoptedFrom(tb);
    return from === undefined ? startTenantBackup(deps, tb) : adoptTenantBackup(deps, tb, from);
  }
  if (!TERMINAL_PHASES.has(phase)) return mirrorTenantBackup(deps, tb);
  return undefined;
}

async function startTenantBackup(deps: TenantControllerDeps, tb: KubeObject): Promise<ReconcileResult | undefined> {
  const namespace = tb.metadata.namespace ?? '';
  const requester = requesterOf(tb);
  if (!requester)
    return failValidation(deps, tb, ['spec.requester is missing: create TenantBackups with skiff tenant']);
  const ns = await liveNamespace(deps.cluster, namespace);
  const nsUid = ns?.metadata.uid;
  if (!ns || !nsUid || ns.metadata.deletionTimestamp) return undefined;
  const policies = [];
  for await (const p of deps.cluster.list(TenantTypes.TenantPolicy)) policies.push(readPolicy(p));
  const policy = policyForNamespace(policies, namespace, ns.metadata.labels);
  if (typeof policy === 'string') return failValidation(deps, tb, [policy]);
  const unenforced = unenforcedPolicyFields(policy);
  if (unenforced.length > 0) return failValidation(deps, tb, unenforced);
  const plan = planTenantBackup({ namespace, namespaceUid: nsUid, spec: specOf(tb) }, policy, '');
  if ('errors' in plan) return failValidation(deps, tb, plan.errors);
  const denied = await deniedNamespaces(deps.cluster, requester, plan.namespaces);
  if (denied) return fail(deps, tb, `the requester's access was checked again before running: ${denied}`);
  const location = await ensureTenantLocation(deps.cluster, deps.namespace, policy.storageLocation, {
    name: namespace,
    uid: nsUid,
  });
  if ('error' in location) return fail(deps, tb, location.error);
  await addFinalizer(deps, tb);
  const backupName = veleroBackupNameOf(tb);
  await deps.cluster
    .create(BACKUPS, {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: {
        name: backupName,
        namespace: deps.namespace,
        labels: {
          [TenantLabels.namespaceUid]: nsUid,
          [TenantLabels.namespace]: namespace,
          [TenantLabels.name]: tb.metadata.name ?? '',
        },
      },
      spec: { ...plan.veleroSpec, storageLocation: location.name },
    })
    .catch(async (err: unknown) => {
      // Created by an earlier reconcile that stopped before its status patch.
      if (!(await deps.cluster.find(BACKUPS, backupName, deps.namespace))) throw err;
    });
  await patchStatus(deps, tb, { phase: TenantPhase.Queued, backupName });
  deps.log.info({ namespace, tenantBackup: tb.metadata.name, backup: backupName }, 'tenant backup queued');
  return { requeueAfterMs: MIRROR_MS };
}

/** The first namespace the requester may not back up, described; undefined when all are allowed. */
export async function deniedNamespaces(
  cluster: Cluster,
  requester: UserIdentity,
  namespaces: readonly string[],
): Promise<string | undefined> {
  for (const namespace of namespaces) {
    const attrs = { verb: 'create', group: TENANT_GROUP, resource: 'tenantbackups', namespace };
    const decision = await userCan(cluster, requester, attrs);
    if (!decision.allowed) return describeDenial(requester, attrs, decision);
  }
  return undefined;
}

/** Copies the velero.io Backup's progress and outcome; seals a finished backup first. */
async function mirrorTenantBackup(deps: TenantControllerDeps, tb: KubeObject): Promise<ReconcileResult | undefined> {
  const backup = (await deps.cluster.find(BACKUPS, veleroBackupNameOf(tb), deps.namespace)) as Backup | undefined;
  if (!backup) return fail(deps, tb, 'its backup was deleted before it finished');
  const status = backup.status ?? {};
  switch (status.phase) {
    case 'Completed':
    case 'PartiallyFailed':
      return finishTenantBackup(deps, tb, backup);
    case 'Failed':
    case 'FailedValidation':
      await patchStatus(deps, tb, {
        ...countsOf(status),
        phase: status.phase,
        failureReason: status.failureReason ?? 'the backup failed',
        ...(status.validationErrors ? { validationErrors: status.validationErrors } : {}),
        completionTimestamp: status.completionTimestamp ?? kubeTime(deps.clock.now()),
      });
      return undefined;
    case undefined:
    case 'New':
    case 'Queued':
      if (phaseOf(tb) !== TenantPhase.Queued) await patchStatus(deps, tb, { phase: TenantPhase.Queued });
      return { requeueAfterMs: MIRROR_MS };
    default:
      await patchStatus(deps, tb, { ...countsOf(status), phase: TenantPhase.InProgress });
      return { requeueAfterMs: MIRROR_MS };
  }
}

/** Progress and start time, as far as the Backup has them. */
function countsOf(status: NonNullable<Backup['status']>): Record<string, unknown> {
  return {
    ...(status.progress?.itemsBackedUp !== undefined ? { itemsBackedUp: status.progress.itemsBackedUp } : {}),
    ...(status.progress?.totalItems !== undefined ? { totalItems: status.progress.totalItems } : {}),
    ...(status.startTimestamp ? { startTimestamp: status.startTimestamp } : {}),
  };
}

/** Seals the finished backup in its tenant location, then reports it with its content digest. */
async function finishTenantBackup(deps: TenantControllerDeps, tb: KubeObject, backup: Backup): Promise<undefined> {
  const status = backup.status ?? {};
  const nsUid = backup.metadata.labels?.[TenantLabels.namespaceUid] ?? '';
  const store = await deps.locations.store(await deps.locations.get(backup.spec.storageLocation ?? ''));
  const { contentDigest } = await sealBackup(store, backup.metadata.name ?? '', await deps.sealKey(), nsUid);
  await patchStatus(deps, tb, {
    ...countsOf(status),
    phase: status.phase,
    warnings: status.warnings ?? 0,
    errors: status.errors ?? 0,
    ...(status.completionTimestamp ? { completionTimestamp: status.completionTimestamp } : {}),
    ...(status.expiration ? { expiration: status.expiration } : {}),
    contentDigest,
  });
  deps.log.info(
    { namespace: tb.metadata.namespace, tenantBackup: tb.metadata.name, phase: status.phase },
    'tenant backup finished and sealed',
  );
  return undefined;
}

async function finalizeTenantBackup(deps: TenantControllerDeps, tb: KubeObject): Promise<ReconcileResult | undefined> {
  if (!(tb.metadata.finalizers ?? []).includes(TENANT_BACKUP_FINALIZER)) return undefined;
  const ns = await liveNamespace(deps.cluster, tb.metadata.namespace ?? '');
  // The namespace itself is going: its backups stay, under its old UID, until an admin adopts them.
  const namespaceGoing = !ns || ns.metadata.deletionTimestamp !== undefined;
  const name = veleroBackupNameOf(tb);
  const backup = (await deps.cluster.find(BACKUPS, name, deps.namespace)) as Backup | undefined;
  if (backup && !namespaceGoing) {
    if (!(await deletionRequested(deps, name))) {
      await deps.cluster.create(DELETE_REQUESTS, deleteBackupRequestFor(backup));
      deps.log.info(
        { namespace: tb.metadata.namespace, tenantBackup: tb.metadata.name, backup: name },
        'deleting a tenant backup',
      );
    }
    return { requeueAfterMs: MIRROR_MS };
  }
  const finalizers = (tb.metadata.finalizers ?? []).filter((f) => f !== TENANT_BACKUP_FINALIZER);
  await deps.cluster.patch(
    TENANT_BACKUPS,
    { name: tb.metadata.name ?? '', namespace: tb.metadata.namespace },
    'merge',
    { metadata: { finalizers, resourceVersion: tb.metadata.resourceVersion } },
  );
  return undefined;
}

async function deletionRequested(deps: TenantControllerDeps, backupName: string): Promise<boolean> {
  for await (const r of deps.cluster.list(veleroListType(Kinds.DeleteBackupRequest), { namespace: deps.namespace })) {
    const spec = specOf(r);
    const phase = phaseOf(r);
    if (spec.backupName === backupName && phase !== 'Processed') return true;
  }
  return false;
}

async function addFinalizer(deps: TenantControllerDeps, tb: KubeObject): Promise<void> {
  const finalizers = tb.metadata.finalizers ?? [];
  if (finalizers.includes(TENANT_BACKUP_FINALIZER)) return;
  await deps.cluster.patch(
    TENANT_BACKUPS,
    { name: tb.metadata.name ?? '', namespace: tb.metadata.namespace },
    'merge',
    {
      metadata: { finalizers: [...finalizers, TENANT_BACKUP_FINALIZER], resourceVersion: tb.metadata.resourceVersion },
    },
  );
}

async function failValidation(deps: TenantControllerDeps, tb: KubeObject, errors: string[]): Promise<undefined> {
  deps.log.info(
    { namespace: tb.metadata.namespace, tenantBackup: tb.metadata.name, errors },
    'tenant backup failed validation',
  );
  await patchStatus(deps, tb, { phase: TenantPhase.FailedValidation, validationErrors: errors });
  return undefined;
}

async function fail(deps: TenantControllerDeps, tb: KubeObject, reason: string): Promise<undefined> {
  deps.log.info({ namespace: tb.metadata.namespace, tenantBackup: tb.metadata.name, reason }, 'tenant backup failed');
  await patchStatus(deps, tb, {
    phase: TenantPhase.Failed,
    failureReason: reason,
    completionTimestamp: kubeTime(deps.clock.now()),
  });
  return undefined;
}

function patchStatus(deps: TenantControllerDeps, tb: KubeObject, status: Record<string, unknown>): Promise<KubeObject> {
  return deps.cluster.patchStatus(
    TENANT_BACKUPS,
    { name: tb.metadata.name ?? '', namespace: tb.metadata.namespace },
    status,
  );
}
