/**
 * The text of `skiff schedule describe`: the schedule, its template, when it runs next,
 * and with a `skiff.io/retain` annotation what each rule keeps. Pure formatting.
 */
import type { Backup } from '../../api/backup.ts';
import type { Schedule } from '../../api/schedule.ts';
import { validateSchedule, nextRun } from '../../schedule/decide.ts';
import { formatRetentionPlan, planRetention } from '../../schedule/retention.ts';
import { formatRelative, formatTimestamp } from '../output.ts';
import { selectorText } from '../selector-text.ts';

const list = (values: readonly string[] | null | undefined, empty = '<none>'): string =>
  values && values.length > 0 ? values.join(', ') : empty;

function mapText(map: Record<string, string> | undefined): string {
  const entries = Object.entries(map ?? {});
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join('\n              ');
}

/** `backups` are the schedule's own (labelled `velero.io/schedule-name`). */
export function describeSchedule(schedule: Schedule, backups: readonly Backup[], now: Date): string {
  const { spec } = schedule;
  const status = schedule.status ?? {};
  const { errors, cron, retention } = validateSchedule(schedule);
  const next = cron && !spec.paused ? nextRun(schedule, cron) : undefined;
  const out = [
    `Name:         ${schedule.metadata.name ?? ''}`,
    `Namespace:    ${schedule.metadata.namespace ?? ''}`,
    `Labels:       ${mapText(schedule.metadata.labels)}`,
    `Annotations:  ${mapText(schedule.metadata.annotations)}`,
    '',
    `Phase:  ${status.phase ?? 'New'}`,
  ];
  const problems = status.validationErrors?.length ? status.validationErrors : errors;
  if (problems.length > 0) out.push('', 'Validation errors:', ...problems.map((e) => `  ${e}`));
  out.push(
    '',
    `Paused:  ${String(spec.paused ?? false)}`,
    '',
    `Schedule:   ${spec.schedule}${cron ? ` (time zone ${cron.timeZone})` : ''}`,
    `Next run:   ${next ? `${formatTimestamp(next.toISOString())} (${formatRelative(next.toISOString(), now)})` : '<none>'}`,
    '',
    `Use owner references in backups:  ${String(spec.useOwnerReferencesInBackup ?? false)}`,
    `Skip immediately:                 ${spec.skipImmediately === undefined ? '<server default>' : String(spec.skipImmediately)}`,
    '',
    ...templateLines(schedule),
    '',
    `Last Backup:   ${formatTimestamp(status.lastBackup)}`,
    `Last Skipped:  ${formatTimestamp(status.lastSkipped)}`,
    `Backups:       ${backups.length}`,
  );
  if (retention && cron) {
    out.push('', formatRetentionPlan(planRetention(backups, retention, { timeZone: cron.timeZone })).trimEnd());
  }
  return out.join('\n') + '\n';
}

function templateLines(schedule: Schedule): string[] {
  const t = schedule.spec.template;
  const cluster = t.includeClusterResources;
  return [
    'Backup Template:',
    `  Namespaces:         included ${list(t.includedNamespaces, '*')}; excluded ${list(t.excludedNamespaces)}`,
    `  Resources:          included ${list(t.includedResources ?? t.includedNamespaceScopedResources, '*')}; excluded ${list(t.excludedResources ?? t.excludedNamespaceScopedResources)}`,
    `  Cluster resources:  ${cluster === undefined || cluster === null ? 'auto' : String(cluster)}`,
    `  Label selector:     ${t.orLabelSelectors?.length ? selectorText(null, t.orLabelSelectors) : selectorText(t.labelSelector)}`,
    `  Storage Location:   ${t.storageLocation ?? '<default>'}`,
    `  TTL:                ${t.ttl && t.ttl !== '0s' ? t.ttl : '<server default>'}`,
    `  Labels:             ${t.metadata?.labels ? mapText(t.metadata.labels).replaceAll('\n              ', ', ') : '<schedule labels>'}`,
  ];
}
