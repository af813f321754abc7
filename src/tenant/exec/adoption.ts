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
 * the new namespace: from then on it is an ordinary tenant backup of that namespace. Its
 * file-system backup and data-mover data comes along (the repositories copied, or the backup's
 * snapshots copied into the repository the new namespace already has:
 * adoption-repository-copy.ts; the records renamed) and its CSI and native snapshots are handed
 * over to the copy (adoption-volumes.ts and adoption-moved.ts decide what, adoption-snapshots.ts
 * rewrites the tarballs); other volume data is refused, naming it.
 */
import type { Readable } from 'node:stream';
import { Kinds, resourceRef, type Backup } from '../../api/index.ts';
import type { ReconcileResult } from '../../controllers/controller.ts';
import { isAlreadyExists } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { readAll } from '../../storage/object-store.ts';
import type { BackupStore } from '../../storage/index.ts';
import type { BackupFile, BackupJsonFile } from '../../storage/layout.ts';
import { storedDataUploadSnapshots } from '../../volumes/data-mover/forget-uploads.ts';
import { resticIdentifier } from '../../volumes/repository/identity.ts';
import { kubeTime } from '../../util/clock.ts';
import { errorMessage } from '../../util/errors.ts';
import type { TenantControllerDeps } from './backup-controller.ts';
import { movedSnapshotsByRepository, withMovedCopies } from './adoption-moved.ts';
import { carryRepositories } from './adoption-repository-copy.ts';
import { planAdoptionVolumes, type AdoptionVolumePlan, type StoredVolumeData } from './adoption-volumes.ts';
import { handedOverTarball, handOverOldTarball, missingContents } from './adoption-snapshots.ts';
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
import { SEALED_COMPANIONS, TamperedBackupError, type SealedCompanion, TARBALL_CHANGED } from './seal.ts';
import { sha256Stream } from '../../util/sha256-stream.ts';
import { resealReplacedTarball, sealBackup, storedTarballSha256, verifyBackupSeal } from './seal-store.ts';
import { ensureTenantLocation } from './tenant-location.ts';

export const AdoptionAnnotations = {
  /** On the old velero.io Backup, by an admin: `<namespace>/<new namespace UID>/<TenantBackup name>`. */
  adoptInto: 'tenant.skiff.dev/adopt-into',
  /** On the old velero.io Backup, by the server: the UID of the TenantBackup that adopted it. */
  adoptedAs: 'tenant.skiff.dev/adopted-as',
  /** On the new TenantBackup and its velero.io Backup: the old velero.io Backup's name. */
  adoptedFrom: 'tenant.skiff.dev/adopted-from',
  /**
   * On the old velero.io Backup, by the server: the sha256 of the old tarball rewritten to hand
   * its CSI snapshots over, recorded before it is stored (adoption-snapshots.ts).
   */
  handedOverTarball: 'tenant.skiff.dev/handed-over-tarball-sha256',
  /**
   * On the old velero.io Backup, by the server: the volume records (comma-separated) the old
   * backup empties to hand its snapshots over, recorded before they are emptied.
   */
  handedOverRecords: 'tenant.skiff.dev/handed-over-records',
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
  const sealCheck = await oldSealCheck(old, oldStore, key, oldUid);
  if ('problem' in sealCheck) {
    await failed(deps, tb, `backup ${from} of namespace UID ${oldUid} was not adopted: ${sealCheck.problem}`);
    return false;
  }
  // What is copied is what was checked: the companion files as the check read them, the tarball
  // compared with the checked digest in the read that copies it.
  const { checked, contentDigest: oldDigest } = sealCheck;
  const name = veleroBackupNameOf(tb);
  const labels = {
    [TenantLabels.namespaceUid]: uid,
    [TenantLabels.namespace]: namespace,
    [TenantLabels.name]: tb.metadata.name ?? '',
  };
  const newLocation = await deps.locations.get(location.name);
  const newStore = await deps.locations.store(newLocation);
  const notAdopted = `backup ${from} of namespace UID ${oldUid} was not adopted`;
  const volumes = planAdoptionVolumes(await storedVolumeData(checked, from), {
    from,
    to: name,
    oldLocation: old.spec.storageLocation ?? '',
    newLocation: location.name,
    resticIdentifier: (volumeNamespace) => resticIdentifier(newLocation, volumeNamespace),
  });
  if ('refused' in volumes) {
    await failed(
      deps,
      tb,
      `${notAdopted}: it holds volume data adoption cannot carry over: ${volumes.refused.join('; ')}; only file-system backups (kopia or restic), data-mover uploads, CSI and native snapshots come along`,
    );
    return false;
  }
  const carried = await carryVolumeData(
    deps,
    { checked, oldStore, newStore, from, tarballSha256: oldDigest },
    { oldLocation: old.spec.storageLocation ?? '', newLocation: location.name },
    volumes,
  );
  if ('problem' in carried) {
    await failed(deps, tb, `${notAdopted}: ${carried.problem}`);
    return false;
  }
  const { csi, native } = volumes;
  const moved = volumes.moved && {
    ...volumes.moved,
    volumeInfo: withMovedCopies(volumes.moved.volumeInfo, carried.movedCopies),
  };
  const names = { from, to: name };
  const mtime = new Date(old.status?.startTimestamp ?? deps.clock.now());
  const locations = {
    oldLocation: old.spec.storageLocation ?? '',
    newLocation: location.name,
    copies: carried.movedCopies,
  };
  let tarball: ReturnType<typeof handedOverTarball> | undefined;
  const copied = await copyBackup(checked, from, newStore, name, {
    tarballSha256: oldDigest,
    replaced: replacedRecords({ ...volumes, podVolumeBackups: carried.podVolumeBackups, moved }),
    rewrite: (metadata) => ({
      ...metadata,
      metadata: { ...(metadata.metadata as object), name, labels },
      spec: { ...(metadata.spec as object), storageLocation: location.name },
    }),
    ...(csi || moved
      ? {
          contents: (source: Readable) =>
            (tarball = handedOverTarball(source, names, mtime, moved ? locations : undefined)).body,
          complete: () => {
            const missing = csi ? missingContents(csi, tarball?.contents() ?? new Set()) : [];
            return [
              ...(missing.length > 0
                ? [
                    `its volume info names VolumeSnapshotContents its tarball does not hold (labelled with the backup), whose snapshots no deletion would then remove: ${missing.join(', ')}`,
                  ]
                : []),
              ...(tarball?.problems() ?? []),
            ];
          },
        }
      : {}),
  });
  if (copied.length > 0) {
    await failed(deps, tb, `${notAdopted}: ${copied.join('; ')}`);
    return false;
  }
  const { contentDigest } = await sealBackup(newStore, name, key, uid);
  if (csi || native)
    await handOverOld(deps, { store: oldStore, backup: old, key, oldUid, tarballSha256: oldDigest }, volumes, {
      names,
      mtime,
    });
  await recordCopy(deps, tb, old, { name, labels, location: location.name });
  await patch(deps, tb, { ...finishedStatus(old), backupName: name, contentDigest });
  return true;
}

/**
 * The old backup's volume data carried into the new location's repositories: its PodVolumeBackups'
 * repositories and the snapshots its DataUploads made (read from its tarball, which must be the
 * checked one, `tarballSha256`).
 */
async function carryVolumeData(
  deps: TenantControllerDeps,
  backup: { checked: BackupStore; oldStore: BackupStore; newStore: BackupStore; from: string; tarballSha256: string },
  locations: { oldLocation: string; newLocation: string },
  volumes: Exclude<AdoptionVolumePlan, { refused: string[] }>,
): Promise<Awaited<ReturnType<typeof carryRepositories>>> {
  const { checked, oldStore, newStore, from, tarballSha256 } = backup;
  let moved = new Map<string, string[]>();
  if (volumes.moved !== undefined) {
    const mismatch = (): Error => new TamperedBackupError(from, TARBALL_CHANGED);
    try {
      const snapshots = await storedDataUploadSnapshots(checked, from, { tarballSha256, mismatch });
      moved = movedSnapshotsByRepository(snapshots, locations.oldLocation);
    } catch (err) {
      if (!(err instanceof TamperedBackupError)) throw err;
      return { problem: `its integrity check failed: ${err.problem}` };
    }
  }
  return carryRepositories(
    { oldStore, newStore, ...locations, repositories: deps.repositories },
    volumes.repositories,
    volumes.podVolumeBackups,
    moved,
  );
}

/**
 * Why the old backup's seal does not hold for its old namespace, or, when it does, the view of
 * its files the check read and its tarball's digest (verifyBackupSeal). An earlier run that
 * stored the old tarball handed over (its digest is in the index) and stopped before
 * re-sealing it is finished first.
 */
async function oldSealCheck(
  old: Backup,
  store: BackupStore,
  key: Buffer,
  oldUid: string,
): Promise<{ problem: string } | { checked: BackupStore; contentDigest: string }> {
  const from = old.metadata.name ?? '';
  try {
    const annotations = old.metadata.annotations ?? {};
    const handedOver = annotations[AdoptionAnnotations.handedOverTarball];
    const replaced = handedOver !== undefined && (await storedTarballSha256(store, from)) === handedOver;
    // Runs before the records annotation existed emptied only the legacy contents file.
    const recorded = (
      annotations[AdoptionAnnotations.handedOverRecords] ?? (replaced ? 'csiVolumeSnapshotContents' : '')
    )
      .split(',')
      .filter((f): f is SealedCompanion => (SEALED_COMPANIONS as readonly string[]).includes(f));
    const emptied: SealedCompanion[] = [];
    for (const file of recorded) {
      const records = await store.getBackupFile(from, file);
      if (Array.isArray(records) && records.length === 0) emptied.push(file);
    }
    if (replaced || emptied.length > 0)
      await resealReplacedTarball(store, from, key, oldUid, {
        ...(replaced ? { tarballSha256: handedOver } : {}),
        emptied,
      });
    return await verifyBackupSeal(store, from, key, oldUid);
  } catch (err) {
    return {
      problem: err instanceof TamperedBackupError ? `its integrity check failed: ${err.problem}` : errorMessage(err),
    };
  }
}

/** The copy recorded in the index as a velero.io Backup of the new namespace; the TenantBackup gets its finalizer. */
async function recordCopy(
  deps: TenantControllerDeps,
  tb: KubeObject,
  old: Backup,
  copy: { name: string; labels: Record<string, string>; location: string },
): Promise<void> {
  const { name, labels, location } = copy;
  await deps.cluster
    .create(BACKUPS, {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: {
        name,
        namespace: deps.namespace,
        labels,
        annotations: { [AdoptionAnnotations.adoptedFrom]: old.metadata.name ?? '' },
      },
      spec: { ...old.spec, storageLocation: location },
      // velero.io Backups have no status subresource: the finished status is stored with it.
      status: old.status ?? {},
    })
    .catch((err: unknown) => {
      if (!isAlreadyExists(err)) throw err;
    });
  const finalizers = tb.metadata.finalizers ?? [];
  if (!finalizers.includes(TENANT_BACKUP_FINALIZER)) {
    await deps.cluster.patch(
      TenantTypes.TenantBackup,
      { name: tb.metadata.name ?? '', namespace: tb.metadata.namespace },
      'merge',
      { metadata: { finalizers: [...finalizers, TENANT_BACKUP_FINALIZER] } },
    );
  }
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
 * them (`<name>.tar.gz`, ...); `replaced` companion files are written with new content instead
 * (the volume records naming the new backup), and `velero-backup.json` goes through `rewrite`.
 * The old seal is left behind: the copy gets its own. The tarball goes through `contents` when
 * given, and must have the sha256 `tarballSha256` (checked over the bytes copied). Files are written before the metadata, so the copy exists (for Velero's layout) only
 * once complete, and only when `complete` (asked once the files are written) finds no problem:
 * its problems are returned.
 */
async function copyBackup(
  source: BackupStore,
  from: string,
  target: BackupStore,
  to: string,
  how: {
    tarballSha256: string;
    replaced: Partial<Record<BackupJsonFile, unknown>>;
    rewrite: (metadata: Record<string, unknown>) => Record<string, unknown>;
    contents?: (source: Readable) => Readable;
    complete?: () => string[];
  },
): Promise<string[]> {
  const { replaced, rewrite, contents } = how;
  let tarballProblem: string | undefined;
  const tarballKey = source.layout.backupKey(from, 'contents');
  const dir = source.layout.backupDir(from);
  const skip = new Set(
    (['metadata', 'tenantSeal', ...Object.keys(replaced)] as BackupFile[]).map((f) => source.layout.backupKey(from, f)),
  );
  for await (const key of source.objectStore.listObjects(dir)) {
    if (skip.has(key)) continue;
    const file = key.slice(dir.length);
    const renamed = file.startsWith(from) ? `${to}${file.slice(from.length)}` : file;
    if (key === tarballKey) {
      const read = sha256Stream(await source.getBackupContents(from));
      await target.putBackupContents(to, contents ? contents(read.stream) : read.stream);
      if ((await read.digest()) !== how.tarballSha256)
        tarballProblem = `its integrity check failed: ${TARBALL_CHANGED}`;
      continue;
    }
    const body = await readAll(await source.objectStore.getObject(key));
    await target.objectStore.putObject(`${target.layout.backupDir(to)}${renamed}`, body);
  }
  for (const [file, content] of Object.entries(replaced))
    await target.putBackupFile(to, file as BackupJsonFile, content);
  const problems = [...(tarballProblem ? [tarballProblem] : []), ...(how.complete?.() ?? [])];
  if (problems.length > 0) return problems;
  const metadata = (await source.getBackupMetadata(from)) as Record<string, unknown>;
  await target.putBackupMetadata(to, rewrite(metadata));
  return [];
}

/**
 * The old backup gives its CSI and native snapshots up (adoption-volumes.ts): its tarball's
 * snapshot objects are labelled for the copy (the new sha256 recorded in the index first), its
 * legacy contents file and its native snapshots file are emptied (named in the index first),
 * and it is re-sealed for its old namespace. Done after the copy is sealed: until then the old
 * backup alone owns them.
 */
async function handOverOld(
  deps: TenantControllerDeps,
  old: { store: BackupStore; backup: Backup; key: Buffer; oldUid: string; tarballSha256: string },
  volumes: Pick<Exclude<AdoptionVolumePlan, { refused: string[] }>, 'csi' | 'native'>,
  how: { names: { from: string; to: string }; mtime: Date },
): Promise<void> {
  const { store, key, oldUid } = old;
  const { csi, native } = volumes;
  const from = how.names.from;
  const oldBackup = { name: from, namespace: deps.namespace };
  // The records first: the re-seal below then covers them (the seal covers the volume records).
  const emptied: SealedCompanion[] = [
    ...(csi?.oldCsiVolumeSnapshotContents !== undefined ? (['csiVolumeSnapshotContents'] as const) : []),
    ...(native ? (['volumeSnapshots'] as const) : []),
  ];
  if (emptied.length > 0) {
    await deps.cluster.patch(BACKUPS, oldBackup, 'merge', {
      metadata: { annotations: { [AdoptionAnnotations.handedOverRecords]: emptied.join(',') } },
    });
    for (const file of emptied) await store.putBackupFile(from, file, []);
  }
  let tarballSha256: string | undefined;
  if (csi && csi.contents.length > 0) {
    tarballSha256 = await handOverOldTarball(store, how.names, how.mtime, {
      sealed: old.tarballSha256,
      record: async (sha) => {
        await deps.cluster.patch(BACKUPS, oldBackup, 'merge', {
          metadata: { annotations: { [AdoptionAnnotations.handedOverTarball]: sha } },
        });
      },
    });
  }
  if (tarballSha256 !== undefined || emptied.length > 0)
    await resealReplacedTarball(store, from, key, oldUid, {
      ...(tarballSha256 !== undefined ? { tarballSha256 } : {}),
      emptied,
    });
}

/** The companion files the copy gets with new content: the volume records naming the new backup and location. */
function replacedRecords(
  volumes: Exclude<AdoptionVolumePlan, { refused: string[] }>,
): Partial<Record<BackupJsonFile, unknown>> {
  const { podVolumeBackups, csi, moved, native } = volumes;
  return {
    ...(podVolumeBackups ? { podVolumeBackups } : {}),
    ...csi?.copy,
    ...(moved ? { volumeInfo: moved.volumeInfo } : {}),
    ...(moved?.itemOperations ? { itemOperations: moved.itemOperations } : {}),
    ...(native ? { volumeSnapshots: native.copy } : {}),
  };
}

/** The old backup's volume records, from its companion files. */
async function storedVolumeData(store: BackupStore, backup: string): Promise<StoredVolumeData> {
  return {
    podVolumeBackups: await store.getBackupFile(backup, 'podVolumeBackups'),
    volumeSnapshots: await store.getBackupFile(backup, 'volumeSnapshots'),
    volumeInfo: await store.getBackupFile(backup, 'volumeInfo'),
    csiVolumeSnapshots: await store.getBackupFile(backup, 'csiVolumeSnapshots'),
    csiVolumeSnapshotContents: await store.getBackupFile(backup, 'csiVolumeSnapshotContents'),
    itemOperations: await store.getBackupFile(backup, 'itemOperations'),
  };
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
