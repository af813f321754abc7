/** The text of `skiff backup describe`: pure formatting of a Backup and, with --details, its files. */
import type { Backup } from '../../api/backup.ts';
import { isRecord } from '../../kube/object.ts';
import { formatResult, type Result } from '../../results/results.ts';
import { formatTimestamp } from '../output.ts';
import { selectorText } from '../selector-text.ts';
import { displayPhase } from './get.ts';
import type { PodVolumeBackup } from '../../api/pod-volume.ts';
import { podVolumeBackupLines } from './describe-volumes.ts';

/** What --details adds: each part is the parsed file, or the reason it could not be fetched. */
export interface BackupDetails {
  resourceList: Record<string, string[]> | string;
  results: { errors: Result; warnings: Result } | string;
}

const list = (values: readonly string[] | null | undefined, empty = '<none>'): string =>
  values && values.length > 0 ? values.join(', ') : empty;

const boolText = (value: boolean | null | undefined, unset: string): string =>
  value === undefined || value === null ? unset : String(value);

function mapText(map: Record<string, string> | undefined): string {
  const entries = Object.entries(map ?? {});
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join('\n              ');
}

export function describeBackup(
  backup: Backup,
  details?: BackupDetails,
  podVolumes?: readonly PodVolumeBackup[],
): string {
  const { spec } = backup;
  const status = backup.status ?? {};
  const out = [
    `Name:         ${backup.metadata.name ?? ''}`,
    `Namespace:    ${backup.metadata.namespace ?? ''}`,
    `Labels:       ${mapText(backup.metadata.labels)}`,
    `Annotations:  ${mapText(backup.metadata.annotations)}`,
    '',
    `Phase:  ${displayPhase(backup)}`,
    ...(status.phase === 'Queued' && status.queuePosition
      ? [
          `Queue position:  ${status.queuePosition} (waits for a free slot of --concurrent-backups, and for running or earlier backups of the same namespaces)`,
        ]
      : []),
    ...problems(backup),
    '',
    'Namespaces:',
    `  Included:  ${list(spec.includedNamespaces, '*')}`,
    `  Excluded:  ${list(spec.excludedNamespaces)}`,
    '',
    ...resourceLines(backup),
    '',
    `Label selector:     ${selectorText(spec.labelSelector)}`,
    `Or label selector:  ${spec.orLabelSelectors?.length ? selectorText(null, spec.orLabelSelectors) : '<none>'}`,
    '',
    `Storage Location:  ${spec.storageLocation ?? '<default>'}`,
    '',
    `Snapshot PVs:                  ${boolText(spec.snapshotVolumes, 'auto')}`,
    `File System Backup (Default):  ${boolText(spec.defaultVolumesToFsBackup, 'false')}`,
    `Snapshot Move Data:            ${boolText(spec.snapshotMoveData, 'false')}`,
    '',
    `TTL:  ${spec.ttl ?? '<server default>'}`,
    '',
    `Hooks:  ${spec.hooks?.resources?.length ? `${spec.hooks.resources.length} resource hook(s)` : '<none>'}`,
    '',
    `Backup Format Version:  ${status.formatVersion ?? '<n/a>'}`,
    '',
    `Started:    ${formatTimestamp(status.startTimestamp)}`,
    `Completed:  ${formatTimestamp(status.completionTimestamp)}`,
    '',
    `Expiration:  ${formatTimestamp(status.expiration)}`,
    '',
    ...progressLines(backup),
    '',
    `Errors:    ${status.errors ?? 0}`,
    `Warnings:  ${status.warnings ?? 0}`,
    ...itemOperationLines(status),
    ...hookStatusLines(status.hookStatus),
  ];
  if (podVolumes)
    out.push(
      '',
      ...podVolumeBackupLines(podVolumes, details !== undefined, {
        attempted: status.csiVolumeSnapshotsAttempted ?? 0,
        completed: status.csiVolumeSnapshotsCompleted ?? 0,
      }),
    );
  if (details) out.push('', ...detailLines(details));
  return out.join('\n') + '\n';
}

/** The async item operations (DataUploads) counted in the status (reference §1.1), once there were any. */
export function itemOperationLines(status: {
  backupItemOperationsAttempted?: number;
  backupItemOperationsCompleted?: number;
  backupItemOperationsFailed?: number;
}): string[] {
  const attempted = status.backupItemOperationsAttempted ?? 0;
  if (attempted === 0) return [];
  return [
    '',
    `Backup Item Operations:  ${status.backupItemOperationsCompleted ?? 0} of ${attempted} completed successfully, ` +
      `${status.backupItemOperationsFailed ?? 0} failed (specify --details for more information)`,
  ];
}

/** Reference §3.6: the hook counts, once hooks ran. */
export function hookStatusLines(
  hookStatus: { hooksAttempted?: number; hooksFailed?: number } | null | undefined,
): string[] {
  if (!hookStatus) return [];
  return ['', `HooksAttempted:  ${hookStatus.hooksAttempted ?? 0}`, `HooksFailed:     ${hookStatus.hooksFailed ?? 0}`];
}

function problems(backup: Backup): string[] {
  const status = backup.status ?? {};
  const out: string[] = [];
  if (status.validationErrors?.length) {
    out.push('', 'Validation errors:', ...status.validationErrors.map((e) => `  ${e}`));
  }
  if (status.failureReason) out.push('', `Failure reason:  ${status.failureReason}`);
  return out;
}

function resourceLines(backup: Backup): string[] {
  const { spec } = backup;
  const scoped = [
    spec.includedClusterScopedResources,
    spec.excludedClusterScopedResources,
    spec.includedNamespaceScopedResources,
    spec.excludedNamespaceScopedResources,
  ].some((l) => l?.length);
  if (scoped) {
    return [
      'Resources:',
      `  Included cluster-scoped:    ${list(spec.includedClusterScopedResources)}`,
      `  Excluded cluster-scoped:    ${list(spec.excludedClusterScopedResources)}`,
      `  Included namespace-scoped:  ${list(spec.includedNamespaceScopedResources, '*')}`,
      `  Excluded namespace-scoped:  ${list(spec.excludedNamespaceScopedResources)}`,
    ];
  }
  return [
    'Resources:',
    `  Included:        ${list(spec.includedResources, '*')}`,
    `  Excluded:        ${list(spec.excludedResources)}`,
    `  Cluster-scoped:  ${boolText(spec.includeClusterResources, 'auto')}`,
  ];
}

function progressLines(backup: Backup): string[] {
  const p = backup.status?.progress;
  if (!p) return ['Total items to be backed up:  <n/a>'];
  return [
    `Total items to be backed up:  ${p.totalItems ?? 0}`,
    `Items backed up:              ${p.itemsBackedUp ?? 0}`,
  ];
}

export function detailLines(details: BackupDetails): string[] {
  const out: string[] = [];
  if (typeof details.resourceList === 'string') out.push(`Resource List:  <${details.resourceList}>`);
  else {
    out.push('Resource List:');
    const entries = Object.entries(details.resourceList).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) out.push('  <none>');
    for (const [type, items] of entries) out.push(`  ${type}:`, ...items.map((i) => `    - ${i}`));
  }
  out.push('');
  if (typeof details.results === 'string') out.push(`Results:  <${details.results}>`);
  else
    out.push(...formatResult('Errors', details.results.errors), ...formatResult('Warnings', details.results.warnings));
  return out;
}

/** Checks the shape of the downloaded resource list (`groupVersion/Kind` → `ns/name` entries). */
export function parseResourceList(text: string): Record<string, string[]> {
  const parsed: unknown = JSON.parse(text);
  if (!isRecord(parsed)) throw new Error('the resource list is not a JSON object');
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(parsed)) {
    out[k] = Array.isArray(v) ? v.map(String) : [];
  }
  return out;
}

export function parseResultsFile(text: string): { errors: Result; warnings: Result } {
  const parsed: unknown = JSON.parse(text);
  if (!isRecord(parsed)) throw new Error('the results file is not a JSON object');
  return { errors: asResult(parsed.errors), warnings: asResult(parsed.warnings) };
}

/** Keeps only the string lists of a results section; anything else in the file is ignored. */
function asResult(value: unknown): Result {
  if (!isRecord(value)) return {};
  const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : undefined);
  const out: Result = {};
  const velero = strings(value.velero);
  const cluster = strings(value.cluster);
  if (velero) out.velero = velero;
  if (cluster) out.cluster = cluster;
  if (isRecord(value.namespaces)) {
    out.namespaces = Object.fromEntries(Object.entries(value.namespaces).map(([ns, v]) => [ns, strings(v) ?? []]));
  }
  return out;
}
