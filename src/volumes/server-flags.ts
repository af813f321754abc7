/**
 * The file-system backup flags of `skiff server` that the repository side owns (reference
 * §6.1, §1.6): `--uploader-type` and `--default-repo-maintain-frequency`, checked.
 */
import { UploaderType } from '../api/index.ts';
import { parseDuration } from '../util/duration.ts';

export interface VolumeServerFlags {
  uploaderType?: string | undefined;
  defaultRepoMaintainFrequency?: string | undefined;
}

export interface VolumeServerOptions {
  uploaderType?: UploaderType;
  defaultRepoMaintainFrequency?: string;
}

export const UPLOADER_TYPES: readonly string[] = Object.values(UploaderType);

/** The options, or the problems with the flags (each naming its flag and value). */
export function volumeServerOptions(flags: VolumeServerFlags): { options: VolumeServerOptions; problems: string[] } {
  const problems: string[] = [];
  const options: VolumeServerOptions = {};
  if (flags.uploaderType !== undefined) {
    if (UPLOADER_TYPES.includes(flags.uploaderType)) options.uploaderType = flags.uploaderType as UploaderType;
    else problems.push(`--uploader-type "${flags.uploaderType}" is not one of ${UPLOADER_TYPES.join(', ')}`);
  }
  if (flags.defaultRepoMaintainFrequency) {
    try {
      if (parseDuration(flags.defaultRepoMaintainFrequency, '--default-repo-maintain-frequency') <= 0) {
        problems.push('--default-repo-maintain-frequency must be longer than 0');
      } else {
        options.defaultRepoMaintainFrequency = flags.defaultRepoMaintainFrequency;
      }
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return { options, problems };
}
