import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { parseBackup } from '../../../src/api/backup.ts';
import { parseBackupStorageLocation } from '../../../src/api/backup-storage-location.ts';
import { InvalidObjectError } from '../../../src/api/parse.ts';
import { parseRestore } from '../../../src/api/restore.ts';
import { parseSchedule } from '../../../src/api/schedule.ts';
import { parseServerStatusRequest } from '../../../src/api/requests.ts';

/** A Backup as Velero itself writes it: nulls from Go pointers, hooks, and a field we do not know. */
const veleroBackup = parse(`
apiVersion: velero.io/v1
kind: Backup
metadata:
  name: nightly-20250101000000
  namespace: velero
  labels:
    velero.io/schedule-name: nightly
    velero.io/storage-location: default
spec:
  includedNamespaces: ["*"]
  excludedNamespaces: null
  labelSelector:
    matchExpressions:
      - { key: app, operator: In, values: [web] }
  snapshotVolumes: null
  ttl: 720h0m0s
  csiSnapshotTimeout: 10m0s
  itemOperationTimeout: 4h0m0s
  storageLocation: default
  defaultVolumesToFsBackup: false
  hooks:
    resources:
      - name: freeze
        includedNamespaces: [db]
        pre:
          - exec: { container: db, command: [/bin/fsfreeze, --freeze, /data], onError: Fail, timeout: 30s }
  metadata: {}
  someFutureField: { kept: true }
status:
  phase: Completed
  version: 1
  formatVersion: 1.1.0
  expiration: "2025-01-31T00:00:00Z"
  startTimestamp: "2025-01-01T00:00:00Z"
  completionTimestamp: "2025-01-01T00:01:00Z"
  progress: { totalItems: 10, itemsBackedUp: 10 }
  hookStatus: {}
`) as unknown;

test('a Backup written by Velero parses, with nulls and unknown fields kept as they were', () => {
  const backup = parseBackup(veleroBackup);
  assert.equal(backup.spec.ttl, '720h0m0s');
  assert.equal(backup.spec.excludedNamespaces, null);
  assert.equal(backup.status?.phase, 'Completed');
  assert.deepEqual((backup.spec as Record<string, unknown>).someFutureField, { kept: true });
  assert.equal(backup, veleroBackup, 'a complete object is returned as is, not copied');
});

test('a wrong field type is reported with the object and the field path', () => {
  const bad = structuredClone(veleroBackup) as { spec: Record<string, unknown> };
  bad.spec.ttl = 720;
  assert.throws(
    () => parseBackup(bad),
    (err: unknown) => {
      assert.ok(err instanceof InvalidObjectError);
      assert.equal(err.kind, 'Backup');
      assert.equal(err.objectName, 'nightly-20250101000000');
      assert.equal(err.objectNamespace, 'velero');
      assert.deepEqual(err.problems, [{ field: 'spec.ttl', message: 'must be string' }]);
      assert.match(err.message, /^Backup velero\/nightly-20250101000000 is invalid: spec\.ttl: must be string/);
      return true;
    },
  );
});

test('an unknown phase names the allowed values', () => {
  const bad = structuredClone(veleroBackup) as { status: Record<string, unknown> };
  bad.status.phase = 'Done';
  assert.throws(() => parseBackup(bad), /status\.phase: must be one of "New", "Queued"/);
});

test('problems inside arrays point at the element', () => {
  const bad = structuredClone(veleroBackup) as { spec: { hooks: { resources: Record<string, unknown>[] } } };
  bad.spec.hooks.resources[0]!.pre = [{ exec: { command: [] } }];
  assert.throws(() => parseBackup(bad), /spec\.hooks\.resources\[0\]\.pre\[0\]\.exec\.command: /);
});

test('a missing required field is named by its full path', () => {
  const bsl = {
    apiVersion: 'velero.io/v1',
    kind: 'BackupStorageLocation',
    metadata: { name: 'default', namespace: 'velero' },
    spec: { provider: 'aws', objectStorage: { prefix: 'x' } },
  };
  assert.throws(() => parseBackupStorageLocation(bsl), /spec\.objectStorage\.bucket: is required/);
});

test('the wrong kind or apiVersion is rejected', () => {
  const restore = { apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r' }, spec: {} };
  assert.throws(() => parseBackup(restore), /kind: must be Backup \(got "Restore"\)/);
  assert.throws(() => parseRestore({ ...restore, apiVersion: 'velero.io/v2' }), /apiVersion: must be velero\.io\/v1/);
  assert.throws(() => parseBackup('backup'), /Backup \(unnamed\) is invalid: \(root\): must be an object/);
});

test('a manifest without spec reads as an empty spec when the kind allows one', () => {
  const ssr = parseServerStatusRequest({
    apiVersion: 'velero.io/v1',
    kind: 'ServerStatusRequest',
    metadata: { generateName: 'velero-cli-' },
  });
  assert.deepEqual(ssr.spec, {});
  assert.throws(
    () => parseSchedule({ apiVersion: 'velero.io/v1', kind: 'Schedule', metadata: { name: 's' } }),
    /Schedule s is invalid: spec: is required/,
  );
});

test('a Schedule template is a Backup spec', () => {
  const schedule = parseSchedule({
    apiVersion: 'velero.io/v1',
    kind: 'Schedule',
    metadata: { name: 'nightly', namespace: 'velero' },
    spec: { schedule: 'CRON_TZ=UTC 0 1 * * *', template: { ttl: '48h', includedNamespaces: ['app'] }, paused: false },
  });
  assert.equal(schedule.spec.template.ttl, '48h');
  assert.throws(
    () => parseSchedule({ ...schedule, spec: { schedule: '@daily', template: { ttl: 5 } } }),
    /spec\.template\.ttl: must be string/,
  );
});

test('restore hooks accept raw init containers with any fields', () => {
  const restore = parseRestore({
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name: 'r', namespace: 'velero' },
    spec: {
      backupName: 'b',
      existingResourcePolicy: 'update',
      hooks: {
        resources: [
          {
            name: 'h',
            postHooks: [
              { init: { initContainers: [{ name: 'c', image: 'busybox', securityContext: { runAsUser: 0 } }] } },
              { exec: { command: ['true'], waitForReady: null } },
            ],
          },
        ],
      },
    },
  });
  assert.equal(restore.spec.hooks?.resources?.[0]?.postHooks?.length, 2);
});
