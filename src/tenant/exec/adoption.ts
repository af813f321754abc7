/**
 * Adoption (issue 17 §5, acceptance 9): a namespace deleted and recreated under the same name
 * has a new UID, and the backups made under the old one stay invisible to it until an admin
 * adopts them. Ownership stays keyed by namespace UID in Skiff's index (the velero.io Backups of
 * the server namespace, which tenants cannot touch); the bucket is never trusted for it.
 *
 * The admin's approval is an annotation on the old velero.io Backup (`skiff tenant adopt`
 * writes it): `<namespace>/<new namespace UID>/<TenantBackup name>`. The TenantBackup then made
 * in the new namespace names the old Backup (annotation `adopted-from`). The server acts only
 * when both agree and the live namespace has that UID, so a tenant who copies the annotation
 * gets a TenantBackup that fails validation, never another namespace's data. It checks the old
 * seal (under the old UID), copies the backup under `tenants/<new UID>/` with the new
 * TenantBackup's name, re-seals it under the new UID and records it as a velero.io Backup of
 * the new namespace: from then on it is an ordinary tenant backup of that namespace.
 */
import { Kinds, resourceRef, type Backup } from '../../api/index.ts';
import type { ReconcileResult } from '../../controllers/controller.ts';
import { isAlreadyExists } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { readAll } from '../../storage/object-store.ts';
import type { BackupStore } from '../../storage/index.ts';
import { kubeTime } from '../../util/clock.ts';
import { errorMessage } from '../../util/errors.ts';
import type { TenantControllerDeps } from './backup-controller.ts';
import { liveNamespace } from './namespaces.ts';
import { policyForNamespace, readPolicy } from './policy.ts';
import {
  TENANT_BACKUP_FINALIZER,
  TenantLabels,
  isTenantLocationOf,
  TenantPhase,
  TenantTypes,
  veleroBackupNameOf,
} from './resources.ts';
import { TamperedBackupError } from './seal.ts';
import { sealBackup, verifyBackupSeal } from './seal-store.ts';
import { ensureTenantLocation } from './tenant-location.ts';

export const AdoptionAnnotations = {
  /** On the old velero.io Backup, by an admin: `<namespace>/<new namespace UID>/<TenantBackup name>`. */
  adoptInto: 'tenant.skiff.dev/adopt-into',
  /** On the old velero.io Backup, by the server: the UID of the TenantBackup that adopted it. */
  adoptedAs: 'tenant.skiff.dev/adopted-as',
  /** On the new TenantBackup and its velero.io Backup: the old velero.io Backup's name. */
  adoptedFrom: 'tenant.skiff.dev/adopted-from',
} as const;

/** The admin's approval value for adopting into TenantBackup `name` of namespace `namespace` (UID `uid`). */
export function adoptionApproval(namespace: string, uid: string, name: string): string {
  return `${namespace}/${uid}/${name}`;
}

const BACKUPS = resourceRef(Kinds.Backup);
const FINISHED = new Set(['Completed', 'PartiallyFailed']);

export function adoptedFrom(tb: KubeObject): string | undefined {
  return tb.metadata.annotations?.[AdoptionAnnotations.adoptedFrom];
}

/** Carries out the adoption a new TenantBackup asks for; the TenantBackup ends Completed or refused. */
export async function adoptTenantBackup(
  deps: TenantControllerDeps,
  tb: KubeObject,
  from: string,
): Promise<ReconcileResult | undefined> {
  const namespace = tb.metadata.namespace ?? '';
  const ns = await liveNamespace(deps.cluster, namespace);
  const uid = ns?.metadata.uid;
  if (!ns || !uid || ns.metadata.deletionTimestamp) return undefined;
  const old = (await deps.cluster.find(BACKUPS, from, deps.namespace)) as Backup | undefined;
  const refused = adoptionProblem(old, from, adoptionApproval(namespace, uid, tb.metadata.name ?? ''), tb, uid);
  if (refused || !old) return patch(deps, tb, { phase: TenantPhase.FailedValidation, validationErrors: [refused] });
  const oldUid = old.metadata.labels?.[TenantLabels.namespaceUid] ?? '';
  await deps.cluster.patch(BACKUPS, { name: from, namespace: deps.namespace }, 'merge', {
    metadata: { annotations: { [AdoptionAnnotations.adoptedAs]: tb.metadata.uid ?? '' } },
  });

  const location = await newLocation(deps, ns, namespace, uid);
  if ('error' in location) return failed(deps, tb, location.error);

  if (!(await copyAndSeal(deps, tb, old, { location: location.name, uid, oldUid }))) return undefined;
  deps.log.info({ namespace, tenantBackup: tb.metadata.name, from, oldUid, uid }, 'tenant backup adopted');
  return undefined;
}

/**
 * The copy of adoption: the old seal checked (tamper evidence carries over: only a backup whose
 * seal holds for its old namespace is adopted), the files copied under the new name and
 * location, sealed for the new UID, recorded as a velero.io Backup, and the TenantBackup
 * finished with the old outcome.
 */
async function copyAndSeal(
  deps: TenantControllerDeps,
  tb: KubeObject,
  old: Backup,
  to: { location: string; uid: string; oldUid: string },
): Promise<boolean> {
  const from = old.metadata.name ?? '';
  const namespace = tb.metadata.namespace ?? '';
  const { uid, oldUid } = to;
  const location = { name: to.location };
  const key = await deps.sealKey();
  const oldStore = await deps.locations.store(await deps.locations.get(old.spec.storageLocation ?? ''));
  try {
    await verifyBackupSeal(oldStore, from, key, oldUid);
  } catch (err) {
    const why = err instanceof TamperedBackupError ? `its integrity check failed: ${err.problem}` : errorMessage(err);
    await failed(deps, tb, `backup ${from} of namespace UID ${oldUid} was not adopted: ${why}`);
    return false;
  }
  const volumeData = await volumeDataOf(oldStore, from);
  if (volumeData) {
    await failed(
      deps,
      tb,
      `backup ${from} of namespace UID ${oldUid} was not adopted: it holds volume data (${volumeData}), which adoption does not copy (its snapshots are kept in the old namespace's repository and name the old backup); only backups of resources alone can be adopted`,
    );
    return false;
  }
  const name = veleroBackupNameOf(tb);
  const labels = {
    [TenantLabels.namespaceUid]: uid,
    [TenantLabels.namespace]: namespace,
    [TenantLabels.name]: tb.metadata.name ?? '',
  };
  const newStore = await deps.locations.store(await deps.locations.get(location.name));
  await copyBackup(oldStore, from, newStore, name, (metadata) => ({
    ...metadata,
    metadata: { ...(metadata.metadata as object), name, labels },
    spec: { ...(metadata.spec as object), storageLocation: location.name },
  }));
  const { contentDigest } = await sealBackup(newStore, name, key, uid);
  await deps.cluster
    .create(BACKUPS, {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name, namespace: deps.namespace, labels, annotations: { [AdoptionAnnotations.adoptedFrom]: from } },
      spec: { ...old.spec, storageLocation: location.name },
      // velero.io Backups have no status subresource: the finished status is stored with it.
      status: old.status ?? {},
    })
    .catch((err: unknown) => {
      if (!isAlreadyExists(err)) throw err;
    });
  const finalizers = tb.metadata.finalizers ?? [];
  if (!finalizers.includes(TENANT_BACKUP_FINALIZER)) {
    await deps.cluster.patch(TenantTypes.TenantBackup, { name: tb.metadata.name ?? '', namespace }, 'merge', {
      metadata: { finalizers: [...finalizers, TENANT_BACKUP_FINALIZER] },
    });
  }
  await patch(deps, tb, { ...finishedStatus(old), backupName: name, contentDigest });
  return true;
}

/**
 * What volume data a backup holds, described (undefined when none): file-system backups
 * (PodVolumeBackups), volume snapshots, CSI snapshots and async item operations (data mover).
 * Their data lives outside the backup's files, under the old namespace's prefix, and their
 * records name the old backup: copying the files alone would adopt a backup that cannot restore them.
 */
async function volumeDataOf(store: BackupStore, backup: string): Promise<string | undefined> {
  const found: string[] = [];
  const files = [
    ['podVolumeBackups', 'PodVolumeBackups'],
    ['volumeSnapshots', 'volume snapshots'],
    ['csiVolumeSnapshots', 'CSI volume snapshots'],
    ['itemOperations', 'item operations'],
  ] as const;
  for (const [file, what] of files) {
    const content = await store.getBackupFile(backup, file);
    if (Array.isArray(content) && content.length > 0) found.push(`${content.length} ${what}`);
  }
  return found.length > 0 ? found.join(', ') : undefined;
}

/** The tenant location of the new namespace, where its TenantPolicy puts its backups. */
async function newLocation(
  deps: TenantControllerDeps,
  ns: KubeObject,
  namespace: string,
  uid: string,
): Promise<{ name: string } | { error: string }> {
  const policies = [];
  for await (const p of deps.cluster.list(TenantTypes.TenantPolicy)) policies.push(readPolicy(p));
  const policy = policyForNamespace(policies, namespace, ns.metadata.labels);
  if (typeof policy === 'string') return { error: policy };
  return ensureTenantLocation(deps.cluster, deps.namespace, policy.storageLocation, { name: namespace, uid });
}

/** The adopted backup's outcome, as a TenantBackup status reports it. */
function finishedStatus(old: Backup): Record<string, unknown> {
  const s = old.status ?? {};
  const out: Record<string, unknown> = { phase: s.phase, warnings: s.warnings ?? 0, errors: s.errors ?? 0 };
  if (s.progress?.itemsBackedUp !== undefined) out.itemsBackedUp = s.progress.itemsBackedUp;
  if (s.progress?.totalItems !== undefined) out.totalItems = s.progress.totalItems;
  if (s.startTimestamp) out.startTimestamp = s.startTimestamp;
  if (s.completionTimestamp) out.completionTimestamp = s.completionTimestamp;
  if (s.expiration) out.expiration = s.expiration;
  return out;
}

/** Why this TenantBackup may not adopt `old`, or '' when it may. */
function adoptionProblem(old: Backup | undefined, from: string, approval: string, tb: KubeObject, uid: string): string {
  const field = `metadata.annotations[${AdoptionAnnotations.adoptedFrom}]`;
  // The same answer whether or not the Backup exists: tenants learn nothing about the server namespace.
  if (!old || old.metadata.annotations?.[AdoptionAnnotations.adoptInto] !== approval) {
    return `${field}: no admin has approved adopting backup ${from} into this TenantBackup (skiff tenant adopt)`;
  }
  const adoptedAs = old.metadata.annotations[AdoptionAnnotations.adoptedAs];
  if (adoptedAs && adoptedAs !== tb.metadata.uid) return `${field}: backup ${from} was already adopted`;
  const oldUid = old.metadata.labels?.[TenantLabels.namespaceUid];
  if (!oldUid || oldUid === uid || !isTenantLocationOf(old.spec.storageLocation, oldUid)) {
    return `${field}: backup ${from} is not a tenant backup of an earlier namespace`;
  }
  if (!FINISHED.has(old.status?.phase ?? '')) return `${field}: backup ${from} did not finish`;
  return '';
}

/**
 * Copies every file of backup `from` to backup `to` of another store, renamed as Velero names
 * them (`<name>.tar.gz`, ...); `velero-backup.json` goes through `rewrite`. The old seal is
 * left behind: the copy gets its own. Files are written before the metadata, so the copy
 * exists (for Velero's layout) only once complete.
 */
async function copyBackup(
  source: BackupStore,
  from: string,
  target: BackupStore,
  to: string,
  rewrite: (metadata: Record<string, unknown>) => Record<string, unknown>,
): Promise<void> {
  const dir = source.layout.backupDir(from);
  const skip = new Set([source.layout.backupKey(from, 'metadata'), source.layout.backupKey(from, 'tenantSeal')]);
  for await (const key of source.objectStore.listObjects(dir)) {
    if (skip.has(key)) continue;
    const file = key.slice(dir.length);
    const renamed = file.startsWith(from) ? `${to}${file.slice(from.length)}` : file;
    const body = await readAll(await source.objectStore.getObject(key));
    await target.objectStore.putObject(`${target.layout.backupDir(to)}${renamed}`, body);
  }
  const metadata = (await source.getBackupMetadata(from)) as Record<string, unknown>;
  await target.putBackupMetadata(to, rewrite(metadata));
}

function patch(deps: TenantControllerDeps, tb: KubeObject, status: Record<string, unknown>): Promise<undefined> {
  return deps.cluster
    .patchStatus(TenantTypes.TenantBackup, { name: tb.metadata.name ?? '', namespace: tb.metadata.namespace }, status)
    .then(() => undefined);
}

function failed(deps: TenantControllerDeps, tb: KubeObject, reason: string): Promise<undefined> {
  deps.log.info({ namespace: tb.metadata.namespace, tenantBackup: tb.metadata.name, reason }, 'tenant adoption failed');
  return patch(deps, tb, {
    phase: TenantPhase.Failed,
    failureReason: reason,
    completionTimestamp: kubeTime(deps.clock.now()),
  });
}
