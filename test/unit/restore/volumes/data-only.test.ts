import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildRestoreRequest } from '../../../../src/cli/restore/create-options.ts';
import { describeRestore } from '../../../../src/cli/restore/describe-format.ts';
import type { KubeObject } from '../../../../src/kube/object.ts';
import { formatRestorePlan } from '../../../../src/restore/plan/format-plan.ts';
import { dataOnlyProblems, formatDataOnlyPlan, planDataOnly } from '../../../../src/restore/volumes/data-only.ts';
import { indexPodVolumeBackups } from '../../../../src/restore/volumes/pod-volumes.ts';
import { item, obj, planFor } from '../../../helpers/restore-fixtures.ts';

function pvb(ns: string, pod: string, volume: string): unknown {
  return {
    spec: { pod: { namespace: ns, name: pod }, volume, uploaderType: 'kopia', backupStorageLocation: 'default' },
    status: { phase: 'Completed', snapshotID: `snap-${pod}-${volume}` },
  };
}

const index = indexPodVolumeBackups([
  pvb('app', 'db', 'data'),
  pvb('app', 'db', 'old'),
  pvb('app', 'gone', 'data'),
  pvb('ops', 'x', 'data'),
]);
const livePod = (name: string, ns: string): KubeObject =>
  obj('v1', 'Pod', name, ns, { spec: { volumes: [{ name: 'data', emptyDir: {} }] } });

describe('data-only restore', () => {
  test('matches existing pods by mapped namespace and name; a missing pod or volume is a warning naming it', async () => {
    const asked: string[] = [];
    const plan = await planDataOnly(
      { includedNamespaces: ['app'], namespaceMapping: { app: 'app2' } },
      index,
      (ns, name) => {
        asked.push(`${ns}/${name}`);
        return Promise.resolve(name === 'db' ? livePod(name, ns) : undefined);
      },
    );
    assert.deepEqual(asked, ['app2/db', 'app2/gone']);
    assert.deepEqual(
      plan.pods.map((p) => [
        p.pod.metadata.namespace,
        p.pod.metadata.name,
        p.sourceNamespace,
        p.volumes.map((v) => v.volume),
      ]),
      [['app2', 'db', 'app', ['data']]],
    );
    assert.deepEqual(plan.warnings, [
      'pod app2/db no longer has volume(s) old (or they are projected/downwardAPI): their data is not restored',
      'pod app2/gone no longer exists: the data of its volume(s) data is not restored',
    ]);
    assert.match(
      formatDataOnlyPlan('r', 'b', plan),
      /pod app2\/db \(from namespace app\)\n {4}volume data: snapshot snap-db-data \(kopia\)/,
    );
  });

  test('spec fields a data-only restore cannot honour are refused by name; a bad annotation value too', () => {
    const on = { 'skiff.io/data-only': 'true' };
    assert.deepEqual(
      dataOnlyProblems(on, { backupName: 'b', includedNamespaces: ['a'], namespaceMapping: { a: 'b' } }),
      [],
    );
    assert.deepEqual(dataOnlyProblems(undefined, { existingResourcePolicy: 'update' }), []);
    assert.deepEqual(
      dataOnlyProblems(on, { labelSelector: { matchLabels: { a: 'b' } }, restorePVs: false }).map(
        (p) => p.split(':')[0],
      ),
      [
        'spec.labelSelector cannot be used with a data-only restore',
        'spec.restorePVs is false, but a data-only restore restores nothing but volume data (annotation skiff.io/data-only)',
      ],
    );
    assert.deepEqual(dataOnlyProblems({ 'skiff.io/data-only': 'yes' }, {}), [
      'annotation skiff.io/data-only must be "true" or "false", not "yes"',
    ]);
  });

  test('--data-only, --write-sparse-files and --parallel-files-download build the Restore; bad combinations are refused', () => {
    const built = buildRestoreRequest({
      fromBackup: 'db-daily',
      dataOnly: true,
      writeSparseFiles: true,
      parallelFilesDownload: '4',
    });
    assert.deepEqual(built.problems, []);
    assert.deepEqual(built.request.annotations, { 'skiff.io/data-only': 'true' });
    assert.deepEqual(built.request.spec.uploaderConfig, { writeSparseFiles: true, parallelFilesDownload: 4 });
    const refused = buildRestoreRequest({ fromBackup: 'db-daily', dataOnly: true, includeResources: ['pods'] });
    assert.match(
      refused.problems.join('\n'),
      /--data-only: spec\.includedResources cannot be used with a data-only restore/,
    );
    assert.match(
      buildRestoreRequest({ fromBackup: 'b', parallelFilesDownload: 'many' }).problems.join('\n'),
      /--parallel-files-download: "many" is not a non-negative integer/,
    );
  });

  test('the restore dry run lists, under each pod it creates, the volumes whose data comes back', async () => {
    const pod = obj('v1', 'Pod', 'db', 'app', {
      spec: { containers: [{ name: 'db', image: 'pg' }], volumes: [{ name: 'data', emptyDir: {} }] },
    });
    const plan = await planFor({
      items: [item('pods', pod)],
      input: { podVolumeBackups: [pvb('app', 'db', 'data')], restoreUID: 'u' },
    });
    assert.match(
      formatRestorePlan(plan),
      /create +Pod app\/db\n +restores volume data: snapshot snap-db-data \(kopia\)/,
    );
  });
});

describe('restore describe: pod volume restores', () => {
  const pvr = (pod: string, volume: string, phase: string, message?: string): KubeObject => ({
    apiVersion: 'velero.io/v1',
    kind: 'PodVolumeRestore',
    metadata: { name: `${pod}-${volume}` },
    spec: { uploaderType: 'kopia', volume, pod: { namespace: 'app', name: pod } },
    status: { phase, ...(message ? { message } : {}) },
  });
  const pvrs = [
    pvr('db', 'data', 'Completed'),
    pvr('db', 'scratch', 'Failed', 'disk full'),
    pvr('web', 'cache', 'Completed'),
  ];

  test('counts per phase, and with --details each pod volume and the failure message', () => {
    const restore = {
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: { name: 'r' },
      spec: { uploaderConfig: { writeSparseFiles: true } },
    } as const;
    const brief = describeRestore(restore, undefined, pvrs);
    assert.match(brief, /Uploader config:\n {2}Write Sparse Files: +true\n/);
    assert.match(
      brief,
      /kopia Restores \(specify --details for more information\):\n {2}Failed: +1\n {2}Completed: +2\n$/,
    );
    const detailed = describeRestore(restore, { resourceList: {}, results: 'n/a' }, pvrs);
    assert.match(
      detailed,
      /kopia Restores:\n {2}Failed:\n {4}app\/db: scratch \(disk full\)\n {2}Completed:\n {4}app\/db: data\n {4}app\/web: cache\n/,
    );
  });
});
