/** Flags of `skiff server` (names follow `velero server`, reference §10.2). */
export interface ServerOptions {
  kubeconfig?: string;
  kubecontext?: string;
  /** Namespace the server watches and keeps its objects in (Velero: `velero`). */
  namespace: string;
  /** `--default-backup-ttl`, a Go duration; default 720h. */
  defaultBackupTtl?: string;
  /** `--default-backup-storage-location`; default `default`. */
  defaultBackupStorageLocation?: string;
  /** Path of an AWS shared credentials file used when a location has no `spec.credential`. */
  credentialsFile?: string;
  /** `--restore-resource-priorities`, comma-separated. */
  restoreResourcePriorities?: string[];
  /** `--restore-backend-timeout` (Go duration): how long, in all, a restore's webhooks and APIServices wait for their backends; default 1m. */
  restoreBackendTimeout?: string;
  /** `--client-page-size`; default 500, 0 for unpaged lists. */
  clientPageSize?: number;
  /** `--store-validation-frequency` (Go duration); default 1m. */
  storeValidationFrequency?: string;
  /** `--backup-sync-period` (Go duration); default 1m; 0 disables backup sync. */
  backupSyncPeriod?: string;
  /** Address for /metrics, /healthz and /readyz, e.g. `127.0.0.1:8085`; empty disables it. */
  metricsAddress?: string;
  /** `--leader-elect`: only the holder of a Lease runs the controllers; default true. */
  leaderElect?: boolean;
  /** `--leader-elect-lease-duration` (Go duration); default 15s. */
  leaderElectLeaseDuration?: string;
  /** `--leader-elect-renew-deadline` (Go duration); default 10s. */
  leaderElectRenewDeadline?: string;
  /** `--leader-elect-retry-period` (Go duration); default 2s. */
  leaderElectRetryPeriod?: string;
  /** `--leader-elect-resource-name`: the Lease in the server namespace; default `skiff-server`. */
  leaderElectResourceName?: string;
  logLevel?: string;
  /** `--schedule-skip-immediately`: the value of an unset Schedule `spec.skipImmediately`; default false. */
  scheduleSkipImmediately?: boolean;
  /** `--garbage-collection-frequency` (Go duration); default (and 0) 1h. */
  garbageCollectionFrequency?: string;
  /** `--disable-controllers`: Velero controller names (reference §10.1) that do not run. */
  disableControllers?: string[];
  /** `--features`: server feature names (src/server/features.ts), already checked. */
  features?: string[];
  /** `--concurrent-backups`: backups of disjoint namespaces run at once, up to this many; default 1. */
  concurrentBackups?: number;
  /** `--item-block-worker-count`: units of work one backup processes at once; default 3 (see runBackup). */
  itemBlockWorkerCount?: number;
  /** `--uploader-type`: kopia (default) or restic, for new file-system backups. */
  uploaderType?: 'kopia' | 'restic';
  /** `--default-repo-maintain-frequency` (Go duration): wins over each BackupRepository's own. */
  defaultRepoMaintainFrequency?: string;
  /** `--default-volumes-to-fs-backup`: the value of an unset Backup `spec.defaultVolumesToFsBackup`; default false. */
  defaultVolumesToFsBackup?: boolean;
  /** `--fs-backup-timeout` (Go duration): how long a backup waits for its PodVolumeBackups; default 240m. */
  fsBackupTimeout?: string;
  /**
   * `--tenant-operations`: this server runs the tenant.skiff.dev backups and restores of every
   * namespace (issue 17); one server per cluster should. The CLI's default is true; a server
   * started in-process (tests) runs them only when asked.
   */
  tenantOperations?: boolean;
  /** `--view-api-bind-address`: serve the view.skiff.dev aggregated API (tenants' logs and details) here, over HTTPS. */
  viewApiBindAddress?: string;
  /** `--view-api-cert`/`--view-api-key`: the serving certificate; without them a self-signed one (Secret skiff-view-api-tls). */
  viewApiCert?: string;
  viewApiKey?: string;
}
