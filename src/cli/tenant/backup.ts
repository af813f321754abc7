/** `skiff tenant backup create|get|describe|delete`: TenantBackups of the user's namespaces. */
import { readFileSync } from 'node:fs';
import { Command, type OptionValues } from '@commander-js/extra-typings';
import { parse } from 'yaml';
import { isRecord } from '../../kube/object.ts';
import { TenantKinds } from '../../tenant/api/kinds.ts';
import { errorMessage } from '../../util/errors.ts';
import {
  collect,
  parseDurationFlag,
  parseOptionalBool,
  addSelectorFlags,
  ProblemCollector,
  splitList,
} from '../flags.ts';
import { createTenantObject } from './create.ts';
import { tenantDeleteCommand, tenantDescribeCommand, tenantGetCommand, type TenantNoun } from './resource-commands.ts';
import { TenantContext } from './tenant-context.ts';

export const BACKUP_NOUN: TenantNoun = {
  noun: 'backup',
  kind: TenantKinds.TenantBackup,
  viewResource: 'tenantbackups',
};

/** The flags of a TenantBackup spec (also a TenantSchedule's template). */
export interface TenantBackupFlags {
  includeNamespaces?: string[] | undefined;
  includeResources?: string[] | undefined;
  excludeResources?: string[] | undefined;
  selector?: string | undefined;
  orSelector?: string | undefined;
  ttl?: string | undefined;
  storageLocation?: string | undefined;
  snapshotVolumes?: string | boolean | undefined;
  snapshotMoveData?: string | boolean | undefined;
  defaultVolumesToFsBackup?: string | boolean | undefined;
  includeClusterResources?: string | boolean | undefined;
  hooksFile?: string | undefined;
}

/** Flags → the TenantBackup spec fields (requester apart), with every problem found. */
export function buildTenantBackupSpec(
  flags: TenantBackupFlags,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): { spec: Record<string, unknown>; problems: string[] } {
  const p = new ProblemCollector();
  const spec: Record<string, unknown> = {};
  const list = (key: string, value: string[] | undefined): void => {
    const items = splitList(value);
    if (items && items.length > 0) spec[key] = items;
  };
  list('namespaces', flags.includeNamespaces);
  list('includedResources', flags.includeResources);
  list('excludedResources', flags.excludeResources);
  addSelectorFlags(p, spec, flags);
  // The CRD takes a Go duration as written (720h); parsing here only catches typos early.
  if (flags.ttl !== undefined && p.attempt(() => parseDurationFlag(flags.ttl, '--ttl')) !== undefined) {
    spec.ttl = flags.ttl.trim();
  }
  if (flags.storageLocation) spec.storageLocation = flags.storageLocation;
  const bool = (key: string, value: string | boolean | undefined, flag: string): void => {
    const b = p.attempt(() => parseOptionalBool(value, flag));
    if (b !== undefined) spec[key] = b;
  };
  bool('snapshotVolumes', flags.snapshotVolumes, '--snapshot-volumes');
  bool('snapshotMoveData', flags.snapshotMoveData, '--snapshot-move-data');
  bool('defaultVolumesToFsBackup', flags.defaultVolumesToFsBackup, '--default-volumes-to-fs-backup');
  bool('includeClusterResources', flags.includeClusterResources, '--include-cluster-resources');
  if (flags.hooksFile !== undefined) {
    try {
      const hooks: unknown = parse(readFile(flags.hooksFile));
      if (!isRecord(hooks) || !Array.isArray(hooks.resources)) {
        p.add(`--hooks-file: ${flags.hooksFile} must hold {resources: [...]}, as a Backup's spec.hooks`);
      } else spec.hooks = hooks;
    } catch (err) {
      p.add(`--hooks-file: ${errorMessage(err)}`);
    }
  }
  return { spec, problems: p.problems };
}

/** The TenantBackup spec flags, shared with `skiff tenant schedule create`. */
export function tenantBackupOptions<Args extends unknown[], Opts extends OptionValues>(cmd: Command<Args, Opts>) {
  return cmd
    .option(
      '--include-namespaces <list>',
      "namespaces to back up (default: the TenantBackup's own); you need create on tenantbackups in each",
      collect,
    )
    .option(
      '--include-resources <list>',
      'resources to include, e.g. configmaps,deployments.apps (default all)',
      collect,
    )
    .option('--exclude-resources <list>', 'resources to exclude', collect)
    .option('-l, --selector <selector>', "only items matching this label selector, e.g. 'app=web'")
    .option('--or-selector <selectors>', "items matching any of these selectors, separated by ' or '")
    .option('--ttl <duration>', 'how long to keep the backup, e.g. 72h (default and cap: the TenantPolicy)')
    .option('--storage-location <name>', "an approved TenantStorageLocation of this namespace (default: the policy's)")
    .option('--snapshot-volumes [bool]', 'snapshot volumes (refused where the TenantPolicy forbids snapshots)')
    .option(
      '--snapshot-move-data [bool]',
      "move CSI snapshots' data into the location with the data mover (refused where snapshots are forbidden)",
    )
    .option(
      '--default-volumes-to-fs-backup [bool]',
      'file-system backup of all pod volumes (refused where the policy forbids fsBackup)',
    )
    .option('--include-cluster-resources [bool]', 'only false is accepted: tenant backups hold no cluster objects')
    .option(
      '--hooks-file <path>',
      "YAML with a Backup's spec.hooks ({resources: [...]}); needs pods/exec and a policy that allows hooks",
    );
}

function createCommand() {
  return tenantBackupOptions(
    new Command('create')
      .description("Back up namespaces you may back up (default: -n, or the kubeconfig context's namespace)")
      .argument('<name>', 'name of the TenantBackup'),
  )
    .option('-w, --wait', 'wait until the backup has finished, showing its phase and queue position')
    .option('-o, --output <format>', 'print the TenantBackup (json|yaml) instead of creating it')
    .addHelpText(
      'after',
      `
spec.requester is filled in from a SelfSubjectReview: the API server refuses any other.

Examples:
  # Back up your namespace and wait for it
  skiff tenant backup create before-upgrade -n team-a --ttl 72h --wait

  # Only the web app's objects
  skiff tenant backup create web -n team-a -l app=web

  # Two namespaces you may back up, into the one given by -n
  skiff tenant backup create both -n team-a --include-namespaces team-a,team-c`,
    )
    .action(async (name, flags, cmd) => {
      const ctx = TenantContext.fromCommand(cmd);
      const built = buildTenantBackupSpec(flags);
      await createTenantObject(ctx, BACKUP_NOUN, name, { ...built, withRequester: true }, flags);
    });
}

export function tenantBackupCommand() {
  return new Command('backup')
    .description('Back up your namespaces (TenantBackup, tenant.skiff.dev)')
    .addCommand(createCommand())
    .addCommand(tenantGetCommand(BACKUP_NOUN))
    .addCommand(tenantDescribeCommand(BACKUP_NOUN))
    .addCommand(tenantDeleteCommand(BACKUP_NOUN, 'its files in object storage are deleted with it'))
    .addHelpText(
      'after',
      `
Examples:
  skiff tenant backup create nightly-1 -n team-a --wait
  skiff tenant backup get -n team-a
  skiff tenant backup delete nightly-1 -n team-a --confirm`,
    );
}
