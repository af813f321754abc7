/** `skiff server` flags of the file-system backup side (reference §10.2). */
import type { ServerOptions } from '../../server/options.ts';
import { parseDurationFlag, parseOptionalBool, type ProblemCollector } from '../flags.ts';

export interface VolumeServerFlags {
  defaultVolumesToFsBackup?: string | boolean | undefined;
  fsBackupTimeout?: string | undefined;
}

export function volumeServerOptions(
  p: ProblemCollector,
  flags: VolumeServerFlags,
): Pick<ServerOptions, 'defaultVolumesToFsBackup' | 'fsBackupTimeout'> {
  const fsDefault = p.attempt(() =>
    parseOptionalBool(flags.defaultVolumesToFsBackup, '--default-volumes-to-fs-backup'),
  );
  const timeout = p.attempt(() => parseDurationFlag(flags.fsBackupTimeout, '--fs-backup-timeout'));
  return {
    ...(fsDefault !== undefined ? { defaultVolumesToFsBackup: fsDefault } : {}),
    ...(timeout !== undefined ? { fsBackupTimeout: timeout } : {}),
  };
}
