/** `skiff schedule get [NAMES...]`: a table (or json/yaml) of schedules (reference §8.2). */
import { Kinds } from '../../api/kinds.ts';
import type { Schedule } from '../../api/schedule.ts';
import { getCommand } from '../get-command.ts';
import { formatRelative, formatTimestamp } from '../output.ts';
import { newestFirst } from '../resources.ts';
import { selectorText } from '../selector-text.ts';

export const SCHEDULE_COLUMNS = [
  'NAME',
  'STATUS',
  'CREATED',
  'SCHEDULE',
  'BACKUP TTL',
  'LAST BACKUP',
  'SELECTOR',
  'PAUSED',
] as const;

export function scheduleRow(s: Schedule, now: Date): string[] {
  const t = s.spec.template;
  return [
    s.metadata.name ?? '',
    s.status?.phase ?? 'New',
    formatTimestamp(s.metadata.creationTimestamp),
    s.spec.schedule,
    t.ttl ?? '0s',
    s.status?.lastBackup ? formatRelative(s.status.lastBackup, now) : 'n/a',
    selectorText(t.labelSelector, t.orLabelSelectors),
    String(s.spec.paused ?? false),
  ];
}

export function scheduleGetCommand() {
  return getCommand<Schedule>({
    kind: Kinds.Schedule,
    plural: 'schedules',
    description: 'Get schedules',
    examples: ['skiff schedule get', 'skiff schedule get nightly -o yaml'],
    order: newestFirst,
    columns: SCHEDULE_COLUMNS,
    row: scheduleRow,
  });
}
