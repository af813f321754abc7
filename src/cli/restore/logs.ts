/** `skiff restore logs NAME`: the restore's log, fetched through a DownloadRequest (reference §1.8, §8.2). */
import { pipeline } from 'node:stream/promises';
import { Command } from '@commander-js/extra-typings';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import { CliContext } from '../context.ts';
import { openDownload } from '../download-request.ts';
import { downloadTls, downloadTlsOptions } from '../download-flags.ts';
import { FlagError, throwIfProblems } from '../errors.ts';
import { parseTimeoutFlag } from '../flags.ts';

export function restoreLogsCommand() {
  return downloadTlsOptions(
    new Command('logs')
      .description('Print the log of a restore')
      .argument('<name>', 'the restore')
      .option(
        '--timeout <duration>',
        'how long to wait for the server to serve the log (a plain number is seconds)',
        '1m',
      ),
  )
    .addHelpText(
      'after',
      `
Examples:
  skiff restore logs web-daily-20250131140509
  skiff restore logs web-daily-20250131140509 | grep level=warning`,
    )
    .action(async (name, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const { tls, problems } = downloadTls(flags);
      throwIfProblems(problems);
      const timeoutMs = parseTimeoutFlag(flags.timeout);
      const cluster = ctx.cluster();
      if (!(await cluster.find(resourceRef(Kinds.Restore), name, ctx.namespace))) {
        throw new FlagError([`restore ${name} not found in namespace ${ctx.namespace}`]);
      }
      const log = await openDownload({ cluster, namespace: ctx.namespace, kind: 'RestoreLog', name, timeoutMs, tls });
      // end: false keeps stdout open; a closed stdout (e.g. `| head`) just stops the copy.
      await pipeline(log, process.stdout, { end: false });
    });
}
