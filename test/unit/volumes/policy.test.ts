import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resourcePoliciesFromData } from '../../../src/volumes/policy/config-map.ts';
import { matchVolumePolicy } from '../../../src/volumes/policy/match.ts';
import { parseResourcePolicies, ResourcePolicyError } from '../../../src/volumes/policy/parse.ts';
import { parseQuantity } from '../../../src/volumes/policy/quantity.ts';
import type { PolicyVolume } from '../../../src/volumes/policy/types.ts';

const SRC = 'ConfigMap velero/policies';

function problems(text: string): string[] {
  try {
    parseResourcePolicies(text, SRC);
  } catch (err) {
    assert.ok(err instanceof ResourcePolicyError);
    assert.match(err.message, /ConfigMap velero\/policies/);
    return err.problems;
  }
  assert.fail('expected the policies to be refused');
}

function policy(conditions: string, action = 'skip'): string {
  return `version: v1\nvolumePolicies:\n- conditions:\n${conditions
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\n  action:\n    type: ${action}\n`;
}

function matches(conditions: string, volume: PolicyVolume): boolean {
  return matchVolumePolicy(parseResourcePolicies(policy(conditions), SRC), volume) !== undefined;
}

const pvc = (over: Partial<PolicyVolume> = {}): PolicyVolume => ({
  type: 'local',
  capacity: 10 * 2 ** 30,
  storageClass: 'node-local',
  pvcLabels: { app: 'db', tier: 'data' },
  pvcPhase: 'Bound',
  ...over,
});

describe('parseQuantity', () => {
  it('reads binary, decimal and exponent forms', () => {
    assert.equal(parseQuantity('10Gi'), 10 * 2 ** 30);
    assert.equal(parseQuantity('500M'), 5e8);
    assert.equal(parseQuantity('1.5Ki'), 1536);
    assert.equal(parseQuantity('2e3'), 2000);
    assert.equal(parseQuantity('1024'), 1024);
    assert.equal(parseQuantity('100m'), 0.1);
    assert.equal(parseQuantity('10 GB'), undefined);
    assert.equal(parseQuantity('Gi'), undefined);
  });
});

describe('resource policies: parsing', () => {
  it('reads every condition and both actions', () => {
    const text = `version: v1
volumePolicies:
- conditions:
    capacity: "1Gi,100Gi"
    storageClass: [gp2, node-local]
    nfs: {}
    csi: {driver: ebs.csi.aws.com, volumeAttributes: {type: gp3}}
    volumeTypes: [emptyDir, configmap]
    pvcLabels: {app: db}
    pvcPhase: [Bound, Pending]
  action:
    type: fs-backup
- conditions:
    nfs: {server: 10.0.0.1, path: /export}
  action: {type: skip}
`;
    const p = parseResourcePolicies(text, SRC);
    assert.equal(p.volumePolicies.length, 2);
    const [first, second] = p.volumePolicies;
    assert.deepEqual(first?.conditions, {
      capacity: { min: 2 ** 30, max: 100 * 2 ** 30, text: '1Gi,100Gi' },
      storageClass: ['gp2', 'node-local'],
      nfs: {},
      csi: { driver: 'ebs.csi.aws.com', volumeAttributes: { type: 'gp3' } },
      volumeTypes: ['emptydir', 'configmap'],
      pvcLabels: { app: 'db' },
      pvcPhase: ['Bound', 'Pending'],
    });
    assert.equal(first?.action, 'fs-backup');
    assert.equal(first?.line, 3);
    assert.deepEqual(second?.conditions, { nfs: { server: '10.0.0.1', path: '/export' } });
    assert.equal(second?.line, 13);
  });

  it('accepts the snapshot action (CSI snapshots)', () => {
    const parsed = parseResourcePolicies(policy('storageClass: [gp2]', 'snapshot'), SRC);
    assert.equal(parsed.volumePolicies[0]?.action, 'snapshot');
  });

  it('refuses an unknown action, key, version and volume type, each with its line', () => {
    assert.match(problems(policy('storageClass: [gp2]', 'custom'))[0] ?? '', /^line 6: .*unknown action "custom"/);
    assert.match(problems(policy('storageClas: [gp2]'))[0] ?? '', /^line 4: .*unknown key "storageClas"/);
    assert.match(
      problems(policy('volumeTypes: [emptyDir, floppy]'))[0] ?? '',
      /^line 4: .*unknown volume type "floppy"/,
    );
    assert.match(problems('version: v2\nvolumePolicies: []\n')[0] ?? '', /^line 1: version: unsupported version "v2"/);
    assert.match(problems('volumePolicies: []\n')[0] ?? '', /version: required/);
    assert.match(
      problems('version: v1\nincludeExcludePolicy: {}\n')[0] ?? '',
      /^line 2: .*unknown key "includeExcludePolicy"/,
    );
  });

  it('refuses bad capacities and phases', () => {
    assert.match(problems(policy('capacity: "10Gi"'))[0] ?? '', /^line 4: .*is not "min,max"/);
    assert.match(problems(policy('capacity: "ten,"'))[0] ?? '', /"ten" is not a Kubernetes quantity/);
    assert.match(problems(policy('capacity: "10Gi,1Gi"'))[0] ?? '', /minimum 10Gi is larger than the maximum 1Gi/);
    assert.match(problems(policy('pvcPhase: [Bound, Gone]'))[0] ?? '', /unknown phase "Gone"/);
  });

  it('reports invalid YAML with its line', () => {
    const got = problems('version: v1\nvolumePolicies:\n  - conditions: {a: [1, 2}\n');
    assert.match(got[0] ?? '', /^line 3: invalid YAML/);
  });

  it('lists every problem at once', () => {
    const text = `version: v1
volumePolicies:
- conditions: {storageClass: gp2}
  action: {type: snapshots}
- conditions: {}
`;
    const got = problems(text);
    assert.equal(got.length, 3, got.join('\n'));
    assert.ok(got.some((p) => p.startsWith('line 3:') && p.includes('storageClass: must be a list')));
    assert.ok(got.some((p) => p.startsWith('line 4:') && p.includes('unknown action "snapshots"')));
    assert.ok(got.some((p) => p.startsWith('line 5:') && p.includes('volumePolicies[1].action: required')));
  });

  it('needs exactly one data key in the ConfigMap', () => {
    assert.throws(
      () => resourcePoliciesFromData({}, SRC),
      /ConfigMap velero\/policies: .*exactly one data key, found none/,
    );
    assert.throws(() => resourcePoliciesFromData({ a: '', b: '' }, SRC), /found "a", "b"/);
    assert.equal(resourcePoliciesFromData({ p: 'version: v1\n' }, SRC).volumePolicies.length, 0);
  });
});

describe('resource policies: matching', () => {
  it('capacity: inclusive bounds, either side open, unknown capacity never matches', () => {
    assert.ok(matches('capacity: "10Gi,10Gi"', pvc()));
    assert.ok(matches('capacity: ",20Gi"', pvc()));
    assert.ok(matches('capacity: "5Gi,"', pvc()));
    assert.ok(!matches('capacity: "11Gi,"', pvc()));
    assert.ok(!matches('capacity: ",9Gi"', pvc()));
    assert.ok(!matches('capacity: "0,"', { type: 'emptyDir' }));
  });

  it('storageClass', () => {
    assert.ok(matches('storageClass: [gp2, node-local]', pvc()));
    assert.ok(!matches('storageClass: [gp2]', pvc()));
    assert.ok(!matches('storageClass: [gp2]', { type: 'emptyDir' }));
  });

  it('nfs: {} matches any NFS volume, server and path narrow it', () => {
    const nfs: PolicyVolume = { type: 'nfs', nfs: { server: '10.0.0.1', path: '/export/' } };
    assert.ok(matches('nfs: {}', nfs));
    assert.ok(matches('nfs: {server: 10.0.0.1, path: /export}', nfs));
    assert.ok(!matches('nfs: {server: 10.0.0.2}', nfs));
    assert.ok(!matches('nfs: {}', pvc()));
  });

  it('csi: {} matches any CSI volume, driver and attributes narrow it', () => {
    const csi: PolicyVolume = { type: 'csi', csi: { driver: 'd.example', volumeAttributes: { a: '1', b: '2' } } };
    assert.ok(matches('csi: {}', csi));
    assert.ok(matches('csi: {driver: d.example}', csi));
    assert.ok(matches('csi: {driver: d.example, volumeAttributes: {a: "1"}}', csi));
    assert.ok(!matches('csi: {driver: d.example, volumeAttributes: {a: "2"}}', csi));
    assert.ok(!matches('csi: {driver: other}', csi));
    assert.ok(!matches('csi: {}', pvc()));
  });

  it('volumeTypes, case-insensitively', () => {
    assert.ok(matches('volumeTypes: [emptyDir]', { type: 'emptyDir' }));
    assert.ok(matches('volumeTypes: [configmap]', { type: 'configMap' }));
    assert.ok(matches('volumeTypes: [local, nfs]', pvc()));
    assert.ok(!matches('volumeTypes: [emptyDir]', pvc()));
  });

  it('pvcLabels: a subset of the claim labels; pvcPhase: one of the phases', () => {
    assert.ok(matches('pvcLabels: {app: db}', pvc()));
    assert.ok(!matches('pvcLabels: {app: web}', pvc()));
    assert.ok(!matches('pvcLabels: {app: db}', { type: 'emptyDir' }));
    assert.ok(matches('pvcPhase: [Bound]', pvc()));
    assert.ok(!matches('pvcPhase: [Pending]', pvc()));
  });

  it('all conditions must hold, and the first matching policy wins', () => {
    assert.ok(!matches('storageClass: [node-local]\npvcLabels: {app: web}', pvc()));
    const p = parseResourcePolicies(
      `version: v1
volumePolicies:
- conditions: {storageClass: [gp2]}
  action: {type: skip}
- conditions: {pvcLabels: {app: db}}
  action: {type: fs-backup}
- conditions: {}
  action: {type: skip}
`,
      SRC,
    );
    assert.equal(matchVolumePolicy(p, pvc())?.index, 1);
    assert.equal(matchVolumePolicy(p, { type: 'emptyDir' })?.index, 2);
    assert.equal(matchVolumePolicy(undefined, pvc()), undefined);
  });
});
