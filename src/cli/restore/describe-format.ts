/** The text of `skiff restore describe`: pure formatting of a Restore and, with --details, its files. */
import { hookStatusLines } from '../backup/describe-format.ts';
import type { Restore } from '../../api/restore.ts';
import { formatResult, type Result } from '../../results/results.ts';
import { NON_RESTORABLE_RESOURCES } from '../../selection/restore-selection.ts';
import { formatTimestamp } from '../output.ts';
import { selectorText } from '../selector-text.ts';
import { displayRestorePhase } from './get.ts';
import type { KubeObject } from '../../kube/object.ts';
import { podVolumeRestoreLines, uploaderConfigLines } from './pod-volume-lines.ts';

/** What --details adds: each part is the parsed file, or the reason it could not be fetched. */
export interface RestoreDetails {
  resourceList: Record<string, string[]> | string;
  results: { errors: Result; warnings: Result } | string;
}

const list = (values: readonly string[] | null | undefined, empty = '<none>'): string =>
  values && values.length > 0 ? values.join(', ') : empty;

const boolText = (value: boolean | null | undefined, unset: string): string =>
  value === undefined || value === null ? unset : String(value);

function mapText(map: Record<string, string> | undefined, sep: string, indent: string): string {
  const entries = Object.entries(map ?? {});
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}${sep}${v}`).join(`\n${indent}`);
}

function queueLines(restore: Restore): string[] {
  const status = restore.status ?? {};
  if ((status.phase ?? 'New') !== 'New' || !status.queuePosition) return [];
  return [
    `Queue position:              ${status.queuePosition} (waits for running or earlier restores into the same namespaces)`,
  ];
}

function modifierLines(restore: Restore): string[] {
  const modifier = restore.spec.resourceModifier;
  if (!modifier) return [];
  return ['', 'Resource modifier:', `  Type:  ${modifier.kind}`, `  Name:  ${modifier.name}`];
}

export function describeRestore(
  restore: Restore,
  details?: RestoreDetails,
  podVolumeRestores: readonly KubeObject[] = [],
): string {
  const { spec } = restore;
  const status = restore.status ?? {};
  const out = [
    `Name:         ${restore.metadata.name ?? ''}`,
    `Namespace:    ${restore.metadata.namespace ?? ''}`,
    `Labels:       ${mapText(restore.metadata.labels, '=', '              ')}`,
    `Annotations:  ${mapText(restore.metadata.annotations, '=', '              ')}`,
    '',
    `Phase:                       ${displayRestorePhase(restore)}`,
    ...queueLines(restore),
    ...progressLines(restore),
    ...problems(restore),
    '',
    `Started:    ${formatTimestamp(status.startTimestamp)}`,
    `Completed:  ${formatTimestamp(status.completionTimestamp)}`,
    '',
    ...(details ? resultLines(details) : [`Errors:    ${status.errors ?? 0}`, `Warnings:  ${status.warnings ?? 0}`]),
    ...hookStatusLines(status.hookStatus),
    '',
    `Backup:  ${spec.backupName ?? ''}`,
    ...(spec.scheduleName ? [`Schedule:  ${spec.scheduleName}`] : []),
    '',
    'Namespaces:',
    `  Included:  ${list(spec.includedNamespaces, 'all namespaces found in the backup')}`,
    `  Excluded:  ${list(spec.excludedNamespaces)}`,
    '',
    'Resources:',
    `  Included:        ${list(spec.includedResources, '*')}`,
    // Velero shows the non-restorable resources as excluded (reference §4.1 step 2).
    `  Excluded:        ${list([...(spec.excludedResources ?? []), ...NON_RESTORABLE_RESOURCES])}`,
    `  Cluster-scoped:  ${boolText(spec.includeClusterResources, 'auto')}`,
    '',
    `Namespace mappings:  ${mapText(spec.namespaceMapping ?? undefined, '=', '                     ')}`,
    '',
    `Label selector:     ${selectorText(spec.labelSelector)}`,
    `Or label selector:  ${spec.orLabelSelectors?.length ? selectorText(null, spec.orLabelSelectors) : '<none>'}`,
    '',
    `Restore PVs:  ${boolText(spec.restorePVs, 'auto')}`,
    '',
    `Existing Resource Policy:   ${spec.existingResourcePolicy || '<none>'}`,
    `Preserve Service NodePorts:  ${boolText(spec.preserveNodePorts, 'auto')}`,
    ...modifierLines(restore),
    '',
    'Restore status:',
    `  Included:  ${list(spec.restoreStatus?.includedResources)}`,
    `  Excluded:  ${list(spec.restoreStatus?.excludedResources)}`,
    ...uploaderConfigLines(spec),
    ...podVolumeRestoreLines(podVolumeRestores, details !== undefined),
  ];
  if (details) out.push('', ...resourceListLines(details));
  return out.join('\n') + '\n';
}

function progressLines(restore: Restore): string[] {
  const p = restore.status?.progress;
  const phase = restore.status?.phase;
  if (!p || (phase !== 'InProgress' && p.totalItems === undefined)) return [];
  return [`Total items to be restored:  ${p.totalItems ?? 0}`, `Items restored:              ${p.itemsRestored ?? 0}`];
}

function problems(restore: Restore): string[] {
  const status = restore.status ?? {};
  const out: string[] = [];
  if (status.validationErrors?.length) {
    out.push('', 'Validation errors:', ...status.validationErrors.map((e) => `  ${e}`));
  }
  if (status.failureReason) out.push('', `Failure reason:  ${status.failureReason}`);
  return out;
}

function resultLines(details: RestoreDetails): string[] {
  if (typeof details.results === 'string') return [`Results:  <${details.results}>`];
  return [...formatResult('Warnings', details.results.warnings), '', ...formatResult('Errors', details.results.errors)];
}

function resourceListLines(details: RestoreDetails): string[] {
  if (typeof details.resourceList === 'string') return [`Resource List:  <${details.resourceList}>`];
  const out = ['Resource List:'];
  const entries = Object.entries(details.resourceList).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) out.push('  <none>');
  for (const [type, items] of entries) out.push(`  ${type}:`, ...items.map((i) => `    - ${i}`));
  return out;
}
