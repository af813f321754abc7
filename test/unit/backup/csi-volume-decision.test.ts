import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VolumePlanner, type VolumeSettings } from '../../../src/backup/volumes/plan.ts';
import type { KubeObject } from '../../../src/kube/object.ts';
import { parseResourcePolicies } from '../../../src/volumes/policy/parse.ts';

const obj = (o: Omit<KubeObject, 'apiVersion' | 'kind'>): KubeObject =>
  ({ ...o, apiVersion: 'v1', kind: 'X' }) as KubeObject;

const claims: Record<string, KubeObject> = {
  csi: obj({
    metadata: { name: 'csi', namespace: 'app', uid: 'u-csi' },
    spec: { volumeName: 'pv-csi', storageClassName: 'skiff-csi' },
    status: { phase: 'Bound' },
  }),
  local: obj({
    metadata: { name: 'local', namespace: 'app', uid: 'u-local' },
    spec: { volumeName: 'pv-local', storageClassName: 'node-local' },
    status: { phase: 'Bound' },
  }),
  pending: obj({
    metadata: { name: 'pending', namespace: 'app', uid: 'u-p' },
    spec: { storageClassName: 'skiff-csi' },
    status: { phase: 'Pending' },
  }),
};
const pvs: Record<string, KubeObject> = {
  'pv-csi': obj({
    metadata: { name: 'pv-csi' },
    spec: { csi: { driver: 'hostpath.csi.skiff.dev', volumeHandle: 'h' }, storageClassName: 'skiff-csi' },
  }),
  'pv-local': obj({ metadata: { name: 'pv-local' }, spec: { local: { path: '/x' }, storageClassName: 'node-local' } }),
};

function pod(annotations: Record<string, string> = {}): KubeObject {
  return obj({
    metadata: { name: 'p', namespace: 'app', uid: 'u-p', annotations },
    spec: {
      nodeName: 'n1',
      volumes: [
        { name: 'csi', persistentVolumeClaim: { claimName: 'csi' } },
        { name: 'local', persistentVolumeClaim: { claimName: 'local' } },
        { name: 'tmp', emptyDir: {} },
      ],
      containers: [{ name: 'c', volumeMounts: [{ name: 'csi' }, { name: 'local' }, { name: 'tmp' }] }],
    },
    status: { phase: 'Running' },
  });
}

const base: VolumeSettings = {
  defaultVolumesToFsBackup: false,
  defaultSource: 'spec.defaultVolumesToFsBackup',
  pvcsIncluded: true,
};

function planner(settings: Partial<VolumeSettings> = {}): VolumePlanner {
  return new VolumePlanner({ ...base, ...settings }, { claim: (_ns, n) => claims[n], volume: (n) => pvs[n] });
}

function methods(settings: Partial<VolumeSettings>, p: KubeObject): Record<string, string> {
  return Object.fromEntries(
    planner(settings)
      .planPod(p)
      .volumes.map((d) => [d.volume, d.method]),
  );
}

const policies = (action: string, conditions = 'csi: {}') =>
  parseResourcePolicies(
    `version: v1\nvolumePolicies:\n- conditions:\n    ${conditions}\n  action:\n    type: ${action}\n`,
    'ConfigMap velero/p',
  );

describe('volume decision with CSI (reference §3.7)', () => {
  it('snapshotVolumes unset: a CSI claim is CSI-snapshotted, a non-CSI one warned about, emptyDir skipped', () => {
    assert.deepEqual(methods({}, pod()), { csi: 'csi-snapshot', local: 'snapshot-unsupported', tmp: 'skipped' });
  });

  it('snapshotVolumes false: nothing is snapshotted', () => {
    assert.deepEqual(methods({ snapshotVolumes: false }, pod()), { csi: 'skipped', local: 'skipped', tmp: 'skipped' });
  });

  it('the opt-in annotation beats snapshotVolumes: the CSI claim goes to file-system backup', () => {
    const got = methods({ snapshotVolumes: true }, pod({ 'backup.velero.io/backup-volumes': 'csi' }));
    assert.equal(got.csi, 'fs-backup');
  });

  it('defaultVolumesToFsBackup takes every volume, unless opted out; the opted-out CSI claim is snapshotted', () => {
    assert.equal(methods({ defaultVolumesToFsBackup: true }, pod()).csi, 'fs-backup');
    const out = methods({ defaultVolumesToFsBackup: true }, pod({ 'backup.velero.io/backup-volumes-excludes': 'csi' }));
    assert.equal(out.csi, 'csi-snapshot');
  });

  it('a policy beats the annotations: snapshot, fs-backup and skip', () => {
    const optIn = pod({ 'backup.velero.io/backup-volumes': 'csi' });
    assert.equal(methods({ policies: policies('snapshot') }, optIn).csi, 'csi-snapshot');
    assert.equal(methods({ policies: policies('fs-backup') }, pod()).csi, 'fs-backup');
    assert.equal(methods({ policies: policies('skip') }, pod()).csi, 'skipped');
    // A snapshot policy on a non-CSI claim: the warning of issue 14 stays.
    const local = methods({ policies: policies('snapshot', 'storageClass: [node-local]') }, pod());
    assert.equal(local.local, 'snapshot-unsupported');
    // A snapshot policy beats snapshotVolumes false (the policy comes first).
    assert.equal(methods({ policies: policies('snapshot'), snapshotVolumes: false }, pod()).csi, 'csi-snapshot');
  });

  it('the rule that chose it is named', () => {
    const d = planner({ policies: policies('snapshot') })
      .planPod(pod())
      .volumes.find((v) => v.volume === 'csi');
    assert.match(d?.rule ?? '', /volume policy #1 \(line 3 of ConfigMap velero\/p\): snapshot/);
    const legacy = planner({})
      .planPod(pod())
      .volumes.find((v) => v.volume === 'csi');
    assert.match(legacy?.rule ?? '', /snapshotVolumes unset \(true\)/);
  });

  it('per claim: file-system backup by any pod mounting it wins; no pod: snapshotVolumes decides', () => {
    const p = planner({});
    assert.equal(
      p.decideClaim('app', 'csi', [pod(), pod({ 'backup.velero.io/backup-volumes': 'csi' })]).method,
      'fs-backup',
    );
    assert.equal(p.decideClaim('app', 'csi', [pod()]).method, 'csi-snapshot');
    const alone = p.decideClaim('app', 'csi', []);
    assert.equal(alone.method, 'csi-snapshot');
    assert.match(alone.rule, /no pod in the backup mounts the claim/);
    assert.equal(planner({ snapshotVolumes: false }).decideClaim('app', 'csi', []).method, 'skipped');
    assert.equal(p.decideClaim('app', 'pending', []).method, 'skipped');
    assert.equal(p.decideClaim('app', 'local', []).method, 'snapshot-unsupported');
    assert.equal(planner({ policies: policies('skip') }).decideClaim('app', 'csi', []).method, 'skipped');
    assert.equal(planner({ pvcsIncluded: false }).decideClaim('app', 'csi', []).method, 'skipped');
  });
});
