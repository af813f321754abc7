/** `skiff backup download NAME`: the backup tarball, as stored, into a local file (reference §8.2). */
import { open, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Command } from '@commander-js/extra-typings';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import { CliContext } from '../context.ts';
import { openDownload } from '../download-request.ts';
import { downloadTls, downloadTlsOptions } from '../download-flags.ts';
import { FlagError, throwIfProblems } from '../errors.ts';
import { parseTimeoutFlag } from '../flags.ts';

/** Velero's default file name. */
export function defaultDownloadPath(name: string): string {
  return `${name}-data.tar.gz`;
}

export function backupDownloadCommand() {
  return downloadTlsOptions(
    new Command('download')
      .description('Download all Kubernetes manifests of a backup (the tarball, as stored)')
      .argument('<name>', 'the backup')
      .option('-o, --output <file>', 'file to write (default: NAME-data.tar.gz)')
      .option('--force', 'overwrite the file if it exists')
      .option(
        '--timeout <duration>',
        'how long to wait for the server to serve the tarball (a plain number is seconds)',
        '1m',
      ),
  )
    .addHelpText(
      'after',
      `
Examples:
  skiff backup download web-daily
  skiff backup download web-daily -o /tmp/web.tar.gz --force && tar tzf /tmp/web.tar.gz`,
    )
    .action(async (name, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const { tls, problems } = downloadTls(flags);
      throwIfProblems(problems);
      const timeoutMs = parseTimeoutFlag(flags.timeout);
      const path = flags.output ?? defaultDownloadPath(name);
      const cluster = ctx.cluster();
      if (!(await cluster.find(resourceRef(Kinds.Backup), name, ctx.namespace))) {
        throw new FlagError([`backup ${name} not found in namespace ${ctx.namespace}`]);
      }
      // Open the file first (exclusively unless --force), so a refusal costs no download.
      const file = await open(path, flags.force ? 'w' : 'wx').catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new FlagError([`file ${path} already exists: use --force to overwrite it, or -o to choose another`]);
        }
        throw err;
      });
      try {
        const body = await openDownload({
          cluster,
          namespace: ctx.namespace,
          kind: 'BackupContents',
          name,
          timeoutMs,
          tls,
        });
        await pipeline(body, file.createWriteStream());
      } catch (err) {
        await file.close().catch(() => undefined);
        await rm(path, { force: true });
        throw err;
      }
      console.log(`Backup ${name} has been successfully downloaded to ${path}`);
    });
}
