/** `skiff backup-location set NAME` (reference §8.2): change the default flag, credential, CA or access mode. */
import { readFile } from 'node:fs/promises';
import { Command } from '@commander-js/extra-typings';
import type { BackupStorageLocationSpec } from '../../api/backup-storage-location.ts';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import { CliContext } from '../context.ts';
import { FlagError, throwIfProblems } from '../errors.ts';
import { parseCredential, parseOptionalBool, ProblemCollector } from '../flags.ts';
import { clearOtherDefaults } from './defaults.ts';
import { accessModeProblem } from './location-options.ts';
import { findVelero } from '../resources.ts';

export interface SetLocationFlags {
  default?: string | boolean | undefined;
  credential?: string | undefined;
  accessMode?: string | undefined;
  cacertBase64?: string | undefined;
}

/** The merge patch for the flags given; fields not named by a flag are left alone. */
export function locationPatch(flags: SetLocationFlags): {
  patch: Partial<BackupStorageLocationSpec>;
  problems: string[];
} {
  const p = new ProblemCollector();
  const patch: Partial<BackupStorageLocationSpec> = {};
  const isDefault = p.attempt(() => parseOptionalBool(flags.default, '--default'));
  if (isDefault !== undefined) patch.default = isDefault;
  if (flags.credential !== undefined) {
    const credential = p.attempt(() => parseCredential(flags.credential ?? ''));
    if (credential) patch.credential = credential;
  }
  const accessErr = accessModeProblem(flags.accessMode);
  if (accessErr) p.add(accessErr);
  else if (flags.accessMode) patch.accessMode = flags.accessMode as 'ReadWrite' | 'ReadOnly';
  if (Object.keys(patch).length === 0 && flags.cacertBase64 === undefined && p.problems.length === 0) {
    p.add('nothing to change: give --default, --credential, --access-mode or --cacert');
  }
  return { patch, problems: p.problems };
}

export function backupLocationSetCommand() {
  return new Command('set')
    .description('Change a backup storage location')
    .argument('<name>', 'the location')
    .option(
      '--default [bool]',
      'make this the default location (clears the flag on the others); --default=false unsets it',
    )
    .option('--credential <secret=key>', 'secret and key in the server namespace holding credentials for this location')
    .option('--access-mode <mode>', 'ReadWrite or ReadOnly')
    .option('--cacert <file>', 'CA bundle to verify the object store’s certificate')
    .addHelpText(
      'after',
      `
Examples:
  skiff backup-location set minio --default
  skiff backup-location set archive --access-mode ReadOnly
  skiff backup-location set minio --credential minio-credentials=cloud`,
    )
    .action(async (name, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const cacertBase64 = flags.cacert ? (await readFile(flags.cacert)).toString('base64') : undefined;
      const { patch, problems } = locationPatch({ ...flags, cacertBase64 });
      throwIfProblems(problems);
      const cluster = ctx.cluster();
      const ref = resourceRef(Kinds.BackupStorageLocation);
      if (!(await findVelero(cluster, Kinds.BackupStorageLocation, name, ctx.namespace))) {
        throw new FlagError([`backup storage location ${name} not found in namespace ${ctx.namespace}`]);
      }
      const spec: Record<string, unknown> = { ...patch };
      if (cacertBase64) spec.objectStorage = { caCert: cacertBase64 };
      await cluster.patch(ref, { name, namespace: ctx.namespace }, 'merge', { spec });
      if (patch.default) {
        for (const other of await clearOtherDefaults(cluster, ctx.namespace, name)) {
          console.log(`Backup storage location ${other} is no longer the default.`);
        }
      }
      console.log(`Backup storage location "${name}" configured successfully.`);
    });
}
