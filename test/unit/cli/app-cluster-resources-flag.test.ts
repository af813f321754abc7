import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backupFromSchedule, buildBackupRequest } from '../../../src/cli/backup/create-options.ts';
import { formatDryRun } from '../../../src/cli/backup/dry-run-report.ts';
import { buildSchedule } from '../../../src/cli/schedule/create-options.ts';
import { backupForSchedule, validateSchedule } from '../../../src/schedule/decide.ts';

const KEY = 'skiff.io/include-app-cluster-resources';

describe('--include-app-cluster-resources (issue 13)', () => {
  test('backup create: the flag is the annotation, no field of the velero.io kind', () => {
    const { request, problems } = buildBackupRequest({ includeNamespaces: ['web'], includeAppClusterResources: true });
    assert.deepEqual(problems, []);
    assert.deepEqual(request.annotations, { [KEY]: 'true' });
    assert.deepEqual(request.spec, { includedNamespaces: ['web'] });
  });

  test('a value given by hand through --annotations must be true or false', () => {
    const { problems } = buildBackupRequest({ annotations: [`${KEY}=yes`] });
    assert.equal(problems.length, 1);
    assert.match(
      problems[0] ?? '',
      /skiff\.io\/include-app-cluster-resources: "yes" is not valid: use "true" or "false"/,
    );
    assert.deepEqual(buildBackupRequest({ annotations: [`${KEY}=false`] }).problems, []);
  });

  test('schedule create: the schedule carries it, and so does every backup it makes', () => {
    const { schedule, problems } = buildSchedule('nightly', 'velero', {
      schedule: '@daily',
      includeNamespaces: ['monitoring'],
      includeAppClusterResources: true,
    });
    assert.deepEqual(problems, []);
    assert.equal(schedule.metadata.annotations?.[KEY], 'true');
    const made = backupForSchedule({ ...schedule, metadata: { ...schedule.metadata, uid: 'u' } }, new Date(0));
    assert.equal(made.metadata.annotations?.[KEY], 'true');
    // backup create --from-schedule takes it too.
    const fromSchedule = backupFromSchedule(schedule, {});
    assert.equal(fromSchedule.request.annotations[KEY], 'true');
  });

  test('a schedule with a bad value is FailedValidation naming the annotation, not a failed backup per run', () => {
    const { schedule } = buildSchedule('nightly', 'velero', { schedule: '@daily', includeNamespaces: ['web'] });
    schedule.metadata.annotations = { [KEY]: 'on' };
    const { errors } = validateSchedule(schedule);
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /skiff\.io\/include-app-cluster-resources: "on" is not valid/);
  });

  test('the dry run text: the left-out list, and --explain naming the rule of a taken object', () => {
    const text = formatDryRun(
      'preview',
      {
        included: new Map(),
        totalIncluded: 0,
        totalExcluded: 0,
        warnings: [],
        errors: [],
        appLeftOut: [{ ref: 'apiservices.apiregistration.k8s.io/v1.m.io', rule: 'apiservice-backend', reason: 'r1' }],
        explained: [
          {
            ref: 'priorityclasses.scheduling.k8s.io/high',
            included: true,
            origin: 'additional',
            rule: 'priority-class',
            reason: 'r2',
          },
        ],
      },
      new Map(),
    );
    assert.match(
      text,
      /Left out, but the application uses them \(take them with --include-app-cluster-resources\):\n {2}- apiservices\.apiregistration\.k8s\.io\/v1\.m\.io: r1 \(rule apiservice-backend\)/,
    );
    assert.match(
      text,
      /priorityclasses\.scheduling\.k8s\.io\/high: included, as the application uses it: r2 \(rule priority-class\)/,
    );
  });
});
