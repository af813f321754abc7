/** `skiff backup-location create NAME` (reference §8.2). */
import { readFile } from 'node:fs/promises';
import { Command } from '@commander-js/extra-typings';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import { CliContext } from '../context.ts';
import { createNew, throwIfProblems } from '../errors.ts';
import { collect } from '../flags.ts';
import { formatObjects, parseOutputFormat } from '../output.ts';
import { clearOtherDefaults } from './defaults.ts';
import { buildLocation } from './location-options.ts';

export function backupLocationCreateCommand() {
  return new Command('create')
    .description('Create a backup storage location')
    .argument('<name>', 'name of the location')
    .option('--provider <name>', 'object-store provider: aws (any S3-compatible store) or filesystem')
    .option('--bucket <bucket>', 'bucket to store backups in')
    .option('--prefix <prefix>', 'path inside the bucket')
    .option('--config <pairs>', 'provider settings, k=v,... (e.g. region=us-east-1,s3Url=http://minio:9000)', collect)
    .option('--credential <secret=key>', 'secret and key in the server namespace holding credentials for this location')
    .option('--default', 'make this the default location (clears the flag on the others)')
    .option('--access-mode <mode>', 'ReadWrite or ReadOnly', 'ReadWrite')
    .option('--backup-sync-period <duration>', 'how often to sync backups from storage (0 disables)')
    .option('--validation-frequency <duration>', 'how often to validate the location (0 disables)')
    .option('--cacert <file>', 'CA bundle to verify the object store’s certificate')
    .option('--labels <pairs>', 'labels for the location, k=v,...', collect)
    .option('-o, --output <format>', 'print the location (json|yaml) instead of creating it')
    .addHelpText(
      'after',
      `
Examples:
  skiff backup-location create minio --provider aws --bucket backups --prefix team-a \\
      --config region=minio,s3Url=http://minio:9000,s3ForcePathStyle=true --credential cloud-credentials=cloud
  skiff backup-location create local --provider filesystem --bucket skiff --config path=/var/backups --default
  # temporary credentials from a command printing AWS credential_process JSON (README "Credentials")
  skiff backup-location create sts --provider aws --bucket backups --config region=eu-west-1 \\
      --config 'credentialProcess=aws configure export-credentials --profile backup --format process'`,
    )
    .action(async (name, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const output = parseOutputFormat(flags.output, ['json', 'yaml']);
      const caCertBase64 = flags.cacert ? (await readFile(flags.cacert)).toString('base64') : undefined;
      const { location, problems } = buildLocation(name, ctx.namespace, { ...flags, caCertBase64 });
      throwIfProblems(problems);
      if (output) {
        process.stdout.write(formatObjects([location], output));
        return;
      }
      const cluster = ctx.cluster();
      await createNew(
        () => cluster.create(resourceRef(Kinds.BackupStorageLocation), location),
        `backup storage location ${name} already exists in namespace ${ctx.namespace}: use skiff backup-location set`,
      );
      if (flags.default) {
        for (const other of await clearOtherDefaults(cluster, ctx.namespace, name)) {
          console.log(`Backup storage location ${other} is no longer the default.`);
        }
      }
      console.log(`Backup storage location "${name}" configured successfully.`);
    });
}
