import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The server's Prometheus metrics, under Velero's names and labels (reference §10.3), so that
 * dashboards and alerts written for Velero work unchanged. Every per-operation metric carries
 * `schedule`: the schedule that made the backup (label `velero.io/schedule-name`), `""` for a
 * backup made by hand; restores take `spec.scheduleName`.
 *
 * Not exported, because Skiff does not do what they count: volume snapshots
 * (`velero_volume_snapshot_*`), CSI snapshots (`velero_csi_snapshot_*`), repository maintenance
 * (`velero_repo_maintenance_*`) and the node-agent's `podVolume_*` metrics.
 *
 * Metrics register on the Registry given, never on prom-client's global one: two servers in
 * one process (the integration tests) each have their own.
 */
export class ServerMetrics {
  readonly registry: Registry;
  private readonly backupTarballSize: Gauge<'schedule'>;
  private readonly backupTotal: Gauge;
  private readonly backupAttempts: Counter<'schedule'>;
  private readonly backupSuccesses: Counter<'schedule'>;
  private readonly backupPartialFailures: Counter<'schedule'>;
  private readonly backupFailures: Counter<'schedule'>;
  private readonly backupValidationFailures: Counter<'schedule'>;
  private readonly backupDuration: Histogram<'schedule'>;
  private readonly deletionAttempts: Counter<'schedule'>;
  private readonly deletionSuccesses: Counter<'schedule'>;
  private readonly deletionFailures: Counter<'schedule'>;
  private readonly backupLastSuccess: Gauge<'schedule'>;
  private readonly backupItems: Gauge<'schedule'>;
  private readonly backupItemErrors: Gauge<'schedule'>;
  private readonly backupWarnings: Counter<'schedule'>;
  private readonly backupLastStatus: Gauge<'schedule'>;
  private readonly locationStatus: Gauge<'backup_location_name'>;
  private readonly restoreTotal: Gauge;
  private readonly restoreAttempts: Counter<'schedule'>;
  private readonly restoreSuccesses: Counter<'schedule'>;
  private readonly restorePartialFailures: Counter<'schedule'>;
  private readonly restoreFailures: Counter<'schedule'>;
  private readonly restoreValidationFailures: Counter<'schedule'>;

  constructor(registry: Registry) {
    this.registry = registry;
    const registers = [registry];
    const perSchedule = { labelNames: ['schedule'] as const, registers };
    const counter = (name: string, help: string): Counter<'schedule'> => new Counter({ name, help, ...perSchedule });
    const gauge = (name: string, help: string): Gauge<'schedule'> => new Gauge({ name, help, ...perSchedule });

    this.backupTarballSize = gauge('velero_backup_tarball_size_bytes', 'Bytes of the last backup tarball, compressed');
    this.backupTotal = new Gauge({ name: 'velero_backup_total', help: 'Backups in the cluster', registers });
    this.backupAttempts = counter('velero_backup_attempt_total', 'Backups started');
    this.backupSuccesses = counter('velero_backup_success_total', 'Backups that ended Completed');
    this.backupPartialFailures = counter('velero_backup_partial_failure_total', 'Backups that ended PartiallyFailed');
    this.backupFailures = counter('velero_backup_failure_total', 'Backups that ended Failed');
    this.backupValidationFailures = counter(
      'velero_backup_validation_failure_total',
      'Backups that ended FailedValidation',
    );
    this.backupDuration = new Histogram({
      name: 'velero_backup_duration_seconds',
      help: 'Seconds from the start of a backup to its end',
      // Velero's buckets: 1, 5, 10, 15 and 30 minutes, 1, 2, 3 and 4 hours.
      buckets: [60, 300, 600, 900, 1800, 3600, 7200, 10800, 14400],
      ...perSchedule,
    });
    this.deletionAttempts = counter('velero_backup_deletion_attempt_total', 'Backup deletions started');
    this.deletionSuccesses = counter('velero_backup_deletion_success_total', 'Backup deletions that succeeded');
    this.deletionFailures = counter('velero_backup_deletion_failure_total', 'Backup deletions that failed');
    this.backupLastSuccess = gauge(
      'velero_backup_last_successful_timestamp',
      'Unix time in seconds at which the last Completed backup ended',
    );
    this.backupItems = gauge('velero_backup_items_total', 'Items in the last backup');
    this.backupItemErrors = gauge('velero_backup_items_errors', 'Errors met by the last backup');
    this.backupWarnings = counter('velero_backup_warning_total', 'Warnings met by backups');
    this.backupLastStatus = gauge('velero_backup_last_status', 'Last backup: 1 when Completed, 0 otherwise');
    this.locationStatus = new Gauge({
      name: 'velero_backup_location_status_gauge',
      help: 'Backup storage location: 1 when Available, 0 when Unavailable',
      labelNames: ['backup_location_name'] as const,
      registers,
    });
    this.restoreTotal = new Gauge({ name: 'velero_restore_total', help: 'Restores in the cluster', registers });
    this.restoreAttempts = counter('velero_restore_attempt_total', 'Restores started');
    this.restoreSuccesses = counter('velero_restore_success_total', 'Restores that ended Completed');
    this.restorePartialFailures = counter(
      'velero_restore_partial_failure_total',
      'Restores that ended PartiallyFailed',
    );
    this.restoreFailures = counter('velero_restore_failed_total', 'Restores that ended Failed');
    this.restoreValidationFailures = counter(
      'velero_restore_validation_failed_total',
      'Restores that ended FailedValidation',
    );
    // Velero shows the manual ("") series from the start, so a rate() over them never lacks a zero.
    this.scheduleRegistered('');
  }

  /**
   * A schedule is known: its counters start at zero, so an alert on
   * `increase(velero_backup_failure_total[1h])` sees the series before its first failure.
   * The schedule controller calls it for each schedule it reconciles; calling again is harmless.
   */
  scheduleRegistered(schedule: string): void {
    for (const c of this.scheduleCounters()) c.inc({ schedule }, 0);
  }

  /** A schedule was deleted: its series go, as Velero removes them. */
  scheduleRemoved(schedule: string): void {
    for (const c of this.scheduleCounters()) c.remove({ schedule });
    for (const g of [this.backupTarballSize, this.backupLastSuccess, this.backupItems, this.backupItemErrors]) {
      g.remove({ schedule });
    }
    this.backupLastStatus.remove({ schedule });
    this.backupDuration.remove({ schedule });
  }

  /** A backup passed validation and starts running. */
  backupAttempted(schedule: string): void {
    this.backupAttempts.inc({ schedule });
  }

  /** A backup ended FailedValidation (it never counts as attempted, as in Velero). */
  backupFailedValidation(schedule: string): void {
    this.backupValidationFailures.inc({ schedule });
  }

  /** A backup that ran has ended with `phase`. */
  backupFinished(schedule: string, result: BackupResult): void {
    const labels = { schedule };
    this.backupDuration.observe(labels, result.durationSeconds);
    this.backupItems.set(labels, result.items);
    this.backupItemErrors.set(labels, result.errors);
    if (result.warnings > 0) this.backupWarnings.inc(labels, result.warnings);
    if (result.tarballBytes !== undefined) this.backupTarballSize.set(labels, result.tarballBytes);
    if (result.phase === 'Completed') {
      this.backupSuccesses.inc(labels);
      this.backupLastStatus.set(labels, 1);
      this.backupLastSuccess.set(labels, result.completedAt.getTime() / 1000);
      return;
    }
    this.backupLastStatus.set(labels, 0);
    if (result.phase === 'PartiallyFailed') this.backupPartialFailures.inc(labels);
    else this.backupFailures.inc(labels);
  }

  /** A restore passed validation and starts running (once per restore, not again on resume). */
  restoreAttempted(schedule: string): void {
    this.restoreAttempts.inc({ schedule });
  }

  restoreFailedValidation(schedule: string): void {
    this.restoreValidationFailures.inc({ schedule });
  }

  /** A restore that ran has ended with `phase`. */
  restoreFinished(schedule: string, phase: string): void {
    if (phase === 'Completed') this.restoreSuccesses.inc({ schedule });
    else if (phase === 'PartiallyFailed') this.restorePartialFailures.inc({ schedule });
    else this.restoreFailures.inc({ schedule });
  }

  /** A DeleteBackupRequest starts deleting the backup made by `schedule` ("" for a manual one). */
  backupDeletionAttempted(schedule: string): void {
    this.deletionAttempts.inc({ schedule });
  }

  /** The deletion ended: `succeeded` when it recorded no errors. */
  backupDeletionFinished(schedule: string, succeeded: boolean): void {
    (succeeded ? this.deletionSuccesses : this.deletionFailures).inc({ schedule });
  }

  /** The location controller validated `location`. */
  locationValidated(location: string, available: boolean): void {
    this.locationStatus.set({ backup_location_name: location }, available ? 1 : 0);
  }

  /** A location was deleted: its series goes. */
  locationRemoved(location: string): void {
    this.locationStatus.remove({ backup_location_name: location });
  }

  /** Backups and restores in the cluster, counted every minute (reference §10.2's fixed interval). */
  objectsCounted(counts: { backups: number; restores: number }): void {
    this.backupTotal.set(counts.backups);
    this.restoreTotal.set(counts.restores);
  }

  /** The exposition text for a scrape. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private scheduleCounters(): Counter<'schedule'>[] {
    return [
      this.backupAttempts,
      this.backupSuccesses,
      this.backupPartialFailures,
      this.backupFailures,
      this.backupValidationFailures,
      this.backupWarnings,
      this.deletionAttempts,
      this.deletionSuccesses,
      this.deletionFailures,
      this.restoreAttempts,
      this.restoreSuccesses,
      this.restorePartialFailures,
      this.restoreFailures,
      this.restoreValidationFailures,
    ];
  }
}

/** How a backup that ran ended, for `backupFinished`. */
export interface BackupResult {
  phase: string;
  durationSeconds: number;
  completedAt: Date;
  /** Items written to the tarball. */
  items: number;
  errors: number;
  warnings: number;
  /** Compressed size of the tarball, when it was uploaded. */
  tarballBytes?: number;
}
