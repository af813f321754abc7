/**
 * `skiff backup create NAME`: bind flags, complete, validate, run (reference §8.3).
 * Without --dry-run it only creates the Backup CR (and, with --wait, watches it); with
 * --dry-run it runs the planner and the collector against the cluster and writes nothing.
 */
import { Command, type OptionValues } from '@commander-js/extra-typings';
import type { Backup } from '../../api/backup.ts';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import type { Schedule } from '../../api/schedule.ts';
import { summarizeDryRun } from '../../backup/dry-run.ts';
import { dryRunVolumes, keepPods } from '../../backup/volumes/dry-run.ts';
import type { KubeObject } from '../../kube/object.ts';
import { INCLUDE_APP_CLUSTER_RESOURCES_ANNOTATION } from '../../backup/plan/app-cluster-resources.ts';
import { findVelero } from '../resources.ts';
import { collectFromCluster, planBackupForCluster } from '../../backup/plan-for-cluster.ts';
import { timestampSuffix } from '../../util/clock.ts';
import { CliContext } from '../context.ts';
import { CommandFailedError, createNew, FlagError, throwIfProblems } from '../errors.ts';
import { collect, newObjectMetadata } from '../flags.ts';
import { formatObjects, parseOutputFormat, type OutputFormat } from '../output.ts';
import {
  backupFromSchedule,
  buildBackupRequest,
  type BackupCreateFlags,
  type BackupRequest,
} from './create-options.ts';
import { formatDryRun, formatValidationErrors } from './dry-run-report.ts';
import { explainUnseen } from './explain-unseen.ts';
import { serverVolumeDefaults } from '../server-features.ts';
import { waitAndReport } from '../wait-for-phase.ts';

export interface CreateBackupFlags extends BackupCreateFlags {
  output?: string | undefined;
}

export class CreateBackupOptions {
  private name = '';
  private request: BackupRequest | undefined;
  private output: Exclude<OutputFormat, 'table'> | undefined;
  private problems: string[] = [];

  constructor(
    private readonly ctx: CliContext,
    private readonly flags: CreateBackupFlags,
  ) {}

  /** Fills in what the flags leave open: the name (from the schedule) and the spec (from the template). */
  async complete(name: string | undefined): Promise<void> {
    this.output = parseOutputFormat(this.flags.output, ['json', 'yaml']);
    const from = this.flags.fromSchedule;
    if (from === undefined) {
      this.name = name ?? '';
      ({ request: this.request, problems: this.problems } = buildBackupRequest(this.flags));
      return;
    }
    const schedule = await findVelero<Schedule>(this.ctx.cluster(), Kinds.Schedule, from, this.ctx.namespace);
    if (!schedule)
      throw new FlagError([`--from-schedule: schedule ${from} not found in namespace ${this.ctx.namespace}`]);
    // Velero names a backup made from a schedule like the schedule's own: `<schedule>-<timestamp>`.
    this.name = name ?? `${from}-${timestampSuffix(new Date())}`;
    ({ request: this.request, problems: this.problems } = backupFromSchedule(schedule, this.flags));
  }

  /** Every problem at once, before anything is created. */
  async validate(): Promise<void> {
    const problems = [...this.problems];
    if (this.name === '') problems.push('a backup name is required: skiff backup create NAME (or --from-schedule S)');
    throwIfProblems(problems);
    const location = this.request?.spec.storageLocation;
    if (location && !this.flags.dryRun && this.output === undefined) {
      const bsl = await findVelero(this.ctx.cluster(), Kinds.BackupStorageLocation, location, this.ctx.namespace);
      if (!bsl) {
        throw new FlagError([
          `--storage-location: backup storage location ${location} not found in namespace ${this.ctx.namespace}: list them with skiff backup-location get`,
        ]);
      }
    }
  }

  async run(): Promise<void> {
    const request = this.request;
    if (!request) throw new Error('run() before complete()');
    if (this.flags.dryRun) return this.dryRun(request);
    const backup = this.buildBackup(request);
    if (this.output) {
      // As in Velero, -o prints the object instead of sending it.
      process.stdout.write(formatObjects([backup], this.output));
      return;
    }
    await createNew(
      () => this.ctx.cluster().create(resourceRef(Kinds.Backup), backup),
      `backup ${this.name} already exists in namespace ${this.ctx.namespace}: choose another name`,
    );
    console.log(`Backup request "${this.name}" submitted successfully.`);
    if (!this.flags.wait) {
      console.log(`Run \`skiff backup describe ${this.name}\` or \`skiff backup logs ${this.name}\` for more details.`);
      return;
    }
    await this.waitAndReport();
  }

  private buildBackup(request: BackupRequest): Backup {
    return {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: newObjectMetadata(this.name, this.ctx.namespace, request.labels, request.annotations),
      spec: request.spec,
    };
  }

  private async dryRun(request: BackupRequest): Promise<void> {
    const cluster = this.ctx.cluster();
    const plan = await planBackupForCluster(cluster, request.spec, {
      includeAppClusterResources: request.annotations[INCLUDE_APP_CLUSTER_RESOURCES_ANNOTATION] === 'true',
    });
    if (plan.validationErrors.length > 0) {
      process.stdout.write(formatValidationErrors(this.name, plan.validationErrors));
      throw new CommandFailedError(`backup ${this.name} would fail validation`);
    }
    const explain = this.flags.explain ?? [];
    const pods: KubeObject[] = [];
    const events = keepPods(await collectFromCluster(cluster, this.name, plan), pods);
    const report = await summarizeDryRun(events, plan, explain);
    const server = { namespace: this.ctx.namespace, defaults: await serverVolumeDefaults(cluster, this.ctx.namespace) };
    const volumes = await dryRunVolumes(cluster, server, this.buildBackup(request), plan, pods);
    if (volumes.validationErrors.length > 0) {
      process.stdout.write(formatValidationErrors(this.name, volumes.validationErrors));
      throw new CommandFailedError(`backup ${this.name} would fail validation`);
    }
    report.volumes = volumes.volumes;
    report.warnings.push(...volumes.warnings);
    if (this.output) {
      const byResource = Object.fromEntries([...report.included].map(([gr, byNs]) => [gr, Object.fromEntries(byNs)]));
      const unseen = Object.fromEntries(await explainUnseen(cluster, plan, report, explain));
      const doc = { ...report, included: byResource, unseen, namespaces: plan.namespaces };
      process.stdout.write(this.output === 'json' ? JSON.stringify(doc, null, 2) + '\n' : formatObjectsYaml(doc));
      return;
    }
    const unseen = await explainUnseen(cluster, plan, report, explain);
    process.stdout.write(formatDryRun(this.name, report, unseen));
  }

  private waitAndReport(): Promise<void> {
    return waitAndReport(this.ctx.cluster(), Kinds.Backup, { namespace: this.ctx.namespace, name: this.name });
  }
}

function formatObjectsYaml(doc: unknown): string {
  return formatObjects([doc as never], 'yaml');
}

const EXAMPLES = `
Examples:
  # Back up two namespaces and wait, showing progress
  skiff backup create web-daily --include-namespaces web,db --wait

  # Only items labelled app=web or tier=cache, kept for 3 days
  skiff backup create web-sel --or-selector 'app=web or tier=cache' --ttl 72h

  # See what a backup would take, and why a secret is left out, without writing anything
  skiff backup create preview --include-namespaces web --exclude-resources secrets --dry-run --explain secrets/web/db-password

  # List the pre and post exec hooks (pod annotations pre.hook.backup.velero.io/*,
  # post.hook.backup.velero.io/*) that would run in each pod, per container and in order
  skiff backup create shop-nightly --include-namespaces shop --dry-run

  # Back up now from a schedule's template
  skiff backup create --from-schedule nightly

  # Back up an operator's namespace with the cluster-scoped objects it uses (its CRDs, APIService,
  # webhooks, aggregated ClusterRoles, classes), which a namespace backup otherwise leaves out
  skiff backup create monitoring --include-namespaces monitoring --include-app-cluster-resources
`;

/**
 * The flags that shape a BackupSpec (reference §8.3), shared by `backup create` and
 * `schedule create` so both parse them the same way (`buildBackupRequest`).
 */
export function backupSpecOptions<Args extends unknown[], Opts extends OptionValues>(cmd: Command<Args, Opts>) {
  return cmd
    .option('--include-namespaces <list>', 'namespaces to include (comma-separated, globs allowed; default *)', collect)
    .option('--exclude-namespaces <list>', 'namespaces to exclude (comma-separated, globs allowed)', collect)
    .option('--include-resources <list>', 'resources to include, e.g. pods,deployments.apps (default all)', collect)
    .option('--exclude-resources <list>', 'resources to exclude', collect)
    .option('--include-cluster-resources [bool]', 'include cluster-scoped resources (true, false, or unset)')
    .option('--include-cluster-scoped-resources <list>', 'cluster-scoped resources to include (new-style)', collect)
    .option('--exclude-cluster-scoped-resources <list>', 'cluster-scoped resources to exclude (new-style)', collect)
    .option('--include-namespace-scoped-resources <list>', 'namespaced resources to include (new-style)', collect)
    .option('--exclude-namespace-scoped-resources <list>', 'namespaced resources to exclude (new-style)', collect)
    .option('-l, --selector <selector>', "only back up items matching this label selector, e.g. 'app=web,tier!=db'")
    .option('--or-selector <selectors>', "back up items matching any of these selectors, separated by ' or '")
    .option(
      '--ordered-resources <mapping>',
      "back these items up first: 'pods=ns1/pod1,ns1/pod2;persistentvolumes=pv4'",
    )
    .option('--ttl <duration>', 'how long to keep the backup, e.g. 720h (default: the server default)')
    .option('--storage-location <name>', 'backup storage location (default: the default location)')
    .option('--volume-snapshot-locations <list>', 'volume snapshot locations', collect)
    .option('--labels <pairs>', 'labels for the backup, k=v,...', collect)
    .option('--annotations <pairs>', 'annotations for the backup, k=v,...', collect)
    .option('--snapshot-volumes [bool]', 'take CSI snapshots of claims whose PV is CSI (true, false, or unset = true)')
    .option(
      '--snapshot-move-data [bool]',
      "copy each CSI snapshot's data into the storage location's kopia repository (DataUploads run by the node agents)",
    )
    .option(
      '--default-volumes-to-fs-backup [bool]',
      'back up all pod volumes with file-system backup (true, false, or unset)',
    )
    .option('--csi-snapshot-timeout <duration>', 'how long to wait for CSI snapshots (default 10m)')
    .option('--item-operation-timeout <duration>', 'how long to wait for async item operations (default 4h)')
    .option(
      '--data-mover <name>',
      'data mover for --snapshot-move-data: empty or velero (built-in); others are refused',
    )
    .option('--resource-policies-configmap <name>', 'ConfigMap with resource policies')
    .option('--parallel-files-upload <n>', 'files uploaded in parallel by the data mover')
    .option(
      '--include-app-cluster-resources',
      'also take the cluster-scoped objects the application uses that a namespace backup leaves out: its CRDs, APIServices, webhooks, aggregated ClusterRoles, classes (annotation skiff.io/include-app-cluster-resources)',
    );
}

export function backupCreateCommand() {
  return backupSpecOptions(
    new Command('create').description('Create a backup').argument('[name]', 'name of the backup'),
  )
    .option(
      '--from-schedule <schedule>',
      "create the backup from a schedule's template (spec flags other than --storage-location are refused)",
    )

    .option('-w, --wait', 'wait for the backup to finish, showing progress')
    .option(
      '--dry-run',
      'print what would be backed up, grouped by resource and namespace, and the pre/post hooks that would run in each pod; write nothing',
    )
    .option(
      '--explain <item>',
      'with --dry-run: say why KIND/NAME or KIND/NAMESPACE/NAME is in or out (repeatable)',
      collect,
    )
    .option('-o, --output <format>', 'print the Backup (json|yaml) instead of creating it; with --dry-run, the report')
    .addHelpText('after', EXAMPLES)
    .action(async (name, flags, cmd) => {
      const options = new CreateBackupOptions(CliContext.fromCommand(cmd), flags);
      await options.complete(name);
      await options.validate();
      await options.run();
    });
}
