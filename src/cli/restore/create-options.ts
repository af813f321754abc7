/**
 * `skiff restore create` flags → the Restore to create. Pure: every flag is parsed and
 * every problem collected before anything touches the cluster (reference §8.4).
 */
import type { RestoreSpec } from '../../api/restore.ts';
import { validateRestoreSelection } from '../../selection/restore-selection.ts';
import { timestampSuffix } from '../../util/clock.ts';
import {
  addSelectorFlags,
  parseDurationFlag,
  parseIntFlag,
  parseKeyValues,
  parseLabels,
  parseOptionalBool,
  ProblemCollector,
  splitList,
} from '../flags.ts';
import { FlagError } from '../errors.ts';
import { dataOnlyProblems } from '../../restore/volumes/data-only.ts';
import { DATA_ONLY_ANNOTATION } from '../../restore/volumes/pod-volume-restores.ts';

/** The raw flag values, as commander hands them over. */
export interface RestoreCreateFlags {
  fromBackup?: string | undefined;
  fromSchedule?: string | undefined;
  includeNamespaces?: string[] | undefined;
  excludeNamespaces?: string[] | undefined;
  includeResources?: string[] | undefined;
  excludeResources?: string[] | undefined;
  includeClusterResources?: string | boolean | undefined;
  namespaceMappings?: string[] | undefined;
  existingResourcePolicy?: string | undefined;
  restoreVolumes?: string | boolean | undefined;
  preserveNodeports?: string | boolean | undefined;
  statusIncludeResources?: string[] | undefined;
  statusExcludeResources?: string[] | undefined;
  selector?: string | undefined;
  orSelector?: string | undefined;
  labels?: string[] | undefined;
  annotations?: string[] | undefined;
  itemOperationTimeout?: string | undefined;
  resourceModifierConfigmap?: string | undefined;
  allowPartiallyFailed?: string | boolean | undefined;
  writeSparseFiles?: string | boolean | undefined;
  parallelFilesDownload?: string | undefined;
  dataOnly?: boolean | undefined;
}

/** What `run()` needs: the spec plus the Restore's own labels and annotations. */
export interface RestoreRequest {
  spec: RestoreSpec;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface BuiltRestore {
  request: RestoreRequest;
  /** Every problem found; empty means the request may be sent. */
  problems: string[];
}

const POLICIES = ['none', 'update'];

/** Builds the Restore from flags alone; the server checks that the backup exists and can be read. */
export function buildRestoreRequest(flags: RestoreCreateFlags): BuiltRestore {
  const p = new ProblemCollector();
  const spec: RestoreSpec = {};
  const from = sourceOf(p, flags);
  if (from) spec[from.field] = from.name;
  setList(spec, 'includedNamespaces', flags.includeNamespaces);
  setList(spec, 'excludedNamespaces', flags.excludeNamespaces);
  setList(spec, 'includedResources', flags.includeResources);
  setList(spec, 'excludedResources', flags.excludeResources);
  const mapping = p.attempt(() => parseNamespaceMappings(flags.namespaceMappings));
  if (mapping && Object.keys(mapping).length > 0) spec.namespaceMapping = mapping;
  setBool(p, spec, 'includeClusterResources', flags.includeClusterResources, '--include-cluster-resources');
  setBool(p, spec, 'restorePVs', flags.restoreVolumes, '--restore-volumes');
  setBool(p, spec, 'preserveNodePorts', flags.preserveNodeports, '--preserve-nodeports');
  if (flags.existingResourcePolicy !== undefined) {
    if (POLICIES.includes(flags.existingResourcePolicy)) spec.existingResourcePolicy = flags.existingResourcePolicy;
    else {
      p.add(
        `--existing-resource-policy: "${flags.existingResourcePolicy}" is not a policy: use none (keep what exists, warn) or update (patch it to the backed-up version)`,
      );
    }
  }
  const statusIncluded = splitList(flags.statusIncludeResources);
  const statusExcluded = splitList(flags.statusExcludeResources);
  if (statusIncluded?.length || statusExcluded?.length) {
    spec.restoreStatus = {
      ...(statusIncluded?.length ? { includedResources: statusIncluded } : {}),
      ...(statusExcluded?.length ? { excludedResources: statusExcluded } : {}),
    };
  }
  addSelectorFlags(p, spec, flags);
  const timeout = p.attempt(() => parseDurationFlag(flags.itemOperationTimeout, '--item-operation-timeout'));
  if (timeout !== undefined) spec.itemOperationTimeout = timeout;
  if (flags.resourceModifierConfigmap) {
    spec.resourceModifier = { kind: 'configmap', name: flags.resourceModifierConfigmap };
  }
  addUploaderConfig(p, spec, flags);
  const labels = p.attempt(() => parseLabels(flags.labels)) ?? {};
  const annotations = p.attempt(() => parseKeyValues(flags.annotations, '--annotations')) ?? {};
  checkAllowPartiallyFailed(p, flags);
  markDataOnly(p, spec, annotations, flags.dataOnly);
  // The server would reject these as FailedValidation; saying so now saves a round trip.
  if (p.problems.length === 0) for (const e of validateRestoreSelection(spec)) p.add(e);
  return { request: { spec, labels, annotations }, problems: p.problems };
}

/** Velero's default name: `<backup or schedule>-<YYYYMMDDhhmmss>` (reference §8.4). */
export function defaultRestoreName(flags: Pick<RestoreCreateFlags, 'fromBackup' | 'fromSchedule'>, now: Date): string {
  const source = flags.fromBackup ?? flags.fromSchedule ?? '';
  return source === '' ? '' : `${source}-${timestampSuffix(now)}`;
}

/** `--namespace-mappings src1:dst1,src2:dst2` (repeatable) → `{src1: dst1, src2: dst2}`. */
export function parseNamespaceMappings(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const pair of splitList(values) ?? []) {
    const parts = pair.split(':').map((s) => s.trim());
    const [src, dst] = parts;
    if (parts.length !== 2 || !src || !dst) {
      problems.push(`--namespace-mappings: "${pair}" is not source:target (e.g. --namespace-mappings prod:staging)`);
    } else if (out[src] !== undefined && out[src] !== dst) {
      problems.push(`--namespace-mappings: namespace ${src} is mapped twice (to ${out[src]} and ${dst})`);
    } else {
      out[src] = dst;
    }
  }
  if (problems.length > 0) throw new FlagError(problems);
  return out;
}

/** `--write-sparse-files` and `--parallel-files-download` → `spec.uploaderConfig` (reference §1.2, §8.4). */
function addUploaderConfig(p: ProblemCollector, spec: RestoreSpec, flags: RestoreCreateFlags): void {
  const sparse = p.attempt(() => parseOptionalBool(flags.writeSparseFiles, '--write-sparse-files'));
  const parallel = p.attempt(() => parseIntFlag(flags.parallelFilesDownload, '--parallel-files-download'));
  if (sparse === undefined && parallel === undefined) return;
  spec.uploaderConfig = {
    ...(sparse !== undefined ? { writeSparseFiles: sparse } : {}),
    ...(parallel !== undefined ? { parallelFilesDownload: parallel } : {}),
  };
}

/** `--data-only`: the annotation that asks for it, and the flags it cannot honour (restore/volumes/data-only.ts). */
function markDataOnly(
  p: ProblemCollector,
  spec: RestoreSpec,
  annotations: Record<string, string>,
  dataOnly: boolean | undefined,
): void {
  if (!dataOnly) return;
  annotations[DATA_ONLY_ANNOTATION] = 'true';
  for (const problem of dataOnlyProblems(annotations, spec)) p.add(`--data-only: ${problem}`);
}

/** reference §8.4: `--allow-partially-failed` only means something when a schedule chooses the backup. */
function checkAllowPartiallyFailed(p: ProblemCollector, flags: RestoreCreateFlags): void {
  const allow = p.attempt(() => parseOptionalBool(flags.allowPartiallyFailed, '--allow-partially-failed'));
  if (allow !== undefined && (flags.fromSchedule ?? '') === '') {
    p.add(
      '--allow-partially-failed only works with --from-schedule: it lets the newest PartiallyFailed backup of the schedule be chosen (with --from-backup, name that backup directly)',
    );
  }
}

function sourceOf(
  p: ProblemCollector,
  flags: RestoreCreateFlags,
): { field: 'backupName' | 'scheduleName'; name: string } | undefined {
  const backup = flags.fromBackup ?? '';
  const schedule = flags.fromSchedule ?? '';
  if (backup !== '' && schedule !== '') {
    p.add('use either --from-backup or --from-schedule, not both');
    return undefined;
  }
  if (backup === '' && schedule === '') {
    p.add('name the source of the restore: --from-backup BACKUP or --from-schedule SCHEDULE');
    return undefined;
  }
  return backup !== '' ? { field: 'backupName', name: backup } : { field: 'scheduleName', name: schedule };
}

type ListField = 'includedNamespaces' | 'excludedNamespaces' | 'includedResources' | 'excludedResources';

function setList(spec: RestoreSpec, field: ListField, values: string[] | undefined): void {
  const list = splitList(values);
  if (list !== undefined && list.length > 0) spec[field] = list;
}

type BoolField = 'includeClusterResources' | 'restorePVs' | 'preserveNodePorts';

function setBool(
  p: ProblemCollector,
  spec: RestoreSpec,
  field: BoolField,
  value: string | boolean | undefined,
  flag: string,
): void {
  const parsed = p.attempt(() => parseOptionalBool(value, flag));
  if (parsed !== undefined) spec[field] = parsed;
}
