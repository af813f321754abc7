import { Kinds, resourceRef, type Backup } from '../../api/index.ts';
import type { ControllerSpec, ReconcileResult } from '../../controllers/controller.ts';
import type { LocationResolver } from '../../controllers/locations.ts';
import { veleroListType } from '../../controllers/velero-types.ts';
import { deleteBackupRequestFor } from '../../deletion/delete-request.ts';
import { describeDenial, userCan } from '../../kube/access-review.ts';
import type { Cluster } from '../../kube/cluster.ts';
import type { UserIdentity } from '../../kube/impersonation.ts';
import { isRecord, type KubeObject } from '../../kube/object.ts';
import { kubeTime, type Clock } from '../../util/clock.ts';
import type { Logger } from '../../util/log.ts';
import { adoptedFrom, adoptTenantBackup } from './adoption.ts';
import { planTenantBackup } from './backup-plan.ts';
import { liveNamespace } from './namespaces.ts';
import { overCreateRate, type QueuedOperation } from './fair-queue.ts';
import { policyForNamespace, readPolicy, type TenantPolicy } from './policy.ts';
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
import { ensureTenantOwnLocation } from './tenant-own-location.ts';
import type { RepositoryContext } from '../../volumes/repository/open.ts';

const BACKUPS = resourceRef(Kinds.Backup);
const DELETE_REQUESTS = resourceRef(Kinds.DeleteBackupRequest);
const TENANT_BACKUPS = TenantTypes.TenantBackup;
/** How often an unfinished TenantBackup looks at its velero.io Backup. */
const MIRROR_MS = 1000;
/** How often every TenantBackup is looked at again (the fair queue is also run on each change). */
const QUEUE_RESYNC_MS = 30_000;

export interface TenantControllerDeps {
  cluster: Cluster;
  /** The server namespace: velero.io objects made for tenants live here, never in theirs. */
  namespace: string;
  locations: LocationResolver;
  clock: Clock;
  log: Logger;
  /** The key tenant seals are made with (seal-store.ts `ensureSealKey`). */
  sealKey: () => Promise<Buffer>;
  /** Tenant operations of all namespaces running at once (`--concurrent-backups`); default 1. */
  slots?: number | undefined;
  /** Runs a pass of the fair queue of TenantBackups and TenantRestores (operation-queue.ts), coalesced. */
  queue: () => Promise<void>;
  /** How the server opens file-system backup repositories (adoption copies snapshots between them). */
  repositories?: RepositoryContext | undefined;
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
    reconcile: (obj) => reconcileTenantBackup(deps, deps.queue, obj),
    // Waiting backups are looked at again now and then: a policy raising a limit frees them.
    resyncMs: QUEUE_RESYNC_MS,
  };
}

async function reconcileTenantBackup(
  deps: TenantControllerDeps,
  queue: () => Promise<void>,
  seen: KubeObject,
): Promise<ReconcileResult | undefined> {
  const tb = await deps.cluster.find(TENANT_BACKUPS, seen.metadata.name ?? '', seen.metadata.namespace);
  if (!tb) return undefined;
  if (tb.metadata.deletionTimestamp) {
    const next = await finalizeTenantBackup(deps, tb);
    if (!next) await queue();
    return next;
  }
  const phase = phaseOf(tb);
  if (phase === '' || phase === TenantPhase.New) {
    // An admin's adoption of an earlier namespace's backup (adoption.ts) is copied, not run or queued.
    const from = adoptedFrom(tb);
    if (from !== undefined) return adoptTenantBackup(deps, tb, from);
    await admitTenantBackup(deps, tb);
    await queue();
    return undefined;
  }
  if (TERMINAL_PHASES.has(phase)) return undefined;
  // Waiting in the fair queue: the queue pass decides; nothing to look at until then.
  if (!backupNameOf(tb)) {
    await queue();
    return undefined;
  }
  const next = await mirrorTenantBackup(deps, tb);
  // Finished: its slot is free for the next waiting one.
  if (!next) await queue();
  return next;
}

/**
 * A new TenantBackup: checked against its namespace's TenantPolicy and create rate, then put in
 * the fair queue (Queued). Nothing runs yet: the queue pass (`runTenantQueue`) starts it.
 */
async function admitTenantBackup(deps: TenantControllerDeps, tb: KubeObject): Promise<undefined> {
  const namespace = tb.metadata.namespace ?? '';
  const prepared = await prepareTenantBackup(deps, tb);
  if (!prepared) return undefined;
  if ('errors' in prepared) return failValidation(deps, tb, prepared.errors);
  const overRate = await createRateProblem(deps.cluster, tb, prepared.policy);
  if (overRate) return fail(deps, tb, overRate);
  await patchStatus(deps, tb, { phase: TenantPhase.Queued });
  deps.log.info({ namespace, tenantBackup: tb.metadata.name }, 'tenant backup queued');
  return undefined;
}

interface PreparedBackup {
  policy: TenantPolicy;
  namespaceUid: string;
  requester: UserIdentity;
  plan: { namespaces: string[]; veleroSpec: Record<string, unknown> };
  /** The server's BackupStorageLocation the backup goes to. */
  location: string;
}

/**
 * What a TenantBackup would run as today: its policy and plan, or every validation error.
 * Undefined while its namespace is missing or going (nothing to decide then).
 */
async function prepareTenantBackup(
  deps: TenantControllerDeps,
  tb: KubeObject,
): Promise<PreparedBackup | { errors: string[] } | undefined> {
  const namespace = tb.metadata.namespace ?? '';
  const requester = requesterOf(tb);
  if (!requester) return { errors: ['spec.requester is missing: create TenantBackups with skiff tenant'] };
  const ns = await liveNamespace(deps.cluster, namespace);
  const nsUid = ns?.metadata.uid;
  if (!ns || !nsUid || ns.metadata.deletionTimestamp) return undefined;
  const policy = await namespacePolicy(deps.cluster, namespace, ns.metadata.labels);
  if (typeof policy === 'string') return { errors: [policy] };
  if (policy.problems.length > 0) return { errors: policy.problems };
  const plan = planTenantBackup({ namespace, namespaceUid: nsUid, spec: specOf(tb) }, policy, '');
  if ('errors' in plan) return { errors: plan.errors };
  const location = await backupLocation(deps, policy, { name: namespace, uid: nsUid }, specOf(tb));
  if ('error' in location) return { errors: [location.error] };
  return { policy, namespaceUid: nsUid, requester, plan, location: location.name };
}

/**
 * Where a TenantBackup goes: its own approved TenantStorageLocation when `spec.storageLocation`
 * names one, else the TenantPolicy's location; both under `tenants/<namespace UID>/`.
 */
async function backupLocation(
  deps: TenantControllerDeps,
  policy: TenantPolicy,
  tenant: { name: string; uid: string },
  spec: Record<string, unknown>,
): Promise<{ name: string } | { error: string }> {
  const own = spec.storageLocation;
  if (typeof own === 'string' && own !== '') return ensureTenantOwnLocation(deps.cluster, deps.namespace, tenant, own);
  return ensureTenantLocation(deps.cluster, deps.namespace, policy.storageLocation, tenant);
}

/** The TenantPolicy selecting a namespace, or why there is none. */
export async function namespacePolicy(
  cluster: Cluster,
  namespace: string,
  labels: Readonly<Record<string, string>> | undefined,
): Promise<TenantPolicy | string> {
  const policies = [];
  for await (const p of cluster.list(TenantTypes.TenantPolicy)) policies.push(readPolicy(p));
  return policyForNamespace(policies, namespace, labels);
}

/**
 * The refusal of a new tenant operation `obj` when its namespace created more than the policy's
 * `createsPerMinute` (TenantBackups and TenantRestores together) in the minute up to it.
 */
export async function createRateProblem(
  cluster: Cluster,
  obj: KubeObject,
  policy: TenantPolicy,
): Promise<string | undefined> {
  const limit = policy.createsPerMinute;
  const namespace = obj.metadata.namespace ?? '';
  if (limit === undefined) return undefined;
  if (!overCreateRate(operationOf(obj), await tenantOperationsIn(cluster, namespace), limit)) return undefined;
  return `namespace ${namespace} created more than ${limit} tenant operations in a minute (createsPerMinute of TenantPolicy ${policy.name}); create it again later`;
}

/** TenantBackups and TenantRestores of a namespace, as the create rate counts them. */
async function tenantOperationsIn(cluster: Cluster, namespace: string): Promise<QueuedOperation[]> {
  const ops: QueuedOperation[] = [];
  for (const type of [TENANT_BACKUPS, TenantTypes.TenantRestore]) {
    for await (const obj of cluster.list(type, { namespace })) ops.push(operationOf(obj));
  }
  return ops;
}

export function operationOf(obj: KubeObject): QueuedOperation {
  return {
    namespace: obj.metadata.namespace ?? '',
    name: `${obj.kind}/${obj.metadata.name ?? ''}`,
    created: obj.metadata.creationTimestamp ?? '',
  };
}

/**
 * Starts a TenantBackup the fair queue picked: the requester's access is asked again (a
 * RoleBinding removed while it waited fails it), then it is carried by a velero.io Backup in the
 * server namespace, in the namespace's tenant location.
 */
export async function startQueuedBackup(deps: TenantControllerDeps, name: string, namespace: string): Promise<void> {
  const tb = await deps.cluster.find(TENANT_BACKUPS, name, namespace);
  if (!tb || tb.metadata.deletionTimestamp || phaseOf(tb) !== TenantPhase.Queued || backupNameOf(tb)) return;
  const prepared = await prepareTenantBackup(deps, tb);
  if (!prepared) return;
  if ('errors' in prepared) {
    await failValidation(deps, tb, prepared.errors);
    return;
  }
  const { namespaceUid: nsUid, requester, plan } = prepared;
  const denied = await deniedNamespaces(deps.cluster, requester, plan.namespaces);
  if (denied) {
    await fail(deps, tb, `the requester's access was checked again before running: ${denied}`);
    return;
  }
  const location = { name: prepared.location };
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
          [TenantLabels.name]: name,
        },
      },
      spec: { ...plan.veleroSpec, storageLocation: location.name },
    })
    .catch(async (err: unknown) => {
      // Created by an earlier pass that stopped before its status patch.
      if (!(await deps.cluster.find(BACKUPS, backupName, deps.namespace))) throw err;
    });
  // It leaves the tenant queue: no position any more (null removes it in a merge patch).
  await patchStatus(deps, tb, {
    phase: TenantPhase.Queued,
    backupName,
    queuePosition: null,
    waitingReason: null,
    startTimestamp: kubeTime(deps.clock.now()),
  });
  deps.log.info({ namespace, tenantBackup: name, backup: backupName }, 'tenant backup started');
}

function backupNameOf(tb: KubeObject): string | undefined {
  const name = isRecord(tb.status) ? tb.status.backupName : undefined;
  return typeof name === 'string' && name !== '' ? name : undefined;
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

type Named = Pick<KubeObject, 'metadata'>;

async function failValidation(deps: TenantControllerDeps, tb: Named, errors: string[]): Promise<undefined> {
  deps.log.info(
    { namespace: tb.metadata.namespace, tenantBackup: tb.metadata.name, errors },
    'tenant backup failed validation',
  );
  await patchStatus(deps, tb, {
    phase: TenantPhase.FailedValidation,
    validationErrors: errors,
    queuePosition: null,
    waitingReason: null,
  });
  return undefined;
}

async function fail(deps: TenantControllerDeps, tb: Named, reason: string): Promise<undefined> {
  deps.log.info({ namespace: tb.metadata.namespace, tenantBackup: tb.metadata.name, reason }, 'tenant backup failed');
  await patchStatus(deps, tb, {
    phase: TenantPhase.Failed,
    failureReason: reason,
    queuePosition: null,
    waitingReason: null,
    completionTimestamp: kubeTime(deps.clock.now()),
  });
  return undefined;
}

function patchStatus(deps: TenantControllerDeps, tb: Named, status: Record<string, unknown>): Promise<KubeObject> {
  return deps.cluster.patchStatus(
    TENANT_BACKUPS,
    { name: tb.metadata.name ?? '', namespace: tb.metadata.namespace },
    status,
  );
}
