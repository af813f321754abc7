/**
 * `skiff restore create [NAME]`: bind flags, complete, validate, run (reference §8.4).
 * Without --dry-run it only creates the Restore CR (and, with --wait, watches it); with
 * --dry-run it opens the backup's location as the server would, plans the restore against
 * the live cluster and prints the plan, writing nothing.
 */
import { Command } from '@commander-js/extra-typings';
import { stringify } from 'yaml';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import type { Restore } from '../../api/restore.ts';
import { LocationResolver } from '../../controllers/locations.ts';
import { newestScheduledBackup, resolveRestoreSource } from '../../controllers/restore-source.ts';
import { formatRestorePlanStream, withRestorePlan } from '../../restore/index.ts';
import { Feature, featureEnabled } from '../../server/features.ts';
import { serverFeatures } from '../server-features.ts';
import { CliContext } from '../context.ts';
import { CommandFailedError, createNew, FlagError, throwIfProblems } from '../errors.ts';
import { collect, newObjectMetadata, parseOptionalBool } from '../flags.ts';
import { formatObjects, parseOutputFormat, type OutputFormat } from '../output.ts';
import {
  buildRestoreRequest,
  defaultRestoreName,
  type RestoreCreateFlags,
  type RestoreRequest,
} from './create-options.ts';
import { waitAndReport } from '../wait-for-phase.ts';
import { withRestoreHookInfo } from '../../restore/hooks/dry-run-hooks.ts';
import { planJsonPieces, planYamlPieces, writePieces } from './plan-output.ts';
import { findVelero } from '../resources.ts';
import { dataOnlyPlanDocument, formatDataOnlyPlan, isDataOnly } from '../../restore/volumes/data-only.ts';
import { planDataOnlyForCluster } from '../../restore/volumes/data-only-run.ts';

export { planDocument } from './plan-output.ts';

export interface CreateRestoreFlags extends RestoreCreateFlags {
  dryRun?: boolean | undefined;
  wait?: boolean | undefined;
  output?: string | undefined;
}

export class CreateRestoreOptions {
  private name = '';
  private request: RestoreRequest | undefined;
  private output: Exclude<OutputFormat, 'table'> | undefined;
  private problems: string[] = [];

  constructor(
    private readonly ctx: CliContext,
    private readonly flags: CreateRestoreFlags,
  ) {}

  complete(name: string | undefined, now = new Date()): void {
    this.output = parseOutputFormat(this.flags.output, ['json', 'yaml']);
    this.name = name ?? defaultRestoreName(this.flags, now);
    ({ request: this.request, problems: this.problems } = buildRestoreRequest(this.flags));
  }

  /** Every problem at once, before anything is created. */
  async validate(): Promise<void> {
    throwIfProblems(this.problems);
    if (this.flags.dryRun || this.output !== undefined) return;
    // The server would end the Restore FailedValidation; saying so before creating it is kinder.
    const cluster = this.ctx.cluster();
    const { fromBackup, fromSchedule } = this.flags;
    if (fromBackup && !(await findVelero(cluster, Kinds.Backup, fromBackup, this.ctx.namespace))) {
      throw new FlagError([
        `--from-backup: backup ${fromBackup} not found in namespace ${this.ctx.namespace}: list them with skiff backup get`,
      ]);
    }
    if (fromSchedule && !(await findVelero(cluster, Kinds.Schedule, fromSchedule, this.ctx.namespace))) {
      throw new FlagError([`--from-schedule: schedule ${fromSchedule} not found in namespace ${this.ctx.namespace}`]);
    }
  }

  async run(): Promise<void> {
    const request = this.request;
    if (!request) throw new Error('run() before complete()');
    if (this.flags.fromSchedule && parseOptionalBool(this.flags.allowPartiallyFailed, '--allow-partially-failed')) {
      await this.pickScheduledBackup(request, this.flags.fromSchedule);
    }
    const restore = this.buildRestore(request);
    if (this.flags.dryRun) return this.dryRun(restore);
    if (this.output) {
      // As in Velero, -o prints the object instead of sending it.
      process.stdout.write(formatObjects([restore], this.output));
      return;
    }
    await createNew(
      () => this.ctx.cluster().create(resourceRef(Kinds.Restore), restore),
      `restore ${this.name} already exists in namespace ${this.ctx.namespace}: choose another name`,
    );
    console.log(`Restore request "${this.name}" submitted successfully.`);
    if (!this.flags.wait) {
      console.log(
        `Run \`skiff restore describe ${this.name}\` or \`skiff restore logs ${this.name}\` for more details.`,
      );
      return;
    }
    await this.waitAndReport();
  }

  /**
   * `--allow-partially-failed` (reference §8.4): the CLI itself picks the schedule's newest
   * Completed or PartiallyFailed backup and restores from that backup by name, as Velero's does.
   */
  private async pickScheduledBackup(request: RestoreRequest, schedule: string): Promise<void> {
    const deps = { cluster: this.ctx.cluster(), namespace: this.ctx.namespace };
    const backup = await newestScheduledBackup(deps, schedule, ['Completed', 'PartiallyFailed']);
    if (backup === undefined) {
      throw new FlagError([
        `--from-schedule: schedule ${schedule} has no Completed or PartiallyFailed backup in namespace ${this.ctx.namespace}`,
      ]);
    }
    delete request.spec.scheduleName;
    request.spec.backupName = backup;
  }

  private buildRestore(request: RestoreRequest): Restore {
    return {
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: newObjectMetadata(this.name, this.ctx.namespace, request.labels, request.annotations),
      spec: request.spec,
    };
  }

  /** The server's own checks and location lookup (restore-source.ts), then the planner; nothing is written. */
  private async dryRun(restore: Restore): Promise<void> {
    const cluster = this.ctx.cluster();
    const namespace = this.ctx.namespace;
    const locations = new LocationResolver(cluster, namespace, undefined);
    const source = await resolveRestoreSource(
      { cluster, namespace, locations },
      restore.spec,
      restore.metadata.annotations,
    );
    if ('errors' in source) {
      process.stdout.write(
        [`Restore ${this.name} would fail validation:`, ...source.errors.map((e) => `  - ${e}`), ''].join('\n'),
      );
      throw new CommandFailedError(`restore ${this.name} would fail validation`);
    }
    const output = this.output;
    if (isDataOnly(restore.metadata.annotations)) {
      const deps = { cluster, store: source.store, veleroNamespace: namespace };
      const { plan } = await planDataOnlyForCluster(deps, { ...restore, spec: source.spec });
      process.stdout.write(
        output
          ? dataOnlyDocumentText(dataOnlyPlanDocument(this.name, source.spec.backupName ?? '', plan), output)
          : formatDataOnlyPlan(this.name, source.spec.backupName ?? '', plan),
      );
      if (!output) process.stdout.write('Dry run: nothing was created or changed.\n');
      return;
    }
    // Printed as it is planned: the plan is never held whole, whatever the backup's size.
    const features = await serverFeatures(cluster, namespace);
    if (features === undefined) {
      process.stderr.write(
        `note: no server Deployment in ${namespace}, so its --features are unknown: planned as a server without features.\n`,
      );
    }
    const enableApiGroupVersions = featureEnabled(features, Feature.EnableAPIGroupVersions);
    await withRestorePlan(
      { cluster, store: source.store, veleroNamespace: namespace, enableApiGroupVersions },
      { ...restore, spec: source.spec },
      (streamed) => {
        const plan = withRestoreHookInfo(streamed);
        return writePieces(
          process.stdout,
          output === 'json'
            ? planJsonPieces(plan)
            : output === 'yaml'
              ? planYamlPieces(plan)
              : formatRestorePlanStream(plan),
        );
      },
    );
    if (!output) process.stdout.write('Dry run: nothing was created or changed.\n');
  }

  private waitAndReport(): Promise<void> {
    return waitAndReport(this.ctx.cluster(), Kinds.Restore, { namespace: this.ctx.namespace, name: this.name });
  }
}

function dataOnlyDocumentText(doc: Record<string, unknown>, output: 'json' | 'yaml'): string {
  return output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc);
}

const EXAMPLES = `
Examples:
  # Restore everything in a backup and wait, showing progress
  skiff restore create --from-backup web-daily --wait

  # Restore one namespace into a new one, next to the original
  skiff restore create web-copy --from-backup web-daily --include-namespaces web --namespace-mappings web:web-copy

  # See what a restore would create, skip, update or find in conflict, without writing anything
  skiff restore create --from-backup web-daily --existing-resource-policy update --dry-run

  # See the init containers and exec hooks each restored pod would get (annotations
  # init.hook.restore.velero.io/* and post.hook.restore.velero.io/*, or spec.hooks), in order
  skiff restore create shop-copy --from-backup shop-nightly --namespace-mappings shop:shop-copy --dry-run

  # Restore the newest Completed backup of a schedule
  skiff restore create --from-schedule nightly

  # Restore the newest backup of a schedule even if it only PartiallyFailed
  skiff restore create --from-schedule nightly --allow-partially-failed

  # Change objects on the way back with the rules in the ConfigMap velero/staging-tweaks
  # (resource modifiers); the dry run shows each field a rule changes
  skiff restore create --from-backup web-daily --resource-modifier-configmap staging-tweaks --dry-run

  # Put the backed-up volume data back into the running pods of namespace db, changing no object
  # (see what it would do first)
  skiff restore create db-data --from-backup db-daily --include-namespaces db --data-only --dry-run
  skiff restore create db-data --from-backup db-daily --include-namespaces db --data-only --wait

  # In another cluster or region: list each storage class, zone and region value that the
  # velero.io/change-storage-class and skiff.io/change-topology ConfigMaps rewrite
  skiff restore create web-moved --from-backup web-daily --dry-run
`;

export function restoreCreateCommand() {
  return new Command('create')
    .description('Create a restore')
    .argument('[name]', 'name of the restore (default: <backup or schedule>-<YYYYMMDDhhmmss>)')
    .option('--from-backup <backup>', 'backup to restore from')
    .option('--from-schedule <schedule>', "restore the schedule's newest Completed backup")
    .option(
      '--allow-partially-failed [bool]',
      'with --from-schedule: the newest backup that is Completed or PartiallyFailed (true, false, or unset = false)',
    )
    .option(
      '--include-namespaces <list>',
      'namespaces to restore (comma-separated, globs allowed; default all)',
      collect,
    )
    .option('--exclude-namespaces <list>', 'namespaces not to restore', collect)
    .option(
      '--include-resources <list>',
      'resources to restore, e.g. configmaps,deployments.apps (default all)',
      collect,
    )
    .option('--exclude-resources <list>', 'resources not to restore', collect)
    .option('--include-cluster-resources [bool]', 'restore cluster-scoped resources (true, false, or unset = auto)')
    .option('--namespace-mappings <pairs>', 'restore namespaces under other names: src1:dst1,src2:dst2', collect)
    .option('--existing-resource-policy <policy>', 'what to do with objects that exist: none (default) or update')
    .option('--restore-volumes [bool]', 'restore volumes from snapshots (true, false, or unset = true)')
    .option('--preserve-nodeports [bool]', 'keep the nodePorts of Services (true, false, or unset = false)')
    .option('--status-include-resources <list>', 'resources whose status is restored', collect)
    .option('--status-exclude-resources <list>', 'resources whose status is not restored', collect)
    .option('-l, --selector <selector>', "only restore items matching this label selector, e.g. 'app=web'")
    .option('--or-selector <selectors>', "restore items matching any of these selectors, separated by ' or '")
    .option('--labels <pairs>', 'labels for the restore, k=v,...', collect)
    .option('--annotations <pairs>', 'annotations for the restore, k=v,...', collect)
    .option('--item-operation-timeout <duration>', 'how long to wait for async item operations (default 4h)')
    .option(
      '--resource-modifier-configmap <name>',
      'ConfigMap (in the server namespace) with resource modifier rules applied to restored objects',
    )
    .option('--write-sparse-files [bool]', 'write sparse files when restoring pod volume data (true, false, or unset)')
    .option('--parallel-files-download <n>', 'files restored in parallel per pod volume (default: CPUs of the node)')
    .option(
      '--data-only',
      'restore only pod volume data, into the pods and claims that exist now (matched by namespace and name); create or change nothing else',
    )
    .option('-w, --wait', 'wait for the restore to finish, showing progress')
    .option(
      '--dry-run',
      "print the restore plan (create/skip/conflict/update per object, tier by tier, with each pod's init and exec hooks); write nothing",
    )
    .option('-o, --output <format>', 'print the Restore (json|yaml) instead of creating it; with --dry-run, the plan')
    .addHelpText('after', EXAMPLES)
    .action(async (name, flags, cmd) => {
      const options = new CreateRestoreOptions(CliContext.fromCommand(cmd), flags);
      options.complete(name);
      await options.validate();
      await options.run();
    });
}
