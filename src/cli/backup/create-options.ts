/**
 * `skiff backup create` flags → the Backup to create. Pure: every flag is parsed and
 * every problem collected before anything touches the cluster (reference §8.3).
 */
import type { BackupSpec } from '../../api/backup.ts';
import {
  INCLUDE_APP_CLUSTER_RESOURCES_ANNOTATION,
  parseIncludeAppClusterResources,
} from '../../backup/plan/app-cluster-resources.ts';
import { Labels } from '../../api/labels.ts';
import type { Schedule } from '../../api/schedule.ts';
import { validateBackupSelection } from '../../selection/backup-selection.ts';
import { validLabelValue } from '../../util/label-value.ts';
import {
  parseDurationFlag,
  parseIntFlag,
  parseKeyValues,
  parseLabels,
  parseOptionalBool,
  parseOrderedResources,
  parseOrSelectors,
  parseSelectorFlag,
  ProblemCollector,
  splitList,
} from '../flags.ts';

/** The raw flag values, as commander hands them over. */
export interface BackupCreateFlags {
  includeNamespaces?: string[] | undefined;
  excludeNamespaces?: string[] | undefined;
  includeResources?: string[] | undefined;
  excludeResources?: string[] | undefined;
  includeClusterResources?: string | boolean | undefined;
  includeClusterScopedResources?: string[] | undefined;
  excludeClusterScopedResources?: string[] | undefined;
  includeNamespaceScopedResources?: string[] | undefined;
  excludeNamespaceScopedResources?: string[] | undefined;
  selector?: string | undefined;
  orSelector?: string | undefined;
  orderedResources?: string | undefined;
  ttl?: string | undefined;
  storageLocation?: string | undefined;
  volumeSnapshotLocations?: string[] | undefined;
  labels?: string[] | undefined;
  annotations?: string[] | undefined;
  snapshotVolumes?: string | boolean | undefined;
  snapshotMoveData?: string | boolean | undefined;
  defaultVolumesToFsBackup?: string | boolean | undefined;
  csiSnapshotTimeout?: string | undefined;
  itemOperationTimeout?: string | undefined;
  dataMover?: string | undefined;
  resourcePoliciesConfigmap?: string | undefined;
  parallelFilesUpload?: string | undefined;
  includeAppClusterResources?: boolean | undefined;
  fromSchedule?: string | undefined;
  dryRun?: boolean | undefined;
  explain?: string[] | undefined;
  wait?: boolean | undefined;
}

/** What `run()` needs: the spec plus the Backup's own labels and annotations. */
export interface BackupRequest {
  spec: BackupSpec;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface BuiltBackup {
  request: BackupRequest;
  /** Every problem found; empty means the request may be sent. */
  problems: string[];
}

/** Builds the Backup from flags alone (no schedule). */
export function buildBackupRequest(flags: BackupCreateFlags): BuiltBackup {
  const p = new ProblemCollector();
  const spec: BackupSpec = {
    // Velero's CLI always sends the namespace include list, `*` when the flag is absent.
    includedNamespaces: splitList(flags.includeNamespaces) ?? ['*'],
  };
  setList(spec, 'excludedNamespaces', flags.excludeNamespaces);
  setList(spec, 'includedResources', flags.includeResources);
  setList(spec, 'excludedResources', flags.excludeResources);
  setList(spec, 'includedClusterScopedResources', flags.includeClusterScopedResources);
  setList(spec, 'excludedClusterScopedResources', flags.excludeClusterScopedResources);
  setList(spec, 'includedNamespaceScopedResources', flags.includeNamespaceScopedResources);
  setList(spec, 'excludedNamespaceScopedResources', flags.excludeNamespaceScopedResources);
  setList(spec, 'volumeSnapshotLocations', flags.volumeSnapshotLocations);
  setBool(p, spec, 'includeClusterResources', flags.includeClusterResources, '--include-cluster-resources');
  setBool(p, spec, 'snapshotVolumes', flags.snapshotVolumes, '--snapshot-volumes');
  setBool(p, spec, 'snapshotMoveData', flags.snapshotMoveData, '--snapshot-move-data');
  setBool(p, spec, 'defaultVolumesToFsBackup', flags.defaultVolumesToFsBackup, '--default-volumes-to-fs-backup');
  addSelectors(p, spec, flags);
  if (flags.orderedResources !== undefined) {
    const ordered = p.attempt(() => parseOrderedResources(flags.orderedResources ?? ''));
    if (ordered) spec.orderedResources = ordered;
  }
  const ttl = p.attempt(() => parseDurationFlag(flags.ttl, '--ttl'));
  // A zero TTL means "the server's default" (reference §8.3), so it is left unset.
  if (ttl !== undefined && ttl !== '0s') spec.ttl = ttl;
  const csi = p.attempt(() => parseDurationFlag(flags.csiSnapshotTimeout, '--csi-snapshot-timeout'));
  if (csi !== undefined) spec.csiSnapshotTimeout = csi;
  const itemOps = p.attempt(() => parseDurationFlag(flags.itemOperationTimeout, '--item-operation-timeout'));
  if (itemOps !== undefined) spec.itemOperationTimeout = itemOps;
  if (flags.storageLocation) spec.storageLocation = flags.storageLocation;
  if (flags.dataMover) spec.datamover = flags.dataMover;
  if (flags.resourcePoliciesConfigmap) {
    spec.resourcePolicy = { kind: 'configmap', name: flags.resourcePoliciesConfigmap };
  }
  const parallel = p.attempt(() => parseIntFlag(flags.parallelFilesUpload, '--parallel-files-upload'));
  if (parallel !== undefined) spec.uploaderConfig = { parallelFilesUpload: parallel };
  const labels = p.attempt(() => parseLabels(flags.labels)) ?? {};
  const annotations = p.attempt(() => parseKeyValues(flags.annotations, '--annotations')) ?? {};
  addAppClusterResources(p, annotations, flags);
  checkCombinations(p, flags);
  // The server would reject these as FailedValidation; saying so now saves a round trip.
  if (p.problems.length === 0) for (const e of validateBackupSelection(spec)) p.add(e);
  return { request: { spec, labels, annotations }, problems: p.problems };
}

/**
 * `--from-schedule`: the schedule's template is the spec, its template labels and the
 * schedule-name label go on the Backup. Velero silently ignores the other spec flags there;
 * Skiff refuses them, naming each, since a user who gave one believes it applies.
 */
export function backupFromSchedule(schedule: Schedule, flags: BackupCreateFlags): BuiltBackup {
  const p = new ProblemCollector();
  const ignored = Object.entries(flags)
    .filter(([key, value]) => value !== undefined && !FROM_SCHEDULE_FLAGS.has(key))
    .map(([key]) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  if (ignored.length > 0) {
    p.add(
      `--from-schedule takes the schedule's template as the spec: ${ignored.join(', ')} would not apply; ` +
        `drop them, or create the backup without --from-schedule`,
    );
  }
  const { metadata, ...spec } = schedule.spec.template;
  const labels = {
    ...(metadata?.labels ?? {}),
    ...(p.attempt(() => parseLabels(flags.labels)) ?? {}),
    [Labels.ScheduleName]: validLabelValue(schedule.metadata.name ?? ''),
  };
  const annotations = p.attempt(() => parseKeyValues(flags.annotations, '--annotations')) ?? {};
  // The schedule's own backups carry its annotations (reference §5.1 step 5); this one is part of what it takes.
  const fromSchedule = schedule.metadata.annotations?.[INCLUDE_APP_CLUSTER_RESOURCES_ANNOTATION];
  if (fromSchedule !== undefined) annotations[INCLUDE_APP_CLUSTER_RESOURCES_ANNOTATION] ??= fromSchedule;
  addAppClusterResources(p, annotations, flags);
  if (flags.storageLocation) spec.storageLocation = flags.storageLocation;
  checkCombinations(p, flags);
  return { request: { spec, labels, annotations }, problems: p.problems };
}

/** `--include-app-cluster-resources` is the annotation; a value set by hand must be one the server accepts. */
function addAppClusterResources(
  p: ProblemCollector,
  annotations: Record<string, string>,
  flags: BackupCreateFlags,
): void {
  if (flags.includeAppClusterResources) annotations[INCLUDE_APP_CLUSTER_RESOURCES_ANNOTATION] = 'true';
  const parsed = parseIncludeAppClusterResources(annotations);
  if ('problem' in parsed) p.add(`--annotations: ${parsed.problem}`);
}

/** The flags `backupFromSchedule` acts on; any other spec flag is refused there. */
const FROM_SCHEDULE_FLAGS = new Set<string>([
  'fromSchedule',
  'labels',
  'annotations',
  'storageLocation',
  'includeAppClusterResources',
  'dryRun',
  'explain',
  'wait',
  'output',
]);

function checkCombinations(p: ProblemCollector, flags: BackupCreateFlags): void {
  if (flags.selector !== undefined && flags.orSelector !== undefined) {
    p.add(
      "either --selector or --or-selector can be given, but not both: merge them into one --or-selector 'a=b or c=d'",
    );
  }
  if ((flags.explain?.length ?? 0) > 0 && !flags.dryRun) {
    p.add('--explain only works with --dry-run: add --dry-run to see why items are in or out');
  }
}

function addSelectors(p: ProblemCollector, spec: BackupSpec, flags: BackupCreateFlags): void {
  if (flags.selector !== undefined) {
    const sel = p.attempt(() => parseSelectorFlag(flags.selector ?? ''));
    if (sel) spec.labelSelector = sel;
  }
  if (flags.orSelector !== undefined) {
    const sels = p.attempt(() => parseOrSelectors(flags.orSelector ?? ''));
    if (sels) spec.orLabelSelectors = sels;
  }
}

type ListField =
  | 'excludedNamespaces'
  | 'includedResources'
  | 'excludedResources'
  | 'includedClusterScopedResources'
  | 'excludedClusterScopedResources'
  | 'includedNamespaceScopedResources'
  | 'excludedNamespaceScopedResources'
  | 'volumeSnapshotLocations';

function setList(spec: BackupSpec, field: ListField, values: string[] | undefined): void {
  const list = splitList(values);
  if (list !== undefined && list.length > 0) spec[field] = list;
}

type BoolField = 'includeClusterResources' | 'snapshotVolumes' | 'snapshotMoveData' | 'defaultVolumesToFsBackup';

function setBool(
  p: ProblemCollector,
  spec: BackupSpec,
  field: BoolField,
  value: string | boolean | undefined,
  flag: string,
): void {
  const parsed = p.attempt(() => parseOptionalBool(value, flag));
  if (parsed !== undefined) spec[field] = parsed;
}
