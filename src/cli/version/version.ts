/** `skiff version` (reference §8.2): the client's version, and the server's through a ServerStatusRequest. */
import { Command } from '@commander-js/extra-typings';
import { parseDuration } from '../../util/duration.ts';
import { SKIFF_VERSION } from '../../util/version.ts';
import { CliContext } from '../context.ts';
import { throwIfProblems } from '../errors.ts';
import { parseDurationFlag, ProblemCollector } from '../flags.ts';
import { askServerStatus } from './server-version.ts';

export function versionCommand() {
  return new Command('version')
    .description("Print the client's version and, through a ServerStatusRequest, the server's")
    .option('--client-only', 'print only the client version; do not contact the server')
    .option('--timeout <duration>', 'how long to wait for the server to answer', '5s')
    .addHelpText(
      'after',
      `
Examples:
  skiff version
  skiff version --client-only
  skiff version -n backups --timeout 30s`,
    )
    .action(async (flags, cmd) => {
      const p = new ProblemCollector();
      const timeout = p.attempt(() => parseDurationFlag(flags.timeout, '--timeout'));
      throwIfProblems(p.problems);
      console.log(`Client:\n\tVersion: ${SKIFF_VERSION}`);
      if (flags.clientOnly) return;
      const ctx = CliContext.fromCommand(cmd);
      const status = await askServerStatus({
        cluster: ctx.cluster(),
        namespace: ctx.namespace,
        timeoutMs: parseDuration(timeout ?? '5s'),
      });
      console.log(`Server:\n\tVersion: ${status.serverVersion ?? '<unknown>'}`);
    });
}
