import type { RepositoryType } from '../../api/index.ts';
import { KopiaUploader } from './kopia.ts';
import { ResticUploader } from './restic.ts';
import type { UploaderTuning } from './tuning.ts';
import type { RepositoryAccess, Uploader } from './types.ts';

export * from './types.ts';
export * from './settings.ts';
export * from './tuning.ts';
export { KopiaUploader } from './kopia.ts';
export { ResticUploader } from './restic.ts';
export { ToolError } from './run-tool.ts';

/** Paths of the uploader binaries (default: found on PATH). */
export interface UploaderBinaries {
  kopia?: string;
  restic?: string;
}

/** The uploader of a repository type. */
export function createUploader(
  access: RepositoryAccess,
  binaries: UploaderBinaries = {},
  tuning?: UploaderTuning,
): Uploader {
  const type: RepositoryType = access.type;
  return type === 'restic'
    ? new ResticUploader(access, binaries.restic ?? 'restic', tuning)
    : new KopiaUploader(access, binaries.kopia ?? 'kopia', tuning);
}
