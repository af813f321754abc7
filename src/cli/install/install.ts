/** `skiff install` (reference §8.5): CRDs, namespace, credentials Secret, default locations. */
import { readFile } from 'node:fs/promises';
import { Command } from '@commander-js/extra-typings';
import { installCrds } from '../../api/install.ts';
import { findKind, resourceRef } from '../../api/kinds.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { isAlreadyExists } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { ResourceRef } from '../../kube/resource.ts';
import { errorMessage } from '../../util/errors.ts';
import { CliContext } from '../context.ts';
import { FlagError, throwIfProblems } from '../errors.ts';
import { collect } from '../flags.ts';
import { formatObjects, parseOutputFormat } from '../output.ts';
import { installObjects } from './manifests.ts';

const CORE: Record<string, ResourceRef> = {
  Namespace: { group: '', version: 'v1', resource: 'namespaces' },
  Secret: { group: '', version: 'v1', resource: 'secrets' },
};

function refOf(obj: KubeObject): ResourceRef {
  const core = CORE[obj.kind];
  if (core) return core;
  const kind = findKind(obj.kind);
  if (!kind) throw new Error(`install does not know how to create a ${obj.kind}`);
  return resourceRef(kind);
}

/** Creates each object; one that already exists is left as it is, as `velero install` does. */
async function createAll(cluster: Cluster, objects: readonly KubeObject[]): Promise<void> {
  for (const obj of objects) {
    const what = `${obj.kind}/${obj.metadata.name ?? ''}`;
    try {
      await cluster.create(refOf(obj), obj);
      console.log(`${what}: created`);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      console.log(`${what}: already exists, left unchanged`);
    }
  }
}

async function readSecretFile(path: string | undefined): Promise<Buffer | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path);
  } catch (err) {
    throw new FlagError([`--secret-file: cannot read ${path}: ${errorMessage(err)}`]);
  }
}

export function installCommand() {
  return new Command('install')
    .description('Install the CRDs, namespace, credentials and default storage location in a cluster')
    .option('--crds-only', 'only install (or update) the CustomResourceDefinitions')
    .option('--provider <name>', 'object-store provider of the default location: aws or filesystem')
    .option('--bucket <bucket>', 'bucket of the default location')
    .option('--prefix <prefix>', 'path inside the bucket')
    .option('--backup-location-config <pairs>', 'settings of the default location, k=v,...', collect)
    .option('--snapshot-location-config <pairs>', 'settings of the default volume snapshot location, k=v,...', collect)
    .option('--secret-file <file>', 'credentials file stored as secret cloud-credentials (key cloud)')
    .option('--no-secret', 'create no credentials secret (the server gets credentials another way)')
    .option('--no-default-backup-location', 'create no default backup storage location')
    .option('--use-volume-snapshots [bool]', 'create the default volume snapshot location (default true)')
    .option('--dry-run', 'print the objects instead of creating them (yaml unless -o json)')
    .option('-o, --output <format>', 'json or yaml: print the objects instead of creating them')
    .addHelpText(
      'after',
      `
Examples:
  # Only the CRDs, and wait until the API server serves them
  skiff install --crds-only

  # An S3-compatible store (MinIO) as the default location
  skiff install --provider aws --bucket backups --secret-file ./credentials-minio \\
      --backup-location-config region=minio,s3ForcePathStyle=true,s3Url=http://minio.minio:9000 \\
      --use-volume-snapshots=false

  # A local directory as the default location
  skiff install --provider filesystem --bucket skiff --backup-location-config path=/var/backups

  # See what would be created
  skiff install --provider filesystem --bucket skiff --backup-location-config path=/tmp/b --dry-run -o yaml`,
    )
    .action(async (flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const output = parseOutputFormat(flags.output, ['json', 'yaml']) ?? (flags.dryRun ? 'yaml' : undefined);
      const secretFileContents = await readSecretFile(flags.secretFile);
      const { objects, problems } = installObjects(ctx.namespace, { ...flags, secretFileContents });
      throwIfProblems(problems);
      if (output) {
        process.stdout.write(formatObjects(objects, output, true));
        return;
      }
      const cluster = ctx.cluster();
      const crds = await installCrds(cluster);
      for (const c of crds) console.log(`CustomResourceDefinition/${c.name}: ${c.action}`);
      if (flags.crdsOnly) {
        console.log('CRDs are installed and established.');
        return;
      }
      await createAll(
        cluster,
        objects.filter((o) => o.kind !== 'CustomResourceDefinition'),
      );
      console.log(
        `Skiff is installed in namespace ${ctx.namespace}. Start the server with: skiff server -n ${ctx.namespace}`,
      );
    });
}
