import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planDocument } from '../../../src/cli/restore/create.ts';
import type { KubeObject } from '../../../src/kube/object.ts';
import { prepareItem } from '../../../src/restore/actions/prepare-item.ts';
import { defaultRestoreActions } from '../../../src/restore/actions/registry.ts';
import { isTopologyKey, rewriteTopology, topologyMapProblems } from '../../../src/restore/actions/topology-actions.ts';
import type { RestoreActionEnv } from '../../../src/restore/actions/types.ts';
import { formatRestorePlan } from '../../../src/restore/plan/format-plan.ts';
import { item, obj, opFor, planFor } from '../../helpers/restore-fixtures.ts';

const ZONE = 'topology.kubernetes.io/zone';
const REGION = 'topology.kubernetes.io/region';
const MAP = { 'us-east-1a': 'eu-west-1b', 'us-east-1b': 'eu-west-1c', 'us-east-1': 'eu-west-1' };

const env: RestoreActionEnv = {
  restoreName: 'r1',
  backupName: 'b1',
  namespaceMapping: {},
  preserveNodePorts: false,
  restorePVs: true,
  pvDecisions: {},
  pluginConfigs: { 'skiff.io/change-topology': MAP },
  serviceAccounts: {},
};

function prepare(groupResource: string, o: KubeObject, e: Partial<RestoreActionEnv> = {}) {
  return prepareItem({
    object: o,
    groupResource,
    sourceNamespace: o.metadata.namespace,
    targetNamespace: o.metadata.namespace,
    env: { ...env, ...e },
    actions: defaultRestoreActions(),
  });
}

const podSpec = () => ({
  nodeSelector: { [ZONE]: 'us-east-1a', disktype: 'us-east-1a' },
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: REGION, operator: 'In', values: ['us-east-1'] }] },
          {
            matchExpressions: [
              { key: 'failure-domain.beta.kubernetes.io/zone', operator: 'In', values: ['us-east-1b', 'x'] },
            ],
            matchFields: [{ key: 'metadata.name', operator: 'In', values: ['us-east-1a'] }],
          },
        ],
      },
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 5, preference: { matchExpressions: [{ key: ZONE, operator: 'NotIn', values: ['us-east-1b'] }] } },
      ],
    },
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { topologyKey: ZONE, labelSelector: { matchLabels: { [ZONE]: 'us-east-1a' } } },
      ],
    },
  },
  topologySpreadConstraints: [
    { maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'w' } } },
  ],
  containers: [{ name: 'c', image: 'i' }],
});

describe('topology keys', () => {
  test('well-known, legacy and CSI zone/region keys count; others do not', () => {
    for (const k of [
      ZONE,
      REGION,
      'failure-domain.beta.kubernetes.io/zone',
      'failure-domain.beta.kubernetes.io/region',
      'topology.ebs.csi.aws.com/zone',
    ]) {
      assert.equal(isTopologyKey(k), true, k);
    }
    for (const k of ['kubernetes.io/hostname', 'disktype', 'example.com/zones', 'zone-a']) {
      assert.equal(isTopologyKey(k), false, k);
    }
  });
});

describe('skiff.io/change-topology', () => {
  test('a Deployment template: nodeSelector and node affinity values change; keys, pod affinity and spread constraints stay', () => {
    const d = obj('apps/v1', 'Deployment', 'web', 'app', { spec: { template: { spec: podSpec() } } });
    const out = prepare('deployments.apps', d);
    const s = (out.object.spec as { template: { spec: ReturnType<typeof podSpec> } }).template.spec;
    assert.deepEqual(s.nodeSelector, { [ZONE]: 'eu-west-1b', disktype: 'us-east-1a' });
    const terms = s.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    assert.deepEqual(terms[0]?.matchExpressions[0]?.values, ['eu-west-1']);
    assert.deepEqual(terms[1]?.matchExpressions[0]?.values, ['eu-west-1c', 'x']);
    assert.deepEqual(terms[1]?.matchFields?.[0]?.values, ['us-east-1a']);
    assert.deepEqual(
      s.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]?.preference.matchExpressions[0]
        ?.values,
      ['eu-west-1c'],
    );
    assert.deepEqual(s.affinity.podAntiAffinity, podSpec().affinity.podAntiAffinity);
    assert.deepEqual(s.topologySpreadConstraints, podSpec().topologySpreadConstraints);
    assert.deepEqual(
      out.rewrites.map((r) => `${r.path} ${r.from}>${r.to}`),
      [
        '/spec/template/spec/nodeSelector/topology.kubernetes.io~1zone us-east-1a>eu-west-1b',
        '/spec/template/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/0/matchExpressions/0/values/0 us-east-1>eu-west-1',
        '/spec/template/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/1/matchExpressions/0/values/0 us-east-1b>eu-west-1c',
        '/spec/template/spec/affinity/nodeAffinity/preferredDuringSchedulingIgnoredDuringExecution/0/preference/matchExpressions/0/values/0 us-east-1b>eu-west-1c',
      ],
    );
    assert.ok(out.rewrites.every((r) => r.action === 'skiff.io/change-topology'));
  });

  test('every workload kind has its pod template rewritten; a CronJob through its job template', () => {
    const tmpl = { template: { spec: { nodeSelector: { [ZONE]: 'us-east-1a' } } } };
    const cases: [string, KubeObject, string[]][] = [
      ['pods', obj('v1', 'Pod', 'p', 'ns', { spec: { nodeSelector: { [ZONE]: 'us-east-1a' } } }), ['spec']],
      ['podtemplates', obj('v1', 'PodTemplate', 't', 'ns', tmpl), ['template', 'spec']],
      ['statefulsets.apps', obj('apps/v1', 'StatefulSet', 's', 'ns', { spec: tmpl }), ['spec', 'template', 'spec']],
      ['daemonsets.apps', obj('apps/v1', 'DaemonSet', 'd', 'ns', { spec: tmpl }), ['spec', 'template', 'spec']],
      ['replicasets.apps', obj('apps/v1', 'ReplicaSet', 'r', 'ns', { spec: tmpl }), ['spec', 'template', 'spec']],
      [
        'replicationcontrollers',
        obj('v1', 'ReplicationController', 'rc', 'ns', { spec: tmpl }),
        ['spec', 'template', 'spec'],
      ],
      ['jobs.batch', obj('batch/v1', 'Job', 'j', 'ns', { spec: tmpl }), ['spec', 'template', 'spec']],
      [
        'cronjobs.batch',
        obj('batch/v1', 'CronJob', 'c', 'ns', { spec: { jobTemplate: { spec: tmpl } } }),
        ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
      ],
    ];
    for (const [gr, o, path] of cases) {
      const out = prepare(gr, o).object as unknown as Record<string, unknown>;
      const spec = path.reduce<unknown>((cur, k) => (cur as Record<string, unknown>)[k], out) as {
        nodeSelector: Record<string, string>;
      };
      assert.deepEqual(spec.nodeSelector, { [ZONE]: 'eu-west-1b' }, gr);
    }
  });

  test('a PersistentVolume: required node affinity values and topology labels; other keys stay', () => {
    const pv = obj('v1', 'PersistentVolume', 'pv1', undefined, {
      metadata: {
        labels: { [ZONE]: 'us-east-1a', 'failure-domain.beta.kubernetes.io/region': 'us-east-1', app: 'us-east-1' },
      },
      spec: {
        storageClassName: 'gp3',
        persistentVolumeReclaimPolicy: 'Retain',
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'topology.ebs.csi.aws.com/zone', operator: 'In', values: ['us-east-1a'] },
                  { key: 'kubernetes.io/hostname', operator: 'In', values: ['us-east-1a'] },
                ],
              },
            ],
          },
        },
      },
    });
    const out = prepare('persistentvolumes', pv, { pvDecisions: { pv1: 'restore' } });
    assert.deepEqual(out.object.metadata.labels?.[ZONE], 'eu-west-1b');
    assert.deepEqual(out.object.metadata.labels?.['failure-domain.beta.kubernetes.io/region'], 'eu-west-1');
    assert.deepEqual(out.object.metadata.labels?.app, 'us-east-1');
    const exprs = (
      out.object.spec as {
        nodeAffinity: { required: { nodeSelectorTerms: { matchExpressions: { values: string[] }[] }[] } };
      }
    ).nodeAffinity.required.nodeSelectorTerms[0]?.matchExpressions;
    assert.deepEqual(exprs?.[0]?.values, ['eu-west-1b']);
    assert.deepEqual(exprs?.[1]?.values, ['us-east-1a']);
    assert.equal(out.rewrites.length, 3);
  });

  test('claims select PVs by the rewritten labels; StorageClass allowedTopologies follow the map', () => {
    const pvc = obj('v1', 'PersistentVolumeClaim', 'c', 'ns', {
      spec: {
        selector: {
          matchLabels: { [ZONE]: 'us-east-1a' },
          matchExpressions: [{ key: REGION, operator: 'In', values: ['us-east-1'] }],
        },
      },
    });
    const sel = (prepare('persistentvolumeclaims', pvc).object.spec as { selector: unknown }).selector;
    assert.deepEqual(sel, {
      matchLabels: { [ZONE]: 'eu-west-1b' },
      matchExpressions: [{ key: REGION, operator: 'In', values: ['eu-west-1'] }],
    });
    const sts = obj('apps/v1', 'StatefulSet', 's', 'ns', {
      spec: { volumeClaimTemplates: [{ spec: { selector: { matchLabels: { [ZONE]: 'us-east-1b' } } } }] },
    });
    const out = prepare('statefulsets.apps', sts).object;
    assert.deepEqual(
      (out.spec as { volumeClaimTemplates: { spec: { selector: unknown } }[] }).volumeClaimTemplates[0]?.spec.selector,
      { matchLabels: { [ZONE]: 'eu-west-1c' } },
    );
    const sc = obj('storage.k8s.io/v1', 'StorageClass', 'gp3', undefined, {
      provisioner: 'ebs.csi.aws.com',
      allowedTopologies: [{ matchLabelExpressions: [{ key: ZONE, values: ['us-east-1a', 'us-east-1b'] }] }],
    });
    assert.deepEqual(prepare('storageclasses.storage.k8s.io', sc).object.allowedTopologies, [
      { matchLabelExpressions: [{ key: ZONE, values: ['eu-west-1b', 'eu-west-1c'] }] },
    ]);
  });

  test('a swap is applied once per value, not chained; without the ConfigMap nothing changes', () => {
    const pod = obj('v1', 'Pod', 'p', 'ns', {
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: ['a', 'b'] }] }],
            },
          },
        },
      },
    });
    const swapped = structuredClone(pod);
    const { rewrites } = rewriteTopology(swapped, { a: 'b', b: 'a' });
    assert.deepEqual(
      rewrites.map((r) => `${r.from}>${r.to}`),
      ['a>b', 'b>a'],
    );
    assert.match(JSON.stringify(swapped.spec), /"values":\["b","a"\]/);
    const untouched = prepare('pods', pod, { pluginConfigs: {} });
    assert.deepEqual(untouched.rewrites, []);
    assert.deepEqual(
      (untouched.object.spec as { affinity: unknown }).affinity,
      (pod.spec as { affinity: unknown }).affinity,
    );
  });

  test("pins to nodes of the source cluster are warned about, not changed; a pod's own nodeName is cleared anyway", () => {
    const d = obj('apps/v1', 'Deployment', 'web', 'app', {
      spec: {
        template: {
          spec: {
            nodeName: 'node-7',
            nodeSelector: { 'kubernetes.io/hostname': 'node-3' },
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    {
                      matchExpressions: [
                        { key: 'kubernetes.io/hostname', operator: 'In', values: ['node-1', 'node-2'] },
                      ],
                    },
                  ],
                },
              },
            },
          },
        },
      },
    });
    const out = prepare('deployments.apps', d);
    assert.deepEqual(out.rewrites, []);
    assert.deepEqual(
      out.warnings.map((w) => w.replace(/ of the source cluster.*/, '')),
      [
        '/spec/template/spec/nodeName names node "node-7"',
        '/spec/template/spec/nodeSelector/kubernetes.io~1hostname names node "node-3"',
        '/spec/template/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/0/matchExpressions/0 names node "node-1", "node-2"',
      ],
    );
    assert.equal((out.object.spec as { template: { spec: { nodeName: string } } }).template.spec.nodeName, 'node-7');
    const pod = obj('v1', 'Pod', 'p', 'ns', { spec: { nodeName: 'node-7', containers: [] } });
    assert.deepEqual(prepare('pods', pod).warnings, []);
    const local = obj('v1', 'PersistentVolume', 'local-pv', undefined, {
      spec: {
        local: { path: '/mnt/disk' },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-1'] }] },
            ],
          },
        },
      },
    });
    assert.match(
      prepare('persistentvolumes', local, { pvDecisions: { 'local-pv': 'restore' } }).warnings[0] ?? '',
      /names node "node-1" of the source cluster; skiff\.io\/change-topology rewrites zones and regions only/,
    );
    assert.deepEqual(prepare('deployments.apps', d, { pluginConfigs: {} }).warnings, []);
  });

  test('bad map data is named: empty, invalid label values, no data at all', () => {
    assert.deepEqual(topologyMapProblems({ 'us-east-1a': 'eu-west-1b' }), []);
    assert.deepEqual(topologyMapProblems({}), [
      'it has no data: add one "<source zone or region>: <target>" pair per key',
    ]);
    assert.deepEqual(topologyMapProblems({ a: '', b: 'not valid!' }), [
      'the value for "a" is empty: name the zone or region it becomes',
      'the value for "b", "not valid!", is not a valid label value',
    ]);
  });
});

describe('the topology map in a restore plan', () => {
  const topologyCm = (labels: Record<string, string>, data: Record<string, string> = MAP): KubeObject =>
    obj('v1', 'ConfigMap', 'topology', 'velero', { metadata: { labels }, data });
  const pluginLabels = { 'velero.io/plugin-config': '', 'skiff.io/change-topology': 'RestoreItemAction' };
  const storageClassCm = obj('v1', 'ConfigMap', 'sc', 'velero', {
    metadata: { labels: { 'velero.io/plugin-config': '', 'velero.io/change-storage-class': 'RestoreItemAction' } },
    data: { gp2: 'gp3' },
  });
  const pv = obj('v1', 'PersistentVolume', 'pv1', undefined, {
    spec: {
      storageClassName: 'gp2',
      persistentVolumeReclaimPolicy: 'Retain',
      claimRef: { namespace: 'app', name: 'data' },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: ['us-east-1a'] }] }],
        },
      },
    },
  });
  const deploy = obj('apps/v1', 'Deployment', 'web', 'app', {
    spec: { template: { spec: { nodeSelector: { [ZONE]: 'us-east-1a' }, containers: [] } } },
  });

  test('the dry run shows each rewrite: field, from, to and the ConfigMap action; -o json carries them too', async () => {
    const plan = await planFor({
      items: [item('persistentvolumes', pv), item('deployments.apps', deploy)],
      input: { pluginConfigs: [topologyCm(pluginLabels), storageClassCm], storageClasses: ['gp3'] },
    });
    assert.deepEqual(opFor(plan, 'PersistentVolume', 'pv1').rewrites, [
      { action: 'velero.io/change-storage-class', path: '/spec/storageClassName', from: 'gp2', to: 'gp3' },
      {
        action: 'skiff.io/change-topology',
        path: '/spec/nodeAffinity/required/nodeSelectorTerms/0/matchExpressions/0/values/0',
        from: 'us-east-1a',
        to: 'eu-west-1b',
      },
    ]);
    const text = formatRestorePlan(plan);
    assert.match(
      text,
      /create {3}PersistentVolume pv1\n {13}rewrite \/spec\/storageClassName: "gp2" -> "gp3" \(velero\.io\/change-storage-class\)\n {13}rewrite \/spec\/nodeAffinity\/required\/nodeSelectorTerms\/0\/matchExpressions\/0\/values\/0: "us-east-1a" -> "eu-west-1b" \(skiff\.io\/change-topology\)/,
    );
    const doc = planDocument(plan) as { tiers: { operations: { name: string; rewrites?: unknown[] }[] }[] };
    const web = doc.tiers.flatMap((t) => t.operations).find((o) => o.name === 'web');
    assert.deepEqual(web?.rewrites, [
      {
        action: 'skiff.io/change-topology',
        path: '/spec/template/spec/nodeSelector/topology.kubernetes.io~1zone',
        from: 'us-east-1a',
        to: 'eu-west-1b',
      },
    ]);
    assert.match(
      text,
      /create {3}Deployment app\/web\n {13}rewrite \/spec\/template\/spec\/nodeSelector\/topology\.kubernetes\.io~1zone: "us-east-1a" -> "eu-west-1b" \(skiff\.io\/change-topology\)/,
    );
  });

  test('a topology ConfigMap that cannot be applied fails the plan, naming the problem', async () => {
    const items = [item('deployments.apps', deploy)];
    await assert.rejects(
      planFor({ items, input: { pluginConfigs: [topologyCm({ 'skiff.io/change-topology': 'RestoreItemAction' })] } }),
      /ConfigMap topology is labelled skiff\.io\/change-topology but lacks the label velero\.io\/plugin-config/,
    );
    await assert.rejects(
      planFor({
        items,
        input: { pluginConfigs: [topologyCm({ ...pluginLabels, 'skiff.io/change-topology': 'yes' })] },
      }),
      /the value must be RestoreItemAction/,
    );
    await assert.rejects(
      planFor({ items, input: { pluginConfigs: [topologyCm(pluginLabels, { 'us-east-1a': '' })] } }),
      /the skiff\.io\/change-topology ConfigMap cannot be used: the value for "us-east-1a" is empty/,
    );
  });
});
