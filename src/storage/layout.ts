import { ValidationError } from '../util/errors.ts';

/**
 * Velero's object-storage layout (reference §2), as pure key functions. Only BackupStore
 * uses this module; nothing else in Skiff builds an object key.
 */

/** The top-level "directories" Velero owns under a BSL prefix (§2.1); anything else makes the BSL invalid. */
export const topLevelDirectories = ['backups', 'restores', 'kopia', 'restic', 'metadata', 'plugins'] as const;

/**
 * Skiff's own top-level directory: tenants' backups, each tenant's a whole Velero layout
 * under `tenants/<namespace UID>/` (issue 17). Velero would call a location holding it
 * invalid, so tenants get a location of their own (the TenantPolicy's).
 */
export const TENANTS_DIRECTORY = 'tenants';

/** The prefix of one tenant namespace's storage inside a location's prefix. */
export function tenantPrefix(locationPrefix: string | undefined, namespaceUid: string): string {
  checkName('namespace UID', namespaceUid);
  const base = normalizePrefix(locationPrefix);
  return `${base === '' ? '' : `${base}/`}${TENANTS_DIRECTORY}/${namespaceUid}`;
}

/** The files under `backups/<name>/` (§2.2). Most are named after the backup. */
export const backupFileNames = {
  metadata: () => 'velero-backup.json',
  contents: (name: string) => `${name}.tar.gz`,
  log: (name: string) => `${name}-logs.gz`,
  results: (name: string) => `${name}-results.gz`,
  podVolumeBackups: (name: string) => `${name}-podvolumebackups.json.gz`,
  volumeSnapshots: (name: string) => `${name}-volumesnapshots.json.gz`,
  itemOperations: (name: string) => `${name}-itemoperations.json.gz`,
  resourceList: (name: string) => `${name}-resource-list.json.gz`,
  volumeInfo: (name: string) => `${name}-volumeinfo.json.gz`,
  // Legacy CSI files: written by Velero ≤ 1.16 (classes ≤ 1.17), still read at restore and delete time.
  csiVolumeSnapshots: (name: string) => `${name}-csi-volumesnapshots.json.gz`,
  csiVolumeSnapshotContents: (name: string) => `${name}-csi-volumesnapshotcontents.json.gz`,
  csiVolumeSnapshotClasses: (name: string) => `${name}-csi-volumesnapshotclasses.json.gz`,
  // Skiff's tenant backups only: the HMAC over the metadata and tarball (src/tenant/exec/seal.ts).
  tenantSeal: (name: string) => `${name}-skiff-tenant-seal.json.gz`,
} as const;
export type BackupFile = keyof typeof backupFileNames;
/** The gzip-JSON companion files of a backup. */
export type BackupJsonFile = Exclude<BackupFile, 'metadata' | 'contents' | 'log'>;

/** The files under `restores/<name>/` (§2.3); note the `restore-` prefix on all but volume info. */
export const restoreFileNames = {
  log: (name: string) => `restore-${name}-logs.gz`,
  results: (name: string) => `restore-${name}-results.gz`,
  resourceList: (name: string) => `restore-${name}-resource-list.json.gz`,
  itemOperations: (name: string) => `restore-${name}-itemoperations.json.gz`,
  volumeInfo: (name: string) => `${name}-volumeinfo.json.gz`,
} as const;
export type RestoreFile = keyof typeof restoreFileNames;
export type RestoreJsonFile = Exclude<RestoreFile, 'log'>;

/** DownloadRequest `spec.target.kind` values (§1.8) and the file each one names. */
export const downloadTargets = {
  BackupLog: { scope: 'backup', file: 'log' },
  BackupContents: { scope: 'backup', file: 'contents' },
  BackupVolumeSnapshots: { scope: 'backup', file: 'volumeSnapshots' },
  BackupItemOperations: { scope: 'backup', file: 'itemOperations' },
  BackupResourceList: { scope: 'backup', file: 'resourceList' },
  BackupResults: { scope: 'backup', file: 'results' },
  BackupVolumeInfos: { scope: 'backup', file: 'volumeInfo' },
  CSIBackupVolumeSnapshots: { scope: 'backup', file: 'csiVolumeSnapshots' },
  CSIBackupVolumeSnapshotContents: { scope: 'backup', file: 'csiVolumeSnapshotContents' },
  RestoreLog: { scope: 'restore', file: 'log' },
  RestoreResults: { scope: 'restore', file: 'results' },
  RestoreResourceList: { scope: 'restore', file: 'resourceList' },
  RestoreItemOperations: { scope: 'restore', file: 'itemOperations' },
  RestoreVolumeInfo: { scope: 'restore', file: 'volumeInfo' },
} as const satisfies Record<string, { scope: 'backup'; file: BackupFile } | { scope: 'restore'; file: RestoreFile }>;
export type DownloadTargetKind = keyof typeof downloadTargets;

export function isDownloadTargetKind(kind: string): kind is DownloadTargetKind {
  return Object.hasOwn(downloadTargets, kind);
}

/** `spec.objectStorage.prefix` with surrounding slashes trimmed (§2.1). */
export function normalizePrefix(prefix: string | undefined): string {
  return (prefix ?? '').replace(/^\/+|\/+$/g, '');
}

/** Backup and restore names are Kubernetes names; a `/` would address another object. */
function checkName(kind: string, name: string): string {
  if (name === '' || name.includes('/') || name === '.' || name === '..') {
    throw new ValidationError(`${kind} name "${name}" cannot be used in an object key`);
  }
  return name;
}

/** The keys of one BSL: every key starts with `<prefix>/` when the prefix is non-empty. */
export class StoreLayout {
  readonly prefix: string;
  constructor(prefix: string | undefined) {
    this.prefix = normalizePrefix(prefix);
  }

  /** `<prefix>/` or `''`: where the top-level directories live. */
  root(): string {
    return this.prefix === '' ? '' : `${this.prefix}/`;
  }
  backupsDir(): string {
    return `${this.root()}backups/`;
  }
  restoresDir(): string {
    return `${this.root()}restores/`;
  }
  backupDir(name: string): string {
    return `${this.backupsDir()}${checkName('backup', name)}/`;
  }
  restoreDir(name: string): string {
    return `${this.restoresDir()}${checkName('restore', name)}/`;
  }
  backupKey(name: string, file: BackupFile): string {
    return `${this.backupDir(name)}${backupFileNames[file](name)}`;
  }
  restoreKey(name: string, file: RestoreFile): string {
    return `${this.restoreDir(name)}${restoreFileNames[file](name)}`;
  }
  downloadKey(kind: DownloadTargetKind, name: string): string {
    const target = downloadTargets[kind];
    return target.scope === 'backup' ? this.backupKey(name, target.file) : this.restoreKey(name, target.file);
  }
  /** Prefix of the kopia (or legacy restic) repository of one workload namespace (§2.5). */
  repositoryPrefix(kind: 'kopia' | 'restic', volumeNamespace: string): string {
    return `${this.root()}${kind}/${checkName('namespace', volumeNamespace)}/`;
  }

  /** The name in a common prefix `<dir><name>/` listed under `dir`. */
  static childName(dir: string, commonPrefix: string): string {
    return commonPrefix.slice(dir.length).replace(/\/$/, '');
  }
}
