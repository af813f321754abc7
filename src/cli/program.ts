/**
 * The `skiff` command tree (Velero's, reference §8.2) with the global client flags of
 * §8.1. Each verb lives in `cli/<noun>/<verb>.ts`; this file only wires them and turns
 * errors into messages and exit codes.
 */
import { Command } from '@commander-js/extra-typings';
import { KubeApiError } from '../kube/errors.ts';
import { SkiffError, formatError } from '../util/errors.ts';
import { backupLocationCommand } from './backup-location/backup-location-command.ts';
import { backupCommand } from './backup/backup-command.ts';
import { CommandFailedError } from './errors.ts';
import { missingKindMessage } from './missing-kind.ts';
import { restoreCommand } from './restore/restore-command.ts';
import { scheduleCommand } from './schedule/schedule-command.ts';
import { installCommand } from './install/install.ts';
import { uninstallCommand } from './install/uninstall.ts';
import { serverCommand } from './server/server.ts';
import { nodeAgentCommand } from './node-agent/node-agent.ts';
import { snapshotLocationCommand } from './snapshot-location/snapshot-location-command.ts';
import { versionCommand } from './version/version.ts';
import { completionCommand } from './completion/completion.ts';

export function buildProgram(): Command {
  const program = new Command('skiff')
    .description('Back up and restore Kubernetes objects and volumes; speaks Velero’s velero.io/v1 API')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--kubecontext <context>', 'kubeconfig context to use')
    .option('-n, --namespace <namespace>', 'namespace of the Skiff server (default: $VELERO_NAMESPACE or velero)')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  skiff install --provider aws --bucket backups --secret-file ./credentials --backup-location-config region=us-east-1
  skiff server &
  skiff backup create web --include-namespaces web --wait
  skiff backup get
  skiff restore create --from-backup web --wait`,
    );
  program.addCommand(installCommand());
  program.addCommand(uninstallCommand());
  program.addCommand(serverCommand());
  program.addCommand(nodeAgentCommand());
  program.addCommand(backupCommand());
  program.addCommand(backupLocationCommand());
  program.addCommand(restoreCommand());
  program.addCommand(scheduleCommand());
  program.addCommand(snapshotLocationCommand());
  program.addCommand(versionCommand());
  program.addCommand(completionCommand(() => program));
  return program;
}

/** The message for an error that escaped a verb, and the exit code. */
export function describeError(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CommandFailedError) return { message: err.message, exitCode: err.exitCode };
  const missingKind = missingKindMessage(err);
  if (missingKind !== undefined) return { message: missingKind, exitCode: 1 };
  if (err instanceof KubeApiError && err.forbidden) {
    return { message: `${err.message}\n(your kubeconfig user lacks permission for this)`, exitCode: 1 };
  }
  if (err instanceof SkiffError) return { message: err.message, exitCode: 1 };
  return { message: formatError(err), exitCode: 1 };
}
