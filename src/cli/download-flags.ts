/**
 * `--cacert` and `--insecure-skip-tls-verify` (reference §8.2) of the commands that fetch a file
 * of a backup or restore from the signed URL a DownloadRequest returns: logs, download, and
 * describe --details.
 */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { isFile } from '../util/is-file.ts';
import type { DownloadTls } from './download-request.ts';

export function downloadTlsOptions<Args extends unknown[], Opts extends OptionValues>(cmd: Command<Args, Opts>) {
  return cmd
    .option(
      '--cacert <file>',
      'CA bundle to trust for the storage URL the file comes from (default: the client config cacert)',
    )
    .option('--insecure-skip-tls-verify', 'do not check the storage URL certificate (a self-signed one, for instance)');
}

export interface DownloadTlsFlags {
  cacert?: string | undefined;
  insecureSkipTlsVerify?: boolean | undefined;
}

/** The flags as a DownloadTls, or the problems with them: a CA file that is not there, or both at once. */
export function downloadTls(flags: DownloadTlsFlags): { tls: DownloadTls; problems: string[] } {
  const problems: string[] = [];
  if (flags.cacert !== undefined && flags.insecureSkipTlsVerify) {
    problems.push('--cacert and --insecure-skip-tls-verify: give one (the second would check no certificate at all)');
  }
  if (flags.cacert !== undefined && !isFile(flags.cacert)) problems.push(`--cacert: no file at ${flags.cacert}`);
  return {
    tls: {
      ...(flags.cacert !== undefined ? { cacert: flags.cacert } : {}),
      ...(flags.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
    },
    problems,
  };
}
