/**
 * Label, annotation and finalizer keys Velero puts on objects, and the fixed
 * names and defaults it uses (reference Appendix A and Appendix B). Nobody
 * else spells these strings: a typo here would silently break compatibility
 * with objects and buckets Velero wrote.
 */

/** Labels (Appendix A). Values of name labels are normalised with the 63-character rule (§0). */
export const Labels = {
  /** Skiff's own: the UID of the tenant namespace a velero.io object was made for (issue 17). */
  TenantNamespaceUID: 'tenant.skiff.dev/namespace-uid',
  BackupName: 'velero.io/backup-name',
  BackupUID: 'velero.io/backup-uid',
  RestoreName: 'velero.io/restore-name',
  RestoreUID: 'velero.io/restore-uid',
  ScheduleName: 'velero.io/schedule-name',
  StorageLocation: 'velero.io/storage-location',
  VolumeNamespace: 'velero.io/volume-namespace',
  RepositoryType: 'velero.io/repository-type',
  PodUID: 'velero.io/pod-uid',
  PVCUID: 'velero.io/pvc-uid',
  /** `=true` on any object or namespace excludes it from backups. */
  ExcludeFromBackup: 'velero.io/exclude-from-backup',
  /** `BSLNotFound` / `BSLCannotGet` / `BSLReadOnly` when garbage collection fails. */
  GCFailure: 'velero.io/gc-failure',
  VolumeSnapshotName: 'velero.io/volume-snapshot-name',
  /** Label on a VolumeSnapshotClass selecting it for Velero. */
  CSIVolumeSnapshotClass: 'velero.io/csi-volumesnapshot-class',
  /**
   * Default key grouping PVCs into one VolumeGroupSnapshot (server `--volume-group-snapshot-label-key`).
   * Skiff takes no group snapshots: a labelled claim is snapshotted alone, with a warning.
   */
  VolumeGroup: 'velero.io/volume-group',
  DynamicPVRestore: 'velero.io/dynamic-pv-restore',
  AsyncOperationID: 'velero.io/async-operation-id',
  DataUpload: 'velero.io/data-upload',
  DataDownload: 'velero.io/data-download',
  PodVolumeBackup: 'velero.io/pod-volume-backup',
  PodVolumeRestore: 'velero.io/pod-volume-restore',
  PVCNamespaceName: 'velero.io/pvc-namespace-name',
  /** `=DataUpload` on DataUploadResult ConfigMaps. */
  ResourceUsage: 'velero.io/resource-usage',
  /** `=true` on the `<du>-info` ConfigMap. */
  DataUploadSnapshotInfo: 'velero.io/data-upload-snapshot-info',
  PluginConfig: 'velero.io/plugin-config',
  /** `component=velero` on objects created by install. */
  Component: 'component',
} as const;

/** Annotations (Appendix A). */
export const Annotations = {
  /** On an item returned by a BackupItemAction: drop it from the backup. */
  SkipFromBackup: 'velero.io/skip-from-backup',
  /** On an item returned by a BackupItemAction: force its additional items in; stripped before storage. */
  MustIncludeAdditionalItems: 'backup.velero.io/must-include-additional-items',
  /** On pods: comma-separated volumes to back up with file-system backup (opt-in). */
  BackupVolumes: 'backup.velero.io/backup-volumes',
  /** On pods: comma-separated volumes not to back up with file-system backup (opt-out). */
  BackupVolumesExcludes: 'backup.velero.io/backup-volumes-excludes',
  PodVolumeTimeout: 'velero.io/pod-volume-timeout',
  SourceClusterK8sGitVersion: 'velero.io/source-cluster-k8s-gitversion',
  SourceClusterK8sMajorVersion: 'velero.io/source-cluster-k8s-major-version',
  SourceClusterK8sMinorVersion: 'velero.io/source-cluster-k8s-minor-version',
  ResourceTimeout: 'velero.io/resource-timeout',
  /** `"true"`/`"false"` on an object in a backup: override whether its status is restored. */
  RestoreStatus: 'velero.io/restore-status',
  OriginalPVName: 'velero.io/original-pv-name',
  PVCName: 'velero.io/pvc-name',
  VolumeSnapshotName: 'velero.io/volume-snapshot-name',
  /** `<ns>/<du>` on a PVC. */
  DataUploadName: 'velero.io/data-upload-name',
  CSIVolumeSnapshotHandle: 'velero.io/csi-volumesnapshot-handle',
  CSIDriverName: 'velero.io/csi-driver-name',
  CSIVolumeSnapshotRestoreSize: 'velero.io/csi-volumesnapshot-restore-size',
  CSIVSCDeletionPolicy: 'velero.io/csi-vsc-deletion-policy',
  CSIVolumeGroupSnapshotHandle: 'velero.io/csi-volumegroupsnapshot-handle',
  /** On a PVC: override the VolumeSnapshotClass. */
  CSIVolumeSnapshotClass: 'velero.io/csi-volumesnapshot-class',
  SkippedNoCSIPV: 'backup.velero.io/skipped-no-csi-pv',
} as const;

/** On a Backup or Schedule: VolumeSnapshotClass to use for one CSI driver. */
export function csiVolumeSnapshotClassForDriver(driver: string): string {
  return `velero.io/csi-volumesnapshot-class_${driver}`;
}

/** Legacy restic snapshot-ID annotation on pods, one per volume. */
export function legacySnapshotAnnotation(volume: string): string {
  return `snapshot.velero.io/${volume}`;
}

/** Pod annotations declaring backup exec hooks (reference §3.6); `Legacy` is the un-prefixed pre-hook form. */
export const BackupHookAnnotationPrefix = {
  Pre: 'pre.hook.backup.velero.io/',
  Post: 'post.hook.backup.velero.io/',
  Legacy: 'hook.backup.velero.io/',
} as const;

/** Suffixes after a BackupHookAnnotationPrefix. */
export const BackupHookAnnotation = {
  Command: 'command',
  Container: 'container',
  OnError: 'on-error',
  Timeout: 'timeout',
} as const;

/** Pod annotations declaring the restore exec hook (reference §4.7). */
export const RestoreExecHookAnnotations = {
  Command: 'post.hook.restore.velero.io/command',
  Container: 'post.hook.restore.velero.io/container',
  OnError: 'post.hook.restore.velero.io/on-error',
  ExecTimeout: 'post.hook.restore.velero.io/exec-timeout',
  WaitTimeout: 'post.hook.restore.velero.io/wait-timeout',
  WaitForReady: 'post.hook.restore.velero.io/wait-for-ready',
} as const;

/** Pod annotations declaring the restore init hook (reference §4.7). */
export const RestoreInitHookAnnotations = {
  ContainerImage: 'init.hook.restore.velero.io/container-image',
  ContainerName: 'init.hook.restore.velero.io/container-name',
  Command: 'init.hook.restore.velero.io/command',
  /** Defined by Velero but unused. */
  Timeout: 'init.hook.restore.velero.io/timeout',
} as const;

export const Finalizers = {
  RestoreExternalResources: 'restores.velero.io/external-resources-finalizer',
} as const;

/** Values of the `velero.io/gc-failure` label. */
export const GCFailureReason = {
  BSLNotFound: 'BSLNotFound',
  BSLCannotGet: 'BSLCannotGet',
  BSLReadOnly: 'BSLReadOnly',
} as const;
export type GCFailureReason = (typeof GCFailureReason)[keyof typeof GCFailureReason];

/** Fixed names (Appendix B). */
export const Names = {
  Namespace: 'velero',
  Deployment: 'velero',
  Container: 'velero',
  NodeAgentDaemonSet: 'node-agent',
  NodeAgentWindowsDaemonSet: 'node-agent-windows',
  ServiceAccount: 'velero',
  ClusterRoleBinding: 'velero',
  CredentialsSecret: 'cloud-credentials',
  CredentialsSecretKey: 'cloud',
  RepoCredentialsSecret: 'velero-repo-credentials',
  RepoCredentialsSecretKey: 'repository-password',
  DefaultBackupStorageLocation: 'default',
  DefaultVolumeSnapshotLocation: 'default',
  RestoreHelperInitContainer: 'restore-wait',
  LegacyRestoreHelperInitContainer: 'restic-wait',
  EnableAPIGroupVersionsConfigMap: 'enableapigroupversions',
  EnableAPIGroupVersionsConfigMapKey: 'restoreResourcesVersionPriority',
} as const;

/** Default values (Appendix B, §1.1, §10.2). Durations are in Go's string form, as the API stores them. */
export const Defaults = {
  BackupTTL: '720h',
  CSISnapshotTimeout: '10m',
  ItemOperationTimeout: '4h',
  FSBackupTimeout: '4h',
  DataMoverPrepareTimeout: '30m',
  HookTimeout: '30s',
  SignedURLTTL: '10m',
  GCFrequency: '1h',
  BackupSyncPeriod: '1m',
  StoreValidationFrequency: '1m',
  /** Repository password Velero installs when none is given. */
  RepositoryPassword: 'static-passw0rd',
  BackupFormatVersion: '1.1.0',
  BackupStatusVersion: 1,
  ListPageSize: 500,
  /** Kubernetes' label value limit, used by the name normalisation rule (§0). */
  LabelValueMaxLength: 63,
} as const;
