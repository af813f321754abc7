/**
 * Velero's verb-first spellings (reference §8.2): `skiff get backups`, `skiff create backup web`,
 * `skiff describe restores`, `skiff delete schedule nightly`. Each is the noun-first command
 * itself (`skiff backup get` and the rest), built by the same factory, so the two spellings
 * cannot drift apart and scripts written for `velero` run with `skiff` in its place.
 */
import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { backupLocationCreateCommand } from './backup-location/create.ts';
import { backupLocationDeleteCommand } from './backup-location/delete.ts';
import { backupLocationGetCommand } from './backup-location/get.ts';
import { backupCreateCommand } from './backup/create.ts';
import { backupDeleteCommand } from './backup/delete.ts';
import { backupDescribeCommand } from './backup/describe.ts';
import { backupGetCommand } from './backup/get.ts';
import { restoreCreateCommand } from './restore/create.ts';
import { restoreDeleteCommand } from './restore/delete.ts';
import { restoreDescribeCommand } from './restore/describe.ts';
import { restoreGetCommand } from './restore/get.ts';
import { scheduleCreateCommand } from './schedule/create.ts';
import { scheduleDeleteCommand } from './schedule/delete.ts';
import { scheduleDescribeCommand } from './schedule/describe.ts';
import { scheduleGetCommand } from './schedule/get.ts';
import { snapshotLocationCreateCommand } from './snapshot-location/create.ts';
import { snapshotLocationDeleteCommand } from './snapshot-location/delete.ts';
import { snapshotLocationGetCommand } from './snapshot-location/get.ts';
import { pluginGetCommand } from './plugin/plugin-command.ts';
import { repoGetCommand } from './repo/get.ts';

/** A noun under a verb: its singular (`backup`), and the factory of the noun-first command. */
type Noun = readonly [singular: string, make: () => CommandUnknownOpts];

/**
 * Velero names `get` and `describe` nouns in the plural and `create` and `delete` ones in the
 * singular; both forms are accepted under every verb, since scripts use either.
 */
function verbCommand(verb: string, description: string, plural: boolean, nouns: readonly Noun[]): Command {
  const cmd = new Command(verb).description(description);
  for (const [singular, make] of nouns) {
    const [name, alias] = plural ? [`${singular}s`, singular] : [singular, `${singular}s`];
    cmd.addCommand(make().name(name).alias(alias));
  }
  return cmd.addHelpText('after', `\nThe same as \`skiff <noun> ${verb}\`, as in Velero.`);
}

export function verbFirstCommands(): Command[] {
  return [
    verbCommand('create', 'Create a backup, restore, schedule or location (skiff <noun> create)', false, [
      ['backup', backupCreateCommand],
      ['restore', restoreCreateCommand],
      ['schedule', scheduleCreateCommand],
      ['backup-location', backupLocationCreateCommand],
      ['snapshot-location', snapshotLocationCreateCommand],
    ]),
    verbCommand(
      'get',
      'Get backups, restores, schedules, locations, repositories or plugins (skiff <noun> get)',
      true,
      [
        ['backup', backupGetCommand],
        ['restore', restoreGetCommand],
        ['schedule', scheduleGetCommand],
        ['backup-location', backupLocationGetCommand],
        ['snapshot-location', snapshotLocationGetCommand],
        ['repo', repoGetCommand],
        ['plugin', pluginGetCommand],
      ],
    ),
    verbCommand('describe', 'Describe backups, restores or schedules (skiff <noun> describe)', true, [
      ['backup', backupDescribeCommand],
      ['restore', restoreDescribeCommand],
      ['schedule', scheduleDescribeCommand],
    ]),
    verbCommand('delete', 'Delete backups, restores, schedules or locations (skiff <noun> delete)', false, [
      ['backup', backupDeleteCommand],
      ['restore', restoreDeleteCommand],
      ['schedule', scheduleDeleteCommand],
      ['backup-location', backupLocationDeleteCommand],
      ['snapshot-location', snapshotLocationDeleteCommand],
    ]),
  ];
}
