/**
 * `skiff schedule create` flags → the Schedule to create. Pure: every flag is parsed and
 * every problem collected before anything touches the cluster (reference §8.2). The
 * template is built by the same code as `skiff backup create`'s spec.
 */
import type { Schedule } from '../../api/schedule.ts';
import { parseCronSchedule } from '../../schedule/cron.ts';
import { formatRules, parseRetention, RETAIN_ANNOTATION } from '../../schedule/retention.ts';
import { errorMessage } from '../../util/errors.ts';
import { buildBackupRequest, type BackupCreateFlags } from '../backup/create-options.ts';
import { parseOptionalBool, ProblemCollector } from '../flags.ts';

export interface ScheduleCreateFlags extends BackupCreateFlags {
  schedule?: string | undefined;
  retain?: string | undefined;
  paused?: boolean | undefined;
  skipImmediately?: string | boolean | undefined;
  useOwnerReferencesInBackup?: boolean | undefined;
}

export interface BuiltSchedule {
  schedule: Schedule;
  /** Every problem found; empty means the schedule may be sent. */
  problems: string[];
}

export function buildSchedule(name: string, namespace: string, flags: ScheduleCreateFlags): BuiltSchedule {
  const p = new ProblemCollector();
  if (name === '') p.add('a schedule name is required: skiff schedule create NAME --schedule CRON');
  const built = buildBackupRequest(flags);
  for (const problem of built.problems) p.add(problem);
  const expression = flags.schedule ?? '';
  if (expression === '') {
    p.add('--schedule is required, e.g. --schedule "0 1 * * *" or --schedule "@every 6h"');
  } else {
    try {
      parseCronSchedule(expression);
    } catch (err) {
      p.add(`--schedule: ${errorMessage(err)}`);
    }
  }
  const annotations = { ...built.request.annotations };
  if (flags.retain !== undefined) {
    try {
      annotations[RETAIN_ANNOTATION] = formatRules(parseRetention(flags.retain));
    } catch (err) {
      p.add(`--retain: ${errorMessage(err)}`);
    }
  }
  const skipImmediately = p.attempt(() => parseOptionalBool(flags.skipImmediately, '--skip-immediately'));
  const labels = built.request.labels;
  const hasLabels = Object.keys(labels).length > 0;
  const schedule: Schedule = {
    apiVersion: 'velero.io/v1',
    kind: 'Schedule',
    metadata: {
      name,
      namespace,
      ...(hasLabels ? { labels } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: {
      schedule: expression,
      // As Velero's CLI does: --labels label the schedule and, through the template, its backups.
      template: { ...built.request.spec, ...(hasLabels ? { metadata: { labels: { ...labels } } } : {}) },
      ...(flags.useOwnerReferencesInBackup ? { useOwnerReferencesInBackup: true } : {}),
      ...(flags.paused ? { paused: true } : {}),
      ...(skipImmediately !== undefined ? { skipImmediately } : {}),
    },
  };
  return { schedule, problems: p.problems };
}
