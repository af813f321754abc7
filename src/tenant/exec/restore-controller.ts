import { Kinds, Labels, resourceRef, type Backup, type Restore } from '../../api/index.ts';
import type { ControllerSpec, ReconcileResult } from '../../controllers/controller.ts';
import { veleroListType } from '../../controllers/velero-types.ts';
import { isRecord, type KubeObject } from '../../kube/object.ts';
import { runRestore } from '../../restore/index.ts';
import type { BackupStore } from '../../storage/index.ts';
import { kubeTime } from '../../util/clock.ts';
import { errorMessage } from '../../util/errors.ts';
import { createRateProblem, namespacePolicy, type TenantControllerDeps } from './backup-controller.ts';
import { liveNamespace } from './namespaces.ts';
import { TenantRestoreWrites } from './recording-cluster.ts';
import { clusterScopedItems, controllerWrittenLeftOut, itemsOfKinds, planTenantRestore } from './restore-plan.ts';
import { restoreConsentProblem } from './restore-source.ts';
import {
  phaseOf,
  requesterOf,
  specOf,
  TenantLabels,
  isTenantLocationOf,
  TenantPhase,
  TenantTypes,
  veleroBackupNameOf,
} from './resources.ts';
import { verifySealExceptTarball } from './seal-store.ts';
import { TamperedBackupError, TARBALL_CHANGED } from './seal.ts';

const BACKUPS = resourceRef(Kinds.Backup);
const PVRS = veleroListType(Kinds.PodVolumeRestore);
const DDS = veleroListType(Kinds.DataDownload);
const TENANT_RESTORES = TenantTypes.TenantRestore;
const FINISHED_BACKUP = new Set(['Completed', 'PartiallyFailed']);
/** How often every TenantRestore is looked at again (the queue is also run on each change). */
const QUEUE_RESYNC_MS = 30_000;

/**
 * TenantRestore (issue 17): lives in the target namespace. A new one is checked against the
 * create rate, then waits in the tenant fair queue with the TenantBackups (operation-queue.ts:
 * maxConcurrent, maxQueued and its tenant-local queuePosition apply to it). Before it runs: the requester's
 * access is asked again (create here; `get` on the backup, or an unexpired RestoreGrant of the
 * source namespace), the backup must belong to the source namespace's live UID, and its seal
 * must hold (an edited or planted backup restores nothing). Then the restore runs with reads as
 * the server and every write impersonating the requester: what the API server refuses them
 * (403) is named in status.skipped, as are cluster-scoped items, which are never restored.
 */
export function tenantRestoreController(deps: TenantControllerDeps): ControllerSpec {
  return {
    name: 'tenant-restore',
    type: TENANT_RESTORES,
    namespace: '',
    reconcile: (obj) => reconcileTenantRestore(deps, obj),
    // Waiting restores are looked at again now and then: a policy raising a limit frees them.
    resyncMs: QUEUE_RESYNC_MS,
  };
}

async function reconcileTenantRestore(
  deps: TenantControllerDeps,
  seen: KubeObject,
): Promise<ReconcileResult | undefined> {
  const tr = await deps.cluster.find(TENANT_RESTORES, seen.metadata.name ?? '', seen.metadata.namespace);
  if (!tr || tr.metadata.deletionTimestamp) {
    await deps.queue();
    return undefined;
  }
  const phase = phaseOf(tr);
  if (phase === '' || phase === TenantPhase.New) await admitTenantRestore(deps, tr);
  // Picked by the queue (it holds a slot from then): it runs now.
  else if (phase === TenantPhase.Queued && pickedAt(tr)) await runTenantRestore(deps, tr);
  // One left InProgress by a stopped server is not resumed half-way as another user: it fails.
  else if (phase === TenantPhase.InProgress)
    await fail(deps, tr, 'the server stopped while the restore ran; create it again');
  await deps.queue();
  return undefined;
}

/** When the fair queue picked a Queued restore; undefined while it waits. */
function pickedAt(tr: KubeObject): string | undefined {
  const at = isRecord(tr.status) ? tr.status.startTimestamp : undefined;
  return typeof at === 'string' && at !== '' ? at : undefined;
}

/** A new TenantRestore: refused over the create rate, else put in the fair queue (Queued). */
async function admitTenantRestore(deps: TenantControllerDeps, tr: KubeObject): Promise<void> {
  const overRate = await restoreRateProblem(deps, tr);
  if (overRate) {
    await fail(deps, tr, overRate);
    return;
  }
  await patchStatus(deps, tr, { phase: TenantPhase.Queued });
  deps.log.info({ namespace: tr.metadata.namespace, tenantRestore: tr.metadata.name }, 'tenant restore queued');
}

interface ResolvedSource {
  backup: Backup;
  namespaceUid: string;
  veleroSpec: Record<string, unknown>;
}

/** Everything checked before a write: the refusal, or the backup to restore. */
async function resolveSource(
  deps: TenantControllerDeps,
  tr: KubeObject,
): Promise<ResolvedSource | { problem: string; validation?: boolean }> {
  const target = tr.metadata.namespace ?? '';
  const requester = requesterOf(tr);
  if (!requester)
    return { problem: 'spec.requester is missing: create TenantRestores with skiff tenant', validation: true };
  const ref = specOf(tr).backupRef as { namespace?: string; name?: string } | undefined;
  const source = ref?.namespace || target;
  const tb = ref?.name ? await deps.cluster.find(TenantTypes.TenantBackup, ref.name, source) : undefined;
  if (!tb)
    return {
      problem: `spec.backupRef: TenantBackup ${ref?.name ?? ''} not found in namespace ${source}`,
      validation: true,
    };
  const backupName = veleroBackupNameOf(tb);
  const plan = planTenantRestore(specOf(tr), target, backupName);
  if ('errors' in plan) return { problem: plan.errors.join('; '), validation: true };
  if (!FINISHED_BACKUP.has(phaseOf(tb)))
    return { problem: `TenantBackup ${source}/${plan.ref.name} has not finished`, validation: true };
  const grants: KubeObject[] = [];
  for await (const g of deps.cluster.list(TenantTypes.RestoreGrant, { namespace: source })) grants.push(g);
  const refused = await restoreConsentProblem(deps.cluster, requester, plan.ref, target, {
    items: grants,
    now: deps.clock.now(),
  });
  if (refused) return { problem: `the requester's access was checked again before running: ${refused}` };
  // Ownership: the live namespace's UID decides, never the bucket.
  const ns = await liveNamespace(deps.cluster, source);
  const uid = ns?.metadata.uid ?? '';
  const backup = (await deps.cluster.find(BACKUPS, backupName, deps.namespace)) as Backup | undefined;
  if (
    !backup ||
    backup.metadata.labels?.[TenantLabels.namespaceUid] !== uid ||
    !isTenantLocationOf(backup.spec.storageLocation, uid)
  ) {
    return { problem: `backup ${plan.ref.name} does not belong to namespace ${source}` };
  }
  return { backup, namespaceUid: uid, veleroSpec: plan.veleroSpec };
}

/** The create-rate refusal of the target namespace's TenantPolicy, if any. */
async function restoreRateProblem(deps: TenantControllerDeps, tr: KubeObject): Promise<string | undefined> {
  const target = tr.metadata.namespace ?? '';
  const ns = await liveNamespace(deps.cluster, target);
  const policy = await namespacePolicy(deps.cluster, target, ns?.metadata.labels);
  return typeof policy === 'string' ? undefined : createRateProblem(deps.cluster, tr, policy);
}

/** A failed restore's reason: an integrity failure says so itself, and that nothing was restored. */
function restoreFailure(err: unknown): string {
  return err instanceof TamperedBackupError ? errorMessage(err) : `restore failed: ${errorMessage(err)}`;
}

async function runTenantRestore(deps: TenantControllerDeps, tr: KubeObject): Promise<void> {
  const resolved = await resolveSource(deps, tr);
  if ('problem' in resolved) {
    if (resolved.validation)
      await patchStatus(deps, tr, { phase: TenantPhase.FailedValidation, validationErrors: [resolved.problem] });
    else await fail(deps, tr, resolved.problem);
    return;
  }
  const { backup, namespaceUid, veleroSpec } = resolved;
  const backupName = backup.metadata.name ?? '';
  const locationStore = await deps.locations.store(await deps.locations.get(backup.spec.storageLocation ?? ''));
  // From here on, the metadata and companion files are the bytes the seal check read (`checked`).
  let sealedContent: string;
  let store: BackupStore;
  try {
    ({ contentDigest: sealedContent, checked: store } = await verifySealExceptTarball(
      locationStore,
      backupName,
      await deps.sealKey(),
      namespaceUid,
    ));
  } catch (err) {
    await fail(deps, tr, errorMessage(err));
    return;
  }
  const requester = requesterOf(tr);
  if (!requester) return;
  await patchStatus(deps, tr, { phase: TenantPhase.InProgress });
  const writes = new TenantRestoreWrites(
    deps.cluster.client.impersonating(requester),
    deps.cluster,
    tr.metadata.namespace,
  );
  const restore: Restore = {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    // The TenantRestore's uid names the run: the pods' restore-wait helpers and the
    // PodVolumeRestores that write their volume data use it.
    metadata: { name: `tenant-${tr.metadata.uid ?? ''}`, namespace: deps.namespace, uid: tr.metadata.uid ?? '' },
    spec: veleroSpec,
  };
  let outcome;
  try {
    outcome = await runRestore(
      {
        cluster: deps.cluster,
        writeCluster: writes,
        store,
        clock: deps.clock,
        veleroNamespace: deps.namespace,
        restoreNotStored: true,
        expectedContent: {
          sha256: sealedContent,
          mismatch: () => new TamperedBackupError(backupName, TARBALL_CHANGED),
        },
      },
      restore,
    );
  } catch (err) {
    await fail(deps, tr, restoreFailure(err));
    return;
  } finally {
    await deletePodVolumeRestores(deps, tr.metadata.uid ?? '');
  }
  const skipped = [
    ...notRestored(await store.getBackupFile(backupName, 'resourceList').catch(() => undefined), tr),
    ...writes.refused.map((i) => ({
      ...i,
      reason: `refused by the API server for ${requester.username}: ${i.reason}`,
    })),
  ];
  await patchStatus(deps, tr, {
    phase: outcome.phase ?? TenantPhase.Failed,
    itemsRestored: outcome.progress?.itemsRestored ?? 0,
    totalItems: outcome.progress?.totalItems ?? 0,
    warnings: outcome.warnings ?? 0,
    errors: outcome.errors ?? 0,
    ...(outcome.failureReason ? { failureReason: outcome.failureReason } : {}),
    completionTimestamp: outcome.completionTimestamp ?? kubeTime(deps.clock.now()),
    skipped,
  });
  deps.log.info(
    { namespace: tr.metadata.namespace, tenantRestore: tr.metadata.name, phase: outcome.phase },
    'tenant restore finished',
  );
}

/** The backup's items a tenant restore leaves out by design, each with the reason. */
function notRestored(resourceList: unknown, tr: KubeObject): { kind: string; name: string; reason: string }[] {
  const clusterScoped = clusterScopedItems(resourceList).map((i) => ({
    ...i,
    reason: 'cluster-scoped kinds are never restored for tenants',
  }));
  const leftOut = controllerWrittenLeftOut(isRecord(tr.spec) ? tr.spec : {}).map((k) => k.gvk);
  const controllerWritten = itemsOfKinds(resourceList, leftOut).map((i) => ({
    ...i,
    reason: 'written again by its controller; name it in spec.includedResources to restore it anyway',
  }));
  return [...clusterScoped, ...controllerWritten];
}

/**
 * The run's PodVolumeRestores, finished (or given up on by the wait): nothing owns them (the
 * TenantRestore is in another namespace), so they are removed here, as a Restore's deletion
 * removes its own.
 */
async function deletePodVolumeRestores(deps: TenantControllerDeps, restoreUid: string): Promise<void> {
  if (restoreUid === '') return;
  const labelSelector = `${Labels.RestoreUID}=${restoreUid}`;
  try {
    for await (const pvr of deps.cluster.list(PVRS, { namespace: deps.namespace, labelSelector })) {
      await deps.cluster.delete(resourceRef(Kinds.PodVolumeRestore), pvr.metadata.name ?? '', deps.namespace);
    }
    // DataDownloads too: the in-memory Restore owns none of them (data-downloads.ts).
    for await (const dd of deps.cluster.list(DDS, { namespace: deps.namespace, labelSelector })) {
      await deps.cluster.delete(resourceRef(Kinds.DataDownload), dd.metadata.name ?? '', deps.namespace);
    }
  } catch (err) {
    deps.log.warn({ restoreUid, err }, 'could not delete a tenant restore’s pod volume restores or data downloads');
  }
}

async function fail(deps: TenantControllerDeps, tr: KubeObject, reason: string): Promise<void> {
  deps.log.info({ namespace: tr.metadata.namespace, tenantRestore: tr.metadata.name, reason }, 'tenant restore failed');
  await patchStatus(deps, tr, {
    phase: TenantPhase.Failed,
    failureReason: reason,
    queuePosition: null,
    waitingReason: null,
    completionTimestamp: kubeTime(deps.clock.now()),
  });
}

function patchStatus(deps: TenantControllerDeps, tr: KubeObject, status: Record<string, unknown>): Promise<KubeObject> {
  return deps.cluster.patchStatus(
    TENANT_RESTORES,
    { name: tr.metadata.name ?? '', namespace: tr.metadata.namespace },
    status,
  );
}
