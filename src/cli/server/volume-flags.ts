/** `skiff server` flags of the backup side of file-system backup (reference §10.2); the repository side's are in src/volumes/server-flags.ts. */
import type { ServerOptions } from '../../server/options.ts';
import { parseDurationFlag, parseOptionalBool, type ProblemCollector } from '../flags.ts';

export interface FsBackupServerFlags {
  defaultVolumesToFsBackup?: string | boolean | undefined;
  fsBackupTimeout?: string | undefined;
}

export function fsBackupServerOptions(
  p: ProblemCollector,
  flags: FsBackupServerFlags,
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
