import { createHash, randomBytes } from 'node:crypto';
import type { Cluster } from '../../kube/cluster.ts';
import { isAlreadyExists } from '../../kube/errors.ts';
import type { BackupStore } from '../../storage/index.ts';
import { isRecord } from '../../kube/object.ts';
import { canonicalJsonSha256, makeSeal, sealProblem, TamperedBackupError, type SealedContent } from './seal.ts';

import { SECRETS } from '../../kube/secrets.ts';
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

/** What the bucket holds for a backup, digested. */
async function sealedContentOf(store: BackupStore, backup: string, namespaceUid: string): Promise<SealedContent> {
  const metadata = await store.getBackupMetadata(backup);
  const contentSha256 = await storedTarballSha256(store, backup);
  return { backup, namespaceUid, metadataSha256: canonicalJsonSha256(metadata), contentSha256 };
}

/** sha256 hex of a backup's tarball as stored. */
export async function storedTarballSha256(store: BackupStore, backup: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await store.getBackupContents(backup)) hash.update(chunk as Buffer);
  return hash.digest('hex');
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

/** Rejects with TamperedBackupError unless the backup's seal holds for this namespace. */
export async function verifyBackupSeal(
  store: BackupStore,
  backup: string,
  key: Buffer,
  namespaceUid: string,
): Promise<{ contentDigest: string }> {
  const content = await sealedContentOf(store, backup, namespaceUid);
  const problem = sealProblem(key, content, await store.getBackupFile(backup, 'tenantSeal'));
  if (problem) throw new TamperedBackupError(backup, problem);
  return { contentDigest: content.contentSha256 };
}

/**
 * Re-seals a backup whose tarball the server itself replaced (adoption's hand-over of CSI
 * snapshots, whose sha256 the caller recorded in the index before storing it): the seal in
 * place must still hold for the metadata (for the tarball it was made over), and the stored
 * tarball must be the recorded one. Rejects with TamperedBackupError otherwise.
 */
export async function resealReplacedTarball(
  store: BackupStore,
  backup: string,
  key: Buffer,
  namespaceUid: string,
  tarballSha256: string,
): Promise<void> {
  const seal = await store.getBackupFile(backup, 'tenantSeal');
  const content = await sealedContentOf(store, backup, namespaceUid);
  const sealedTarball = isRecord(seal) && typeof seal.contentSha256 === 'string' ? seal.contentSha256 : '';
  const problem = sealProblem(key, { ...content, contentSha256: sealedTarball }, seal);
  if (problem) throw new TamperedBackupError(backup, problem);
  if (content.contentSha256 !== tarballSha256)
    throw new TamperedBackupError(backup, 'its tarball was changed after the backup');
  await store.putBackupFile(backup, 'tenantSeal', makeSeal(key, content));
}
