import { randomBytes } from 'node:crypto';
import type { Cluster } from '../../kube/cluster.ts';
import { isAlreadyExists } from '../../kube/errors.ts';
import { BackupStore } from '../../storage/index.ts';
import { PinnedObjectStore } from '../../storage/pinned-object-store.ts';
import { isRecord } from '../../kube/object.ts';
import {
  canonicalJsonSha256,
  makeSeal,
  SEALED_COMPANIONS,
  sealProblem,
  TamperedBackupError,
  type SealedCompanion,
  type SealedContent,
  TARBALL_CHANGED,
} from './seal.ts';

import { SECRETS } from '../../kube/secrets.ts';
import { sha256Stream } from '../../util/sha256-stream.ts';
/** The Secret in the server namespace holding the key tenant seals are made with. */
export const SEAL_SECRET_NAME = 'skiff-tenant-seal';
export const SEAL_SECRET_KEY = 'key';

/** Creates the seal key (32 random bytes) unless it exists; returns the key in force. */
export async function ensureSealKey(cluster: Cluster, namespace: string): Promise<Buffer> {
  const existing = await readSealKey(cluster, namespace);
  if (existing) return existing;
  try {
    await cluster.create(SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: SEAL_SECRET_NAME, namespace, labels: { 'app.kubernetes.io/name': 'skiff' } },
      data: { [SEAL_SECRET_KEY]: randomBytes(32).toString('base64') },
    });
  } catch (err) {
    // Another server made it first: use theirs.
    if (!isAlreadyExists(err)) throw err;
  }
  const key = await readSealKey(cluster, namespace);
  if (!key) throw new Error(`secret ${namespace}/${SEAL_SECRET_NAME} has no key "${SEAL_SECRET_KEY}"`);
  return key;
}

async function readSealKey(cluster: Cluster, namespace: string): Promise<Buffer | undefined> {
  const secret = await cluster.find(SECRETS, SEAL_SECRET_NAME, namespace);
  const value = (secret?.data as Record<string, string> | undefined)?.[SEAL_SECRET_KEY];
  if (!value) return undefined;
  const key = Buffer.from(value, 'base64');
  return key.length >= 16 ? key : undefined;
}

/**
 * What the bucket holds for a backup, digested; the tarball's digest is `tarballSha256` when
 * given (the caller checks the tarball as it reads it), else computed from the stored bytes.
 */
async function sealedContentOf(
  store: BackupStore,
  backup: string,
  namespaceUid: string,
  tarballSha256?: string,
): Promise<SealedContent> {
  const [metadata, contentSha256, companionsSha256] = await Promise.all([
    store.getBackupMetadata(backup),
    tarballSha256 ?? storedTarballSha256(store, backup),
    companionDigests(store, backup),
  ]);
  return { backup, namespaceUid, metadataSha256: canonicalJsonSha256(metadata), contentSha256, companionsSha256 };
}

/** sha256 hex of a backup's tarball as stored. */
export function storedTarballSha256(store: BackupStore, backup: string): Promise<string> {
  return sha256Of(store, store.layout.backupKey(backup, 'contents'));
}

/**
 * One LIST says which companion files exist, so an absent one costs no request of its own; in
 * a view with the companion files pinned (pinSealedFiles), the pins say it without a request.
 */
async function companionDigests(store: BackupStore, backup: string): Promise<Record<SealedCompanion, string | null>> {
  const files = SEALED_COMPANIONS.map((file) => ({ file, key: store.layout.backupKey(backup, file) }));
  const present = new Set<string>();
  if (store.objectStore instanceof PinnedObjectStore) {
    for (const { key } of files) if (await store.objectStore.objectExists(key)) present.add(key);
  } else {
    for await (const key of store.objectStore.listObjects(store.layout.backupDir(backup))) present.add(key);
  }
  const digests = await Promise.all(
    files.map(async ({ file, key }) => [file, present.has(key) ? await sha256Of(store, key) : null] as const),
  );
  return Object.fromEntries(digests) as Record<SealedCompanion, string | null>;
}

/** sha256 hex of an object's bytes as stored. */
function sha256Of(store: BackupStore, key: string): Promise<string> {
  return store.objectStore.getObject(key).then((body) => sha256Stream(body).digest());
}

/** Seals a finished tenant backup; returns the tarball's sha256 (the TenantBackup's contentDigest). */
export async function sealBackup(
  store: BackupStore,
  backup: string,
  key: Buffer,
  namespaceUid: string,
): Promise<{ contentDigest: string }> {
  const content = await sealedContentOf(store, backup, namespaceUid);
  await store.putBackupFile(backup, 'tenantSeal', makeSeal(key, content));
  return { contentDigest: content.contentSha256 };
}

/**
 * The seal check of a restore, which reads the tarball anyway: everything but the tarball is
 * checked here, and the tarball's digest is the one the seal vouches for (its MAC covers it).
 * The restore then checks the bytes it reads against that digest (RestorePlanDeps'
 * `expectedContent`), so the tarball is downloaded once and what is checked is what is used.
 * The same holds for the rest: the metadata and companion files are read once, and the store
 * returned answers them with the bytes checked here, so a file replaced in the bucket after
 * the check is not what the restore acts on. Rejects with TamperedBackupError.
 */
export async function verifySealExceptTarball(
  store: BackupStore,
  backup: string,
  key: Buffer,
  namespaceUid: string,
): Promise<{ contentDigest: string; checked: BackupStore }> {
  const checked = await pinSealedFiles(store, backup);
  const seal = await checked.getBackupFile(backup, 'tenantSeal');
  const sealed = isRecord(seal) && typeof seal.contentSha256 === 'string' ? seal.contentSha256 : '';
  const content = await sealedContentOf(checked, backup, namespaceUid, sealed);
  const problem = sealProblem(key, content, seal);
  if (problem) throw new TamperedBackupError(backup, problem);
  return { contentDigest: sealed, checked };
}

/** A view of the store in which the backup's seal and the files it covers (but the tarball) are read once. */
async function pinSealedFiles(store: BackupStore, backup: string): Promise<BackupStore> {
  const files = ['metadata', 'tenantSeal', ...SEALED_COMPANIONS] as const;
  const pinned = await PinnedObjectStore.pin(
    store.objectStore,
    files.map((file) => store.layout.backupKey(backup, file)),
  );
  return new BackupStore(pinned, store.layout.prefix);
}

/**
 * Rejects with TamperedBackupError unless the backup's seal holds for this namespace. `checked`
 * answers the metadata and companion files with the bytes checked here (the tarball is read
 * again by whoever uses it: compare it with `contentDigest` in that read).
 */
export async function verifyBackupSeal(
  store: BackupStore,
  backup: string,
  key: Buffer,
  namespaceUid: string,
): Promise<{ contentDigest: string; checked: BackupStore }> {
  const checked = await pinSealedFiles(store, backup);
  const content = await sealedContentOf(checked, backup, namespaceUid);
  const problem = sealProblem(key, content, await checked.getBackupFile(backup, 'tenantSeal'));
  if (problem) throw new TamperedBackupError(backup, problem);
  return { contentDigest: content.contentSha256, checked };
}

/**
 * Re-seals a backup the server itself changed (adoption's hand-over of CSI and native
 * snapshots): its tarball replaced by one whose sha256 the caller recorded in the index before
 * storing it (`tarballSha256`; undefined when the tarball was left alone), and the `emptied`
 * volume records (the legacy VolumeSnapshot contents, the native volume snapshots) emptied.
 * The seal in place must still hold for everything else, the stored tarball must be the
 * recorded one, and each emptied file must be empty. Rejects with TamperedBackupError otherwise.
 */
export async function resealReplacedTarball(
  store: BackupStore,
  backup: string,
  key: Buffer,
  namespaceUid: string,
  changed: { tarballSha256?: string; emptied?: readonly SealedCompanion[] },
): Promise<void> {
  const seal = await store.getBackupFile(backup, 'tenantSeal');
  const content = await sealedContentOf(store, backup, namespaceUid);
  const sealed = isRecord(seal) ? seal : {};
  const sealedCompanions = isRecord(sealed.companionsSha256) ? sealed.companionsSha256 : {};
  const emptied = changed.emptied ?? [];
  const asSealed: SealedContent = {
    ...content,
    ...(changed.tarballSha256 !== undefined && typeof sealed.contentSha256 === 'string'
      ? { contentSha256: sealed.contentSha256 }
      : {}),
    companionsSha256: {
      ...content.companionsSha256,
      ...Object.fromEntries(emptied.map((f) => [f, (sealedCompanions[f] as string | null | undefined) ?? null])),
    },
  };
  const problem = sealProblem(key, asSealed, seal);
  if (problem) throw new TamperedBackupError(backup, problem);
  if (changed.tarballSha256 !== undefined && content.contentSha256 !== changed.tarballSha256)
    throw new TamperedBackupError(backup, TARBALL_CHANGED);
  for (const file of emptied) {
    const records = await store.getBackupFile(backup, file);
    if (!Array.isArray(records) || records.length > 0)
      throw new TamperedBackupError(backup, `its ${file} record was changed after the backup`);
  }
  await store.putBackupFile(backup, 'tenantSeal', makeSeal(key, content));
}
