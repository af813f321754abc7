import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Schedule } from '../../../src/api/index.ts';
import { backupFromSchedule, buildBackupRequest } from '../../../src/cli/backup/create-options.ts';

describe('backup create flags → BackupSpec', () => {
  test('with no flags the backup covers every namespace and leaves the rest to the server', () => {
    const { request, problems } = buildBackupRequest({});
    assert.deepEqual(problems, []);
    assert.deepEqual(request.spec, { includedNamespaces: ['*'] });
    assert.deepEqual(request.labels, {});
  });

  test('namespace and resource lists accept commas and repetition', () => {
    const { request } = buildBackupRequest({
      includeNamespaces: ['web,db', 'cache'],
      excludeNamespaces: ['kube-*'],
      includeResources: ['pods, deployments.apps'],
      excludeResources: ['secrets'],
    });
    assert.deepEqual(request.spec.includedNamespaces, ['web', 'db', 'cache']);
    assert.deepEqual(request.spec.excludedNamespaces, ['kube-*']);
    assert.deepEqual(request.spec.includedResources, ['pods', 'deployments.apps']);
    assert.deepEqual(request.spec.excludedResources, ['secrets']);
  });

  test('--selector becomes matchLabels and matchExpressions as apimachinery converts them', () => {
    const { request, problems } = buildBackupRequest({ selector: 'app=web,tier in (db,cache),!legacy,env!=dev' });
    assert.deepEqual(problems, []);
    assert.deepEqual(request.spec.labelSelector, {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'NotIn', values: ['dev'] },
        { key: 'legacy', operator: 'DoesNotExist' },
        { key: 'tier', operator: 'In', values: ['cache', 'db'] },
      ],
    });
  });

  test("--or-selector splits on ' or ' into orLabelSelectors", () => {
    const { request, problems } = buildBackupRequest({ orSelector: 'app=a or app=b,tier=x' });
    assert.deepEqual(problems, []);
    assert.deepEqual(request.spec.orLabelSelectors, [
      { matchLabels: { app: 'a' } },
      { matchLabels: { app: 'b', tier: 'x' } },
    ]);
    assert.equal(request.spec.labelSelector, undefined);
  });

  test('--selector and --or-selector together are refused', () => {
    const { problems } = buildBackupRequest({ selector: 'a=b', orSelector: 'c=d or e=f' });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /either --selector or --or-selector/);
  });

  test('a malformed selector is reported with the flag and an example', () => {
    const { problems } = buildBackupRequest({ selector: 'app in (web' });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^--selector: invalid label selector "app in \(web"/);
    assert.match(problems[0]!, /example/);
  });

  test('--ordered-resources keeps each resource list as the comma-separated string Velero stores', () => {
    const { request, problems } = buildBackupRequest({
      orderedResources: 'pods=ns1/pod1,ns1/pod2;persistentvolumes=pv4,pv8',
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(request.spec.orderedResources, { pods: 'ns1/pod1,ns1/pod2', persistentvolumes: 'pv4,pv8' });
  });

  test('--ordered-resources without names is refused', () => {
    const { problems } = buildBackupRequest({ orderedResources: 'pods=;pvs' });
    assert.match(problems[0] ?? '', /--ordered-resources: "pods=" is not resource=name/);
  });

  test('--labels go on the Backup, validated as Kubernetes labels', () => {
    assert.deepEqual(buildBackupRequest({ labels: ['team=web,tier=gold'] }).request.labels, {
      team: 'web',
      tier: 'gold',
    });
    const { problems } = buildBackupRequest({ labels: ['team', 'x=has space'] });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /--labels: "team" is not key=value/);
  });

  test('optional bools keep three states: unset, true (bare flag or =true) and false', () => {
    assert.equal(buildBackupRequest({}).request.spec.includeClusterResources, undefined);
    assert.equal(buildBackupRequest({ includeClusterResources: true }).request.spec.includeClusterResources, true);
    assert.equal(buildBackupRequest({ includeClusterResources: 'false' }).request.spec.includeClusterResources, false);
    assert.equal(buildBackupRequest({ snapshotVolumes: 'true' }).request.spec.snapshotVolumes, true);
    const { problems } = buildBackupRequest({ includeClusterResources: 'mybackup' });
    assert.match(problems[0] ?? '', /--include-cluster-resources: "mybackup" is not a boolean/);
  });

  test('--ttl is stored as a Go duration; 0 leaves the server default; nonsense is refused', () => {
    assert.equal(buildBackupRequest({ ttl: '72h' }).request.spec.ttl, '72h0m0s');
    assert.equal(buildBackupRequest({ ttl: '1h30m' }).request.spec.ttl, '1h30m0s');
    assert.equal(buildBackupRequest({ ttl: '0' }).request.spec.ttl, undefined);
    assert.match(buildBackupRequest({ ttl: '3 days' }).problems[0] ?? '', /--ttl: invalid duration "3 days"/);
  });

  test('every bad flag is reported at once', () => {
    const { problems } = buildBackupRequest({ ttl: 'x', selector: '=', labels: ['k'], snapshotVolumes: 'maybe' });
    assert.equal(problems.length, 4);
  });

  test("selection rules the server would refuse are caught before sending (Velero's validation messages)", () => {
    const { problems } = buildBackupRequest({ includeResources: ['pods'], excludeResources: ['pods'] });
    assert.deepEqual(problems, [
      'Invalid included/excluded resource lists: excludes list cannot contain an item in the includes list: pods',
    ]);
    const mixed = buildBackupRequest({ includeResources: ['pods'], includeClusterScopedResources: ['*'] });
    assert.match(mixed.problems[0] ?? '', /cannot be used together/);
  });

  test('--explain without --dry-run is refused', () => {
    assert.match(
      buildBackupRequest({ explain: ['pods/a/b'] }).problems[0] ?? '',
      /--explain only works with --dry-run/,
    );
    assert.deepEqual(buildBackupRequest({ explain: ['pods/a/b'], dryRun: true }).problems, []);
  });

  test('storage location, timeouts, resource policy and uploader settings are copied', () => {
    const { request, problems } = buildBackupRequest({
      storageLocation: 'minio',
      csiSnapshotTimeout: '5m',
      itemOperationTimeout: '1h',
      resourcePoliciesConfigmap: 'policies',
      parallelFilesUpload: '4',
      volumeSnapshotLocations: ['a,b'],
    });
    assert.deepEqual(problems, []);
    assert.equal(request.spec.storageLocation, 'minio');
    assert.equal(request.spec.csiSnapshotTimeout, '5m0s');
    assert.equal(request.spec.itemOperationTimeout, '1h0m0s');
    assert.deepEqual(request.spec.resourcePolicy, { kind: 'configmap', name: 'policies' });
    assert.deepEqual(request.spec.uploaderConfig, { parallelFilesUpload: 4 });
    assert.deepEqual(request.spec.volumeSnapshotLocations, ['a', 'b']);
  });
});

describe('backup create --from-schedule', () => {
  const schedule: Schedule = {
    apiVersion: 'velero.io/v1',
    kind: 'Schedule',
    metadata: { name: 'nightly', namespace: 'velero' },
    spec: {
      schedule: '@daily',
      template: { includedNamespaces: ['web'], ttl: '24h0m0s', metadata: { labels: { team: 'web' } } },
    },
  };

  test("copies the template as the spec, and its labels plus the schedule's name onto the Backup", () => {
    const { request, problems } = buildFromSchedule();
    assert.deepEqual(problems, []);
    assert.deepEqual(request.spec, { includedNamespaces: ['web'], ttl: '24h0m0s' });
    assert.deepEqual(request.labels, { team: 'web', 'velero.io/schedule-name': 'nightly' });
  });

  test('refuses the spec flags it would not apply, naming each (Velero ignores them silently)', () => {
    const { problems } = backupFromSchedule(schedule, { includeNamespaces: ['other'], selector: 'a=b' });
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /--include-namespaces, --selector would not apply/);
    const honoured = backupFromSchedule(schedule, { storageLocation: 'other', labels: ['a=b'], wait: true });
    assert.deepEqual(honoured.problems, []);
    assert.equal(honoured.request.spec.storageLocation, 'other');
  });

  function buildFromSchedule(): ReturnType<typeof backupFromSchedule> {
    return backupFromSchedule(schedule, {});
  }
});
