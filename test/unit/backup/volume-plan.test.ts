import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VolumePlanner, type VolumeLookup, type VolumeSettings } from '../../../src/backup/volumes/plan.ts';
import type { KubeObject } from '../../../src/kube/object.ts';
import { parseResourcePolicies } from '../../../src/volumes/policy/parse.ts';

const k = (o: Omit<KubeObject, 'apiVersion' | 'kind'>): KubeObject =>
  ({ ...o, apiVersion: 'v1', kind: 'Object' }) as KubeObject;

const claims: Record<string, KubeObject> = {
  data: k({
    metadata: { name: 'data', namespace: 'app', uid: 'pvc-uid-data', labels: { tier: 'db' } },
    spec: { volumeName: 'pv-data', storageClassName: 'node-local' },
    status: { phase: 'Bound' },
  }),
  logs: k({
    metadata: { name: 'logs', namespace: 'app', uid: 'pvc-uid-logs' },
    spec: { volumeName: 'pv-logs', storageClassName: 'standard' },
    status: { phase: 'Bound' },
  }),
  pending: k({
    metadata: { name: 'pending', namespace: 'app', uid: 'pvc-uid-pending' },
    spec: { storageClassName: 'node-local', resources: { requests: { storage: '1Gi' } } },
    status: { phase: 'Pending' },
  }),
};
const volumes: Record<string, KubeObject> = {
  'pv-data': k({
    metadata: { name: 'pv-data' },
    spec: { local: { path: '/mnt/x' }, capacity: { storage: '5Gi' }, storageClassName: 'node-local' },
  }),
  'pv-logs': k({
    metadata: { name: 'pv-logs' },
    spec: { hostPath: { path: '/tmp/x' }, capacity: { storage: '1Gi' }, storageClassName: 'standard' },
  }),
};
const lookup: VolumeLookup = { claim: (_ns, n) => claims[n], volume: (n) => volumes[n] };

function pod(name: string, annotations: Record<string, string> = {}, over: Partial<KubeObject> = {}): KubeObject {
  const vols = [
    { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
    { name: 'logs', persistentVolumeClaim: { claimName: 'logs' } },
    { name: 'scratch', emptyDir: { sizeLimit: '100Mi' } },
    { name: 'cache', emptyDir: {} },
    { name: 'config', configMap: { name: 'c' } },
    { name: 'token', projected: { sources: [] } },
    { name: 'unused', emptyDir: {} },
    { name: 'raw', persistentVolumeClaim: { claimName: 'pending' } },
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'app', uid: `uid-${name}`, annotations },
    spec: {
      nodeName: 'node-1',
      volumes: vols,
      containers: [
        {
          name: 'c',
          volumeMounts: ['data', 'logs', 'scratch', 'cache', 'config', 'token'].map((n) => ({
            name: n,
            mountPath: `/${n}`,
          })),
          volumeDevices: [{ name: 'raw', devicePath: '/dev/raw' }],
        },
      ],
    },
    status: { phase: 'Running' },
    ...over,
  };
}

const base: VolumeSettings = {
  defaultVolumesToFsBackup: false,
  defaultSource: 'spec.defaultVolumesToFsBackup',
  pvcsIncluded: true,
};

function methods(settings: Partial<VolumeSettings>, p: KubeObject): Record<string, string> {
  const plan = new VolumePlanner({ ...base, ...settings }, lookup).planPod(p);
  return Object.fromEntries(plan.volumes.map((v) => [v.volume, v.method]));
}

function fsBacked(settings: Partial<VolumeSettings>, p: KubeObject): string[] {
  return Object.entries(methods(settings, p))
    .filter(([, m]) => m === 'fs-backup')
    .map(([v]) => v);
}

describe('volume decision', () => {
  it('opt-in: exactly the annotated volumes (no trimming), never the kinds FSB skips', () => {
    const p = pod('p', { 'backup.velero.io/backup-volumes': 'data,scratch,config, cache' });
    assert.deepEqual(fsBacked({}, p), ['data', 'scratch']);
    const plan = new VolumePlanner(base, lookup).planPod(p);
    const data = plan.volumes.find((v) => v.volume === 'data');
    assert.equal(data?.rule, 'opt-in: listed in annotation backup.velero.io/backup-volumes');
    assert.deepEqual(data?.pvc, { name: 'data', uid: 'pvc-uid-data' });
    const config = plan.volumes.find((v) => v.volume === 'config');
    assert.match(config?.reason ?? '', /configMap volumes are not backed up/);
    assert.equal(plan.volumes.find((v) => v.volume === 'cache')?.reason, 'not selected for file-system backup');
  });

  it('opt-out: every eligible volume but the excluded ones', () => {
    const p = pod('p', { 'backup.velero.io/backup-volumes-excludes': 'scratch' });
    assert.deepEqual(fsBacked({ defaultVolumesToFsBackup: true }, p), ['data', 'cache']);
    const plan = new VolumePlanner({ ...base, defaultVolumesToFsBackup: true }, lookup).planPod(p);
    const reasons = Object.fromEntries(plan.volumes.map((v) => [v.volume, v.reason ?? v.rule]));
    assert.match(reasons.logs ?? '', /hostPath/);
    assert.match(reasons.unused ?? '', /no container mounts the volume/);
    assert.match(reasons.token ?? '', /projected/);
    assert.match(
      plan.volumes.find((v) => v.volume === 'scratch')?.rule ?? '',
      /opt-out: listed in annotation backup.velero.io\/backup-volumes-excludes/,
    );
  });

  it('a claim not backed up from the file system would be snapshotted: snapshot-unsupported, unless snapshotVolumes is false', () => {
    const p = pod('p');
    assert.equal(methods({}, p).data, 'snapshot-unsupported');
    assert.equal(methods({ snapshotVolumes: false }, p).data, 'skipped');
    // A hostPath PV is snapshotted by nothing; the block volume is a claim Velero would snapshot.
    assert.equal(methods({}, p).logs, 'skipped');
    assert.equal(methods({ defaultVolumesToFsBackup: true }, p).raw, 'skipped');
  });

  it('pods that are not Running are skipped with a reason', () => {
    const p = pod('p', { 'backup.velero.io/backup-volumes': 'data' }, { status: { phase: 'Pending' } });
    const plan = new VolumePlanner(base, lookup).planPod(p);
    const data = plan.volumes.find((v) => v.volume === 'data');
    assert.equal(data?.method, 'skipped');
    assert.equal(data?.reason, 'the pod is not Running (phase Pending)');
  });

  it('a claim shared by two pods is backed up once (RWX de-duplication)', () => {
    const planner = new VolumePlanner({ ...base, defaultVolumesToFsBackup: true }, lookup);
    assert.equal(planner.planPod(pod('a')).volumes.find((v) => v.volume === 'data')?.method, 'fs-backup');
    const second = planner.planPod(pod('b')).volumes.find((v) => v.volume === 'data');
    assert.equal(second?.method, 'skipped');
    assert.equal(second?.reason, 'claim data is already backed up through pod app/a');
    assert.ok(planner.takes('app', 'data'));
  });

  it('PVCs excluded from the backup are not backed up', () => {
    const p = pod('p', { 'backup.velero.io/backup-volumes': 'data,scratch' });
    assert.deepEqual(fsBacked({ pvcsIncluded: false }, p), ['scratch']);
  });

  it('a matching volume policy wins over the annotations; the first match decides', () => {
    const policies = parseResourcePolicies(
      `version: v1
volumePolicies:
- conditions: {pvcLabels: {tier: db}}
  action: {type: skip}
- conditions: {volumeTypes: [emptyDir], capacity: "50Mi,"}
  action: {type: fs-backup}
- conditions: {storageClass: [node-local]}
  action: {type: fs-backup}
`,
      'ConfigMap velero/p',
    );
    const p = pod('p', { 'backup.velero.io/backup-volumes': 'data,cache' });
    const plan = new VolumePlanner({ ...base, policies }, lookup).planPod(p);
    const by = Object.fromEntries(plan.volumes.map((v) => [v.volume, v]));
    assert.equal(by.data?.method, 'skipped');
    assert.equal(by.data?.rule, 'volume policy #1 (line 3 of ConfigMap velero/p): skip');
    assert.equal(by.scratch?.method, 'fs-backup');
    assert.equal(by.scratch?.rule, 'volume policy #2 (line 5 of ConfigMap velero/p): fs-backup');
    // No sizeLimit: the capacity condition does not hold, so the annotation decides.
    assert.equal(by.cache?.method, 'fs-backup');
    assert.match(by.cache?.rule ?? '', /^opt-in/);
    // A policy fs-backup does not override the kinds FSB cannot take (block device).
    assert.equal(by.raw?.method, 'skipped');
    assert.match(by.raw?.reason ?? '', /block volumes/);
  });
});

describe('file-system backup annotations that the backup does not act on', () => {
  const plan = (settings: Partial<VolumeSettings>, p: KubeObject): ReturnType<VolumePlanner['planPod']> =>
    new VolumePlanner({ ...base, ...settings }, lookup).planPod(p);

  it('opt-in: entries naming no volume of the pod are a warning naming the pod, the annotation and each entry; spaces are kept and pointed out', () => {
    const p = pod('p', { 'backup.velero.io/backup-volumes': 'data,dta, cache,scratch' });
    const planned = plan({}, p);
    assert.deepEqual(
      planned.volumes.filter((v) => v.method === 'fs-backup').map((v) => v.volume),
      ['data', 'scratch'],
      'the volumes are decided as before: " cache" is not "cache"',
    );
    assert.equal(planned.warnings.length, 1, planned.warnings.join('\n'));
    const [w] = planned.warnings;
    assert.match(
      w ?? '',
      /^annotation backup\.velero\.io\/backup-volumes of pod app\/p lists "dta", " cache", which name no volume/,
    );
    assert.match(w ?? '', /its volumes: data, logs, scratch, cache, config, token, unused, raw/);
    assert.match(w ?? '', /entries are not trimmed \(as in Velero\): remove the spaces around " cache"$/);
  });

  it('opt-out: entries of backup-volumes-excludes naming no volume are a warning too', () => {
    const p = pod('p', { 'backup.velero.io/backup-volumes-excludes': 'scratch,scrach' });
    const planned = plan({ defaultVolumesToFsBackup: true }, p);
    assert.equal(planned.volumes.find((v) => v.volume === 'scratch')?.method, 'skipped');
    assert.equal(planned.warnings.length, 1, planned.warnings.join('\n'));
    assert.match(
      planned.warnings[0] ?? '',
      /^annotation backup\.velero\.io\/backup-volumes-excludes of pod app\/p lists "scrach", which name no volume .*nothing is excluded/,
    );
    assert.doesNotMatch(planned.warnings[0] ?? '', /trimmed/);
  });

  it('opt-in: backup-volumes-excludes has no effect, and the warning names the mode and the setting that chose it', () => {
    const p = pod('p', { 'backup.velero.io/backup-volumes-excludes': 'scratch' });
    const planned = plan({}, p);
    assert.deepEqual(planned.warnings, [
      'annotation backup.velero.io/backup-volumes-excludes of pod app/p has no effect: the backup is opt-in ' +
        '(defaultVolumesToFsBackup false, set by spec.defaultVolumesToFsBackup): only the volumes annotation ' +
        'backup.velero.io/backup-volumes lists are backed up from the file system',
    ]);
    assert.equal(planned.volumes.find((v) => v.volume === 'scratch')?.method, 'skipped');
  });

  it('opt-out: backup-volumes has no effect, and the warning names the mode and the setting that chose it', () => {
    const p = pod('p', { 'backup.velero.io/backup-volumes': 'data,typo' });
    const planned = plan({ defaultVolumesToFsBackup: true, defaultSource: 'server --default-volumes-to-fs-backup' }, p);
    // Only the mode warning: the entries of an annotation that does not apply are not checked.
    assert.equal(planned.warnings.length, 1, planned.warnings.join('\n'));
    assert.match(
      planned.warnings[0] ?? '',
      /^annotation backup\.velero\.io\/backup-volumes of pod app\/p has no effect: the backup is opt-out \(defaultVolumesToFsBackup true, set by server --default-volumes-to-fs-backup\)/,
    );
    assert.deepEqual(fsBacked({ defaultVolumesToFsBackup: true }, p), ['data', 'scratch', 'cache']);
  });

  it('annotations whose every entry names a volume, or that list nothing, give no warning', () => {
    assert.deepEqual(plan({}, pod('p', { 'backup.velero.io/backup-volumes': 'data,scratch,' })).warnings, []);
    assert.deepEqual(plan({}, pod('p', { 'backup.velero.io/backup-volumes-excludes': '' })).warnings, []);
    assert.deepEqual(plan({}, pod('p')).warnings, []);
    const optOut = pod('p', { 'backup.velero.io/backup-volumes-excludes': 'cache' });
    assert.deepEqual(plan({ defaultVolumesToFsBackup: true }, optOut).warnings, []);
  });
});
