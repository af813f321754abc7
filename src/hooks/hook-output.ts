import type { ExecOutcome } from '../kube/exec.ts';
import type { OperationLog } from '../results/operation-log.ts';

/** Output kept in the log per stream and hook: a chatty hook must not fill the operation's log. */
const MAX_OUTPUT = 16 * 1024;

/** A hook command's stdout and stderr into the operation's log, each as one line (trimmed to MAX_OUTPUT). */
export function logOutput(
  log: OperationLog,
  fields: Record<string, string>,
  outcome: Pick<ExecOutcome, 'stdout' | 'stderr'>,
): void {
  for (const stream of ['stdout', 'stderr'] as const) {
    const text = outcome[stream];
    if (text === '') continue;
    const kept =
      text.length > MAX_OUTPUT ? `${text.slice(0, MAX_OUTPUT)}… (${text.length - MAX_OUTPUT} more bytes)` : text;
    log.info(`hook ${stream}`, { ...fields, [stream]: kept.replace(/\n$/, '') });
  }
}
