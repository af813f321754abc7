/**
 * `skiff install` (reference §8.5): CRDs, namespace, ServiceAccount and RBAC, credentials
 * Secret, default locations and the server Deployment.
 */
import { readFile } from 'node:fs/promises';
import { Command, Option } from '@commander-js/extra-typings';
import { installCrds } from '../../api/install.ts';
import { Kinds } from '../../api/kinds.ts';
import { installTenantObjects, isTenantInstallObject } from '../../tenant/install.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { isAlreadyExists } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { errorMessage } from '../../util/errors.ts';
import { CliContext } from '../context.ts';
import { FlagError, throwIfProblems } from '../errors.ts';
import { collect } from '../flags.ts';
import { formatObjects, parseOutputFormat } from '../output.ts';
import { DEFAULT_IMAGE, DEFAULT_RESOURCES } from './deployment.ts';
import { installObjects } from './manifests.ts';
import { serverDefaultOptions } from './server-defaults.ts';
import { describeObject, refOf } from './object-refs.ts';
import { RBAC_MODES } from './rbac.ts';
import { NO_SNAPSHOTTER_NOTE } from '../snapshot-location/snapshot-location-options.ts';
import { waitForServerAvailable } from './wait-available.ts';

/**
 * Creates each object; one that already exists is left as it is, as `velero install` does.
 * A VolumeSnapshotLocation it creates gets the same note `snapshot-location create` prints.
 */
export async function createAll(
  cluster: Pick<Cluster, 'create'>,
  objects: readonly KubeObject[],
  print: (line: string) => void = console.log,
): Promise<void> {
  for (const obj of objects) {
    const what = describeObject(obj);
    try {
      await cluster.create(refOf(obj), obj);
      print(`${what}: created`);
      if (obj.kind === Kinds.VolumeSnapshotLocation.kind) print(NO_SNAPSHOTTER_NOTE);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      print(`${what}: already exists, left unchanged`);
    }
  }
}

async function readFlagFile(flag: string, path: string | undefined): Promise<Buffer | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path);
  } catch (err) {
    throw new FlagError([`${flag}: cannot read ${path}: ${errorMessage(err)}`]);
  }
}

export function installCommand() {
  return serverDefaultOptions(
    new Command('install')
      .description(
        'Install Skiff in a cluster: CRDs, namespace, ServiceAccount and RBAC, credentials, default locations and the server Deployment',
      )
      .option(
        '--crds-only',
        'only install (or update) the CustomResourceDefinitions; other flags but --dry-run and -o are refused with it',
      )
      .option('--provider <name>', 'object-store provider of the default location: aws or filesystem')
      .option('--bucket <bucket>', 'bucket of the default location')
      .option('--prefix <prefix>', 'path inside the bucket')
      .option('--backup-location-config <pairs>', 'settings of the default location, k=v,...', collect)
      .option(
        '--snapshot-location-config <pairs>',
        'settings of the default volume snapshot location, k=v,...',
        collect,
      )
      .option('--secret-file <file>', 'credentials file stored as secret cloud-credentials (key cloud)')
      .option('--cacert <file>', 'CA bundle to verify the object store certificate of the default location')
      .option('--no-secret', 'create no credentials secret (the server gets credentials another way)')
      .option('--no-default-backup-location', 'create no default backup storage location')
      .option(
        '--use-volume-snapshots [bool]',
        'create the default volume snapshot location (default true), kept for Velero compatibility: Skiff takes no native snapshots yet',
      )
      .option('--image <image>', `image of the server Deployment (default ${DEFAULT_IMAGE})`)
      .option(
        '--velero-pod-cpu-request <quantity>',
        `CPU request of the server pod (default ${DEFAULT_RESOURCES.cpuRequest}; 0 for none)`,
      )
      .option(
        '--velero-pod-mem-request <quantity>',
        `memory request of the server pod (default ${DEFAULT_RESOURCES.memRequest}; 0 for none)`,
      )
      .option(
        '--velero-pod-cpu-limit <quantity>',
        `CPU limit of the server pod (default ${DEFAULT_RESOURCES.cpuLimit}; 0 for none)`,
      )
      .option(
        '--velero-pod-mem-limit <quantity>',
        `memory limit of the server pod (default ${DEFAULT_RESOURCES.memLimit}; 0 for none)`,
      )
      .option('--pod-annotations <pairs>', 'annotations of the server pod, k=v,...', collect)
      .option('--pod-labels <pairs>', 'labels of the server pod, k=v,...', collect)
      .option('--sa-annotations <pairs>', 'annotations of the ServiceAccount install creates, k=v,...', collect)
      .option(
        '--service-account-name <name>',
        'run the server as this existing ServiceAccount; install creates no ServiceAccount or RBAC',
      )
      .addOption(
        new Option('--rbac <mode>', 'cluster-admin (as Velero) or least-privilege (see README)').choices(RBAC_MODES),
      )
      .option(
        '--server-arg <flag>',
        'a `skiff server` flag for the Deployment, e.g. --server-arg=--log-level=debug (repeatable)',
        collect,
      )
      .option(
        '--features <list>',
        'server features, comma-separated, as `skiff server --features` (EnableAPIGroupVersions)',
      )
      .option('--use-node-agent', 'also create the node-agent DaemonSet, for file-system backup of pod volumes')
      .option('--node-agent-pod-cpu-request <quantity>', 'CPU request of the node-agent pods (default none)')
      .option('--node-agent-pod-mem-request <quantity>', 'memory request of the node-agent pods (default none)')
      .option('--node-agent-pod-cpu-limit <quantity>', 'CPU limit of the node-agent pods (default none)')
      .option('--node-agent-pod-mem-limit <quantity>', 'memory limit of the node-agent pods (default none)')
      .option('--privileged-node-agent', 'run the node-agent containers privileged')
      .option('--kubelet-root-dir <dir>', "the nodes' kubelet root directory (default /var/lib/kubelet)")
      .option('--node-agent-priority-class-name <name>', 'priority class of the node-agent pods')
      .option('--server-priority-class-name <name>', 'priority class of the server pod')
      .option('--uploader-type <type>', 'uploader of file-system backups, kopia (default) or restic: a server flag'),
  )
    .option(
      '--view-api',
      'serve view.skiff.dev from the server: tenants read their logs and details through the API server (adds a Service and an APIService)',
    )
    .option('--no-server', 'create no ServiceAccount, RBAC or Deployment: you run `skiff server` yourself')
    .option('--wait', 'wait until the server Deployment is available')
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

  # A local directory as the default location; the server runs outside the cluster (skiff server)
  skiff install --provider filesystem --bucket skiff --backup-location-config path=/var/backups --no-server

  # Least-privilege RBAC, a pinned image and smaller requests; wait for the server to be ready
  skiff install --provider aws --bucket backups --secret-file ./credentials \\
      --backup-location-config region=us-east-1 --rbac least-privilege \\
      --image registry.example.com/skiff:0.1.0 --velero-pod-mem-request 256Mi --wait

  # File-system backup of pod volumes: the node-agent DaemonSet, with restic instead of kopia
  skiff install --provider aws --bucket backups --secret-file ./credentials \\
      --backup-location-config region=us-east-1 --use-node-agent --uploader-type restic

  # Namespace self-service: tenants read their backups' logs with 'skiff tenant backup logs'
  skiff install --provider aws --bucket backups --secret-file ./credentials \\
      --backup-location-config region=us-east-1 --view-api

  # See what would be created, in creation order
  skiff install --provider filesystem --bucket skiff --backup-location-config path=/tmp/b --dry-run -o yaml`,
    )
    .action(async (flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      if (flags.wait && (flags.dryRun || flags.output))
        throw new FlagError(['--wait cannot be combined with --dry-run or -o']);
      if (flags.wait && !flags.server) {
        throw new FlagError(['--wait waits for the server Deployment, which --no-server leaves out']);
      }
      const output = parseOutputFormat(flags.output, ['json', 'yaml']) ?? (flags.dryRun ? 'yaml' : undefined);
      // With --crds-only the file is not read: installObjects refuses --secret-file then.
      const secretFileContents = flags.crdsOnly ? undefined : await readFlagFile('--secret-file', flags.secretFile);
      const caCert = flags.crdsOnly ? undefined : await readFlagFile('--cacert', flags.cacert);
      const { objects, problems, notes } = installObjects(ctx.namespace, {
        ...flags,
        secretFileContents,
        ...(caCert ? { caCertBase64: caCert.toString('base64') } : {}),
      });
      throwIfProblems(problems);
      for (const note of notes) process.stderr.write(`note: ${note}\n`);
      if (output) {
        process.stdout.write(formatObjects(objects, output, true));
        return;
      }
      const cluster = ctx.cluster();
      const crds = await installCrds(cluster);
      for (const c of crds) console.log(`CustomResourceDefinition/${c.name}: ${c.action}`);
      for (const applied of await installTenantObjects(cluster)) console.log(`${applied}: applied`);
      if (flags.crdsOnly) {
        console.log('CRDs (and the tenant admission policies and roles) are installed and established.');
        return;
      }
      await createAll(
        cluster,
        objects.filter((o) => o.kind !== 'CustomResourceDefinition' && !isTenantInstallObject(o)),
      );
      if (!flags.server) {
        console.log(
          `Skiff is installed in namespace ${ctx.namespace}. Start the server with: skiff server -n ${ctx.namespace}`,
        );
        return;
      }
      if (flags.wait) {
        console.log('Waiting for the server Deployment to be available...');
        await waitForServerAvailable(cluster, ctx.namespace);
        console.log(`Skiff is installed in namespace ${ctx.namespace} and its server is running.`);
        return;
      }
      console.log(
        `Skiff is installed in namespace ${ctx.namespace}. Check the server with: kubectl -n ${ctx.namespace} logs deployment/velero`,
      );
    });
}
