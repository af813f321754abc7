/**
 * The `skiff` command tree (Velero's, reference §8.2) with the global client flags of
 * §8.1. Each verb lives in `cli/<noun>/<verb>.ts`; this file only wires them and turns
 * errors into messages and exit codes.
 */
import type { Command } from '@commander-js/extra-typings';
import { backupLocationCommand } from './backup-location/backup-location-command.ts';
import { backupCommand } from './backup/backup-command.ts';
import { restoreCommand } from './restore/restore-command.ts';
import { restoreHelperCommand } from './restore-helper/restore-helper.ts';
import { scheduleCommand } from './schedule/schedule-command.ts';
import { installCommand } from './install/install.ts';
import { uninstallCommand } from './install/uninstall.ts';
import { serverCommand } from './server/server.ts';
import { nodeAgentCommand } from './node-agent/node-agent.ts';
import { tenantCommand } from './tenant/index.ts';
import { snapshotLocationCommand } from './snapshot-location/snapshot-location-command.ts';
import { versionCommand } from './version/version.ts';
import { completionCommand } from './completion/completion.ts';
import { clientCommand } from './client/config.ts';
import { pluginCommand } from './plugin/plugin-command.ts';
import { repoCommand } from './repo/repo-command.ts';
import { verbFirstCommands } from './verb-first.ts';
import { rootCommand } from './root.ts';

// Where tests and callers have always found it; the node agent's entry needs it without this tree.
export { describeError } from './describe-error.ts';

export function buildProgram(): Command {
  const program = rootCommand().addHelpText(
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
  program.addCommand(repoCommand());
  program.addCommand(tenantCommand());
  program.addCommand(versionCommand());
  program.addCommand(restoreHelperCommand());
  program.addCommand(clientCommand());
  program.addCommand(pluginCommand());
  // Velero's verb-first spellings (`skiff get backups`), after the noun-first ones in --help.
  for (const verb of verbFirstCommands()) program.addCommand(verb);
  program.addCommand(completionCommand(() => program));
  return program;
}
