/**
 * Keys of `uploaderSettings` on PodVolumeBackups and PodVolumeRestores, as Velero writes them
 * (reference §6.3, §6.5): the server copies a Backup's or Restore's `spec.uploaderConfig` here,
 * the node agent reads them. Values are strings.
 */
export const UploaderSettingKeys = {
  /** Backup: how many files to upload at once (from `spec.uploaderConfig.parallelFilesUpload`). */
  ParallelFilesUpload: 'ParallelFilesUpload',
  /** Restore: "true" to write files with holes where the data is zero (`spec.uploaderConfig.writeSparseFiles`). */
  WriteSparseFiles: 'WriteSparseFiles',
  /** Restore: how many files to write at once (`spec.uploaderConfig.parallelFilesDownload`). */
  ParallelFilesDownload: 'ParallelFilesDownload',
} as const;

export interface BackupSettings {
  parallelFiles?: number;
}

export interface RestoreSettings {
  writeSparseFiles: boolean;
  parallelFiles?: number;
}

function positiveInt(settings: Readonly<Record<string, string>>, key: string): number | undefined {
  const raw = settings[key];
  if (raw === undefined || raw === '' || raw === '0') return undefined;
  if (!/^\d+$/.test(raw)) throw new Error(`uploaderSettings.${key} "${raw}" is not a whole number`);
  return Number(raw);
}

const KNOWN = new Set<string>(Object.values(UploaderSettingKeys));

function refuseUnknown(settings: Readonly<Record<string, string>>, allowed: readonly string[]): void {
  for (const key of Object.keys(settings)) {
    if (!KNOWN.has(key)) throw new Error(`uploaderSettings.${key} is not a setting Skiff knows`);
    if (!allowed.includes(key)) throw new Error(`uploaderSettings.${key} applies to the other direction`);
  }
}

/** Parses a PodVolumeBackup's settings; unknown or misplaced keys are refused, naming them. */
export function parseBackupSettings(settings: Readonly<Record<string, string>> | null | undefined): BackupSettings {
  const s = settings ?? {};
  refuseUnknown(s, [UploaderSettingKeys.ParallelFilesUpload]);
  const parallelFiles = positiveInt(s, UploaderSettingKeys.ParallelFilesUpload);
  return parallelFiles === undefined ? {} : { parallelFiles };
}

/** Parses a PodVolumeRestore's settings; unknown or misplaced keys are refused, naming them. */
export function parseRestoreSettings(settings: Readonly<Record<string, string>> | null | undefined): RestoreSettings {
  const s = settings ?? {};
  refuseUnknown(s, [UploaderSettingKeys.WriteSparseFiles, UploaderSettingKeys.ParallelFilesDownload]);
  const sparse = s[UploaderSettingKeys.WriteSparseFiles];
  if (sparse !== undefined && sparse !== 'true' && sparse !== 'false') {
    throw new Error(`uploaderSettings.${UploaderSettingKeys.WriteSparseFiles} "${sparse}" is not "true" or "false"`);
  }
  const parallelFiles = positiveInt(s, UploaderSettingKeys.ParallelFilesDownload);
  return { writeSparseFiles: sparse === 'true', ...(parallelFiles === undefined ? {} : { parallelFiles }) };
}
