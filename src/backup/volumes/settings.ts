/**
 * The volume fields of a Backup, resolved against the server's defaults (reference §1.1,
 * §3.7, §10.2), with a warning for each field Skiff accepts but cannot act on yet, or a
 * validation error where acting otherwise would mislead (issue 14 item 8: nothing silently
 * ignored). Pure.
 */
import type { BackupSpec } from '../../api/backup.ts';
import { Annotations, Defaults } from '../../api/labels.ts';
import { parseDuration } from '../../util/duration.ts';
import { errorMessage } from '../../util/errors.ts';

export type UploaderType = 'kopia' | 'restic';

export interface ServerVolumeDefaults {
  /** `--default-volumes-to-fs-backup`. */
  defaultVolumesToFsBackup: boolean;
  /** `--uploader-type`. */
  uploaderType: UploaderType;
  /** `--fs-backup-timeout`, a Go duration; default 240m. */
  fsBackupTimeout?: string | undefined;
}

export interface ResolvedVolumeFields {
  /** The spec with `defaultVolumesToFsBackup` filled in, as Velero stores it. */
  spec: BackupSpec;
  defaultVolumesToFsBackup: boolean;
  defaultSource: string;
  /** How long the backup waits for its PodVolumeBackups, in ms. */
  timeoutMs: number;
  /** How long the backup waits for each CSI VolumeSnapshot to be ready (`spec.csiSnapshotTimeout`, default 10m), in ms. */
  csiSnapshotTimeoutMs: number;
  uploaderType: UploaderType;
  warnings: string[];
  validationErrors: string[];
}

const NO_NATIVE = 'Skiff takes no native volume snapshots (CSI snapshots need no snapshot location)';

export function resolveVolumeFields(
  spec: BackupSpec,
  annotations: Record<string, string> | undefined,
  server: ServerVolumeDefaults,
): ResolvedVolumeFields {
  const warnings: string[] = [];
  const validationErrors: string[] = [];
  const out: BackupSpec = { ...spec };
  let defaultSource = 'spec.defaultVolumesToFsBackup';
  // Deprecated field: true is copied into defaultVolumesToFsBackup (reference §1.1).
  if (spec.defaultVolumesToRestic === true) {
    out.defaultVolumesToFsBackup = true;
    defaultSource = 'spec.defaultVolumesToRestic (deprecated)';
  } else if (spec.defaultVolumesToFsBackup === undefined || spec.defaultVolumesToFsBackup === null) {
    out.defaultVolumesToFsBackup = server.defaultVolumesToFsBackup;
    defaultSource = 'server --default-volumes-to-fs-backup';
  }
  const timeout = fsBackupTimeout(annotations, server, validationErrors);
  if (spec.volumeSnapshotLocations?.length)
    warnings.push(
      `spec.volumeSnapshotLocations (${spec.volumeSnapshotLocations.join(', ')}) has no effect: ${NO_NATIVE}`,
    );
  checkDataMover(spec, warnings, validationErrors);
  if (spec.volumeGroupSnapshotLabelKey)
    validationErrors.push(volumeGroupSnapshotRefusal(spec.volumeGroupSnapshotLabelKey));
  const csiSnapshotTimeoutMs = csiSnapshotTimeout(spec.csiSnapshotTimeout, validationErrors);
  if ((spec.uploaderConfig?.parallelFilesUpload ?? 0) > 0 && server.uploaderType === 'restic')
    warnings.push(
      'spec.uploaderConfig.parallelFilesUpload applies to the kopia uploader only: this server uses restic (--uploader-type)',
    );
  return {
    spec: out,
    defaultVolumesToFsBackup: out.defaultVolumesToFsBackup === true,
    defaultSource,
    timeoutMs: timeout,
    csiSnapshotTimeoutMs,
    uploaderType: server.uploaderType,
    warnings,
    validationErrors,
  };
}

/**
 * `spec.datamover` (reference §7.3 step 8): empty or `velero` is the built-in data mover, which Skiff runs; any
 * other mover is refused (Skiff runs no third-party data mover), and a mover without `snapshotMoveData` does nothing.
 */
function checkDataMover(spec: BackupSpec, warnings: string[], errors: string[]): void {
  const mover = spec.datamover ?? '';
  if (mover === '' || mover === 'velero') return;
  if (spec.snapshotMoveData === true)
    errors.push(
      `spec.datamover "${mover}" is not a data mover Skiff runs: only the built-in one (empty or "velero") moves snapshot data`,
    );
  else warnings.push(`spec.datamover "${mover}" has no effect: spec.snapshotMoveData is not true`);
}

/**
 * `spec.volumeGroupSnapshotLabelKey` (reference §1.1, §3.4, §7.3): Velero takes one CSI
 * VolumeGroupSnapshot for the claims sharing the label's value. Skiff takes no group
 * snapshots, and a backup that asks for crash-consistent groups must not end Completed with
 * separate snapshots. Only new backups get here: synced and adopted ones, which real Velero may
 * have filled from its server default, are created finished and never validated.
 */
export function volumeGroupSnapshotRefusal(key: string): string {
  return (
    `spec.volumeGroupSnapshotLabelKey "${key}" cannot be honoured: Skiff does not support CSI volume group snapshots ` +
    `(VolumeGroupSnapshot); remove the field to snapshot each claim on its own`
  );
}

function fsBackupTimeout(
  annotations: Record<string, string> | undefined,
  server: ServerVolumeDefaults,
  errors: string[],
): number {
  const fallback = parseDuration(server.fsBackupTimeout ?? Defaults.FSBackupTimeout, '--fs-backup-timeout');
  const text = annotations?.[Annotations.PodVolumeTimeout];
  if (text === undefined) return fallback;
  try {
    return parseDuration(text, `annotation ${Annotations.PodVolumeTimeout}`);
  } catch (err) {
    errors.push(errorMessage(err));
    return fallback;
  }
}

/** `spec.csiSnapshotTimeout`; unset or zero is Velero's default, 10m (reference §7.3, Appendix B). */
function csiSnapshotTimeout(text: string | undefined, errors: string[]): number {
  const fallback = parseDuration(Defaults.CSISnapshotTimeout);
  if (!text) return fallback;
  try {
    const ms = parseDuration(text, 'spec.csiSnapshotTimeout');
    return ms > 0 ? ms : fallback;
  } catch (err) {
    errors.push(errorMessage(err));
    return fallback;
  }
}
