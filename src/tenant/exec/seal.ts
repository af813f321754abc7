import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isRecord } from '../../kube/object.ts';
import { SkiffError } from '../../util/errors.ts';

/**
 * Tamper evidence of a tenant backup (issue 17 §5): an HMAC-SHA256 over the backup's name, its
 * metadata, its tarball and the companion files a restore acts on, keyed by a key derived from
 * the server's secret and the tenant namespace's UID. Anyone with write access to the bucket can
 * edit or plant files, but cannot make a seal that verifies for another namespace or for other
 * content without the secret.
 */
export interface BackupSeal {
  version: 2;
  backup: string;
  namespaceUid: string;
  /** sha256 hex of the metadata's canonical JSON (key order does not matter, content does). */
  metadataSha256: string;
  /** sha256 hex of the gzipped tarball as stored. */
  contentSha256: string;
  /** sha256 hex of each covered companion file as stored; null for one the backup does not have. */
  companionsSha256: Record<SealedCompanion, string | null>;
  /** HMAC-SHA256 hex of the fields above, keyed by `tenantKey`. */
  mac: string;
}

/** Why a tarball whose sha256 is not the sealed one is refused, wherever that is found. */
export const TARBALL_CHANGED = 'its tarball was changed after the backup';

/**
 * The companion files a restore reads to decide what data goes where: the volume records name
 * repository snapshots and cloud or CSI snapshots, so an edited record could point a tenant's
 * restore at another snapshot. Absence is sealed too: a record planted later fails the check.
 * The log and results are only shown, never acted on.
 */
export const SEALED_COMPANIONS = [
  'podVolumeBackups',
  'volumeSnapshots',
  'itemOperations',
  'resourceList',
  'volumeInfo',
  'csiVolumeSnapshots',
  'csiVolumeSnapshotContents',
  'csiVolumeSnapshotClasses',
] as const;
export type SealedCompanion = (typeof SEALED_COMPANIONS)[number];

/** What a seal covers, as computed from the bucket. */
export interface SealedContent {
  backup: string;
  namespaceUid: string;
  metadataSha256: string;
  contentSha256: string;
  companionsSha256: Record<SealedCompanion, string | null>;
}

const KEY_CONTEXT = 'skiff.dev tenant backup seal v1';

/** The per-namespace key: a tenant's key says nothing about another's, or the server's. */
export function tenantKey(serverSecret: Buffer, namespaceUid: string): Buffer {
  return createHmac('sha256', serverSecret).update(`${KEY_CONTEXT}\0${namespaceUid}`).digest();
}

function macOf(serverSecret: Buffer, content: SealedContent): string {
  const message = [
    KEY_CONTEXT,
    content.backup,
    content.namespaceUid,
    content.metadataSha256,
    content.contentSha256,
    canonicalJson(content.companionsSha256),
  ];
  return createHmac('sha256', tenantKey(serverSecret, content.namespaceUid)).update(message.join('\n')).digest('hex');
}

export function makeSeal(serverSecret: Buffer, content: SealedContent): BackupSeal {
  return { version: 2, ...content, mac: macOf(serverSecret, content) };
}

/** A tenant backup whose seal is missing or does not match what the bucket holds. */
export class TamperedBackupError extends SkiffError {
  readonly code = 'TamperedBackup';
  constructor(
    readonly backup: string,
    readonly problem: string,
  ) {
    super(`backup "${backup}" failed its integrity check: ${problem}; nothing was restored`);
  }
}

/**
 * Whether `seal` (read from the bucket, untrusted) vouches for `actual` (computed from the
 * bucket for the namespace whose UID the live cluster gives). Returns the problem, or
 * undefined when the seal holds. The MAC decides; the readable fields only make the message
 * precise.
 */
export function sealProblem(serverSecret: Buffer, actual: SealedContent, seal: unknown): string | undefined {
  if (seal === undefined) return 'it has no tenant seal';
  if (isRecord(seal) && seal.version === 1)
    return 'its tenant seal is of version 1, made before seals covered the volume records; back the namespace up again';
  if (!isRecord(seal) || seal.version !== 2 || typeof seal.mac !== 'string' || !isRecord(seal.companionsSha256))
    return 'its tenant seal is not readable';
  if (seal.namespaceUid !== actual.namespaceUid) return 'it was sealed for another namespace';
  if (seal.backup !== actual.backup) return 'it was sealed under another backup name';
  if (seal.metadataSha256 !== actual.metadataSha256) return 'its metadata was changed after the backup';
  if (seal.contentSha256 !== actual.contentSha256) return TARBALL_CHANGED;
  const sealed = seal.companionsSha256;
  for (const file of SEALED_COMPANIONS) {
    const now = actual.companionsSha256[file];
    if (sealed[file] === now) continue;
    if (sealed[file] === null) return `its ${file} record was added after the backup`;
    return now === null
      ? `its ${file} record was removed after the backup`
      : `its ${file} record was changed after the backup`;
  }
  const expected = Buffer.from(macOf(serverSecret, actual), 'hex');
  const given = Buffer.from(seal.mac, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return 'its seal was not made by this server';
  return undefined;
}

/** sha256 hex of a JSON value with object keys sorted at every level. */
export function canonicalJsonSha256(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return value === undefined ? 'null' : JSON.stringify(value);
}
