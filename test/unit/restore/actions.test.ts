import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/kube/object.ts';
import { prepareItem } from '../../../src/restore/actions/prepare-item.ts';
import { defaultRestoreActions } from '../../../src/restore/actions/registry.ts';
import type { RestoreActionEnv } from '../../../src/restore/actions/types.ts';
import { obj } from '../../helpers/restore-fixtures.ts';

const baseEnv: RestoreActionEnv = {
  restoreName: 'r1',
  backupName: 'b1',
  namespaceMapping: {},
  preserveNodePorts: false,
  restorePVs: true,
  pvDecisions: {},
  pluginConfigs: {},
  serviceAccounts: {},
};

function prepare(groupResource: string, o: KubeObject, env: Partial<RestoreActionEnv> = {}) {
  return prepareItem({
    object: o,
    groupResource,
    sourceNamespace: o.metadata.namespace,
    targetNamespace: o.metadata.namespace,
    env: { ...baseEnv, ...env },
    actions: defaultRestoreActions(),
  });
}

const spec = (o: KubeObject): Record<string, unknown> => o.spec as Record<string, unknown>;

describe('generic cleaning (reference §4.4 step 2)', () => {
  test('server-set metadata, ownerReferences and status go; managedFields, finalizers and annotations stay', () => {
    const o = obj('v1', 'ConfigMap', 'c', 'ns', {
      metadata: {
        generation: 3,
        ownerReferences: [{ name: 'x' }],
        finalizers: ['f'],
        annotations: { a: 'b' },
        managedFields: [{ manager: 'm' }],
      },
      status: { x: 1 },
    });
    const out = prepare('configmaps', o);
    assert.deepEqual(out.object.metadata, {
      name: 'c',
      namespace: 'ns',
      finalizers: ['f'],
      annotations: { a: 'b' },
      managedFields: [{ manager: 'm' }],
      labels: { 'velero.io/backup-name': 'b1', 'velero.io/restore-name': 'r1' },
    });
    assert.deepEqual(out.status, { x: 1 });
    assert.equal(out.object.status, undefined);
  });
});

describe('services (velero.io/service)', () => {
  const nodePortSvc = (extra: Record<string, unknown> = {}) =>
    obj('v1', 'Service', 's', 'ns', {
      spec: {
        type: 'NodePort',
        clusterIP: '10.0.0.1',
        clusterIPs: ['10.0.0.1'],
        ports: [
          { name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 },
          { name: 'admin', port: 81, protocol: 'TCP', nodePort: 30081 },
        ],
      },
      ...extra,
    });

  test('cluster IPs and unspecified node ports are cleared', () => {
    const s = spec(prepare('services', nodePortSvc()).object);
    assert.equal(s.clusterIP, undefined);
    assert.equal(s.clusterIPs, undefined);
    assert.deepEqual(s.ports, [
      { name: 'http', port: 80, protocol: 'TCP' },
      { name: 'admin', port: 81, protocol: 'TCP' },
    ]);
  });

  test('headless services keep clusterIP None', () => {
    const o = obj('v1', 'Service', 's', 'ns', { spec: { clusterIP: 'None', clusterIPs: ['None'] } });
    assert.equal(spec(prepare('services', o).object).clusterIP, 'None');
  });

  test('preserveNodePorts keeps every node port', () => {
    const s = spec(prepare('services', nodePortSvc(), { preserveNodePorts: true }).object);
    assert.deepEqual(
      (s.ports as { nodePort?: number }[]).map((p) => p.nodePort),
      [30080, 30081],
    );
  });

  test('node ports named in last-applied-configuration are explicit and kept', () => {
    const lastApplied = JSON.stringify({ spec: { ports: [{ name: 'http', port: 80, nodePort: 30080 }] } });
    const o = nodePortSvc({
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } },
    });
    const s = spec(prepare('services', o).object);
    assert.deepEqual(
      (s.ports as { nodePort?: number }[]).map((p) => p.nodePort),
      [30080, undefined],
    );
  });

  test('node ports owned in managedFields are explicit and kept', () => {
    const o = nodePortSvc({
      metadata: {
        managedFields: [
          { fieldsV1: { 'f:spec': { 'f:ports': { 'k:{"port":81,"protocol":"TCP"}': { 'f:nodePort': {} } } } } },
        ],
      },
    });
    const s = spec(prepare('services', o).object);
    assert.deepEqual(
      (s.ports as { nodePort?: number }[]).map((p) => p.nodePort),
      [undefined, 30081],
    );
  });

  test('ExternalName services are untouched', () => {
    const o = obj('v1', 'Service', 's', 'ns', {
      spec: { type: 'ExternalName', externalName: 'x.example.com', clusterIP: '' },
    });
    assert.equal(spec(prepare('services', o).object).clusterIP, '');
  });
});

describe('pods, jobs, service accounts, secrets', () => {
  test('pods lose nodeName, priority, legacy token volumes and restore-wait init containers', () => {
    const o = obj('v1', 'Pod', 'p', 'ns', {
      spec: {
        nodeName: 'n1',
        priority: 100,
        serviceAccountName: 'sa',
        volumes: [{ name: 'sa-token-abcde' }, { name: 'data' }],
        containers: [{ name: 'c', volumeMounts: [{ name: 'sa-token-abcde' }, { name: 'data' }] }],
        initContainers: [{ name: 'restore-wait' }],
      },
    });
    assert.deepEqual(spec(prepare('pods', o).object), {
      serviceAccountName: 'sa',
      volumes: [{ name: 'data' }],
      containers: [{ name: 'c', volumeMounts: [{ name: 'data' }] }],
    });
  });

  test('jobs lose the controller-uid selector and template labels', () => {
    const o = obj('batch/v1', 'Job', 'j', 'ns', {
      spec: {
        selector: { matchLabels: { 'controller-uid': 'u', 'batch.kubernetes.io/controller-uid': 'u' } },
        template: { metadata: { labels: { 'controller-uid': 'u', app: 'x' } } },
      },
    });
    const s = spec(prepare('jobs.batch', o).object);
    assert.deepEqual(s, { selector: { matchLabels: {} }, template: { metadata: { labels: { app: 'x' } } } });
  });

  test('service accounts drop their first <sa>-token-* secret', () => {
    const o = obj('v1', 'ServiceAccount', 'sa', 'ns', { secrets: [{ name: 'sa-token-x' }, { name: 'other' }] });
    assert.deepEqual(prepare('serviceaccounts', o).object.secrets, [{ name: 'other' }]);
  });

  test('token secrets of a service account are skipped; other token secrets lose token data', () => {
    const token = obj('v1', 'Secret', 'sa-token-x', 'ns', {
      type: 'kubernetes.io/service-account-token',
      data: { token: 't' },
    });
    assert.match(prepare('secrets', token, { serviceAccounts: { ns: ['sa'] } }).skip ?? '', /service account sa/);
    const other = obj('v1', 'Secret', 'custom', 'ns', {
      metadata: { annotations: { 'kubernetes.io/service-account.uid': 'u' } },
      type: 'kubernetes.io/service-account-token',
      data: { token: 't', 'ca.crt': 'c', extra: 'e' },
    });
    const out = prepare('secrets', other, { serviceAccounts: { ns: ['sa'] } }).object;
    assert.deepEqual(out.data, { extra: 'e' });
    assert.equal(out.metadata.annotations, undefined);
    // The backed-up object itself is left as it was (the planner compares with it afterwards).
    assert.deepEqual(other.data, { token: 't', 'ca.crt': 'c', extra: 'e' });
    assert.deepEqual(other.metadata.annotations, { 'kubernetes.io/service-account.uid': 'u' });
  });

  test('other secrets come back whole, and the backed-up object is left as it was', () => {
    const secret = obj('v1', 'Secret', 'app', 'ns', {
      metadata: { uid: 'u1', labels: { app: 'a' }, annotations: { note: 'n' } },
      type: 'Opaque',
      data: { password: 'cA==' },
    });
    const before = structuredClone(secret);
    const out = prepare('secrets', secret).object;
    assert.deepEqual(out, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'app',
        namespace: 'ns',
        labels: { app: 'a', 'velero.io/backup-name': 'b1', 'velero.io/restore-name': 'r1' },
        annotations: { note: 'n' },
      },
      type: 'Opaque',
      data: { password: 'cA==' },
    });
    assert.deepEqual(secret, before);
  });
});

describe('volumes (reference §4.5)', () => {
  const pvc = () =>
    obj('v1', 'PersistentVolumeClaim', 'data', 'ns', {
      metadata: {
        annotations: {
          'pv.kubernetes.io/bind-completed': 'yes',
          'pv.kubernetes.io/bound-by-controller': 'yes',
          'volume.kubernetes.io/selected-node': 'n1',
          keep: 'me',
        },
      },
      spec: { volumeName: 'pv1', storageClassName: 'old' },
    });

  test('PVCs lose binding annotations and keep volumeName when the PV is restored', () => {
    const out = prepare('persistentvolumeclaims', pvc(), { pvDecisions: { pv1: 'restore' } }).object;
    assert.deepEqual(out.metadata.annotations, { keep: 'me' });
    assert.equal(spec(out).volumeName, 'pv1');
  });

  test('PVCs lose volumeName when the PV is provisioned dynamically; the PV itself is skipped', () => {
    const out = prepare('persistentvolumeclaims', pvc(), { pvDecisions: { pv1: 'dynamic' } }).object;
    assert.equal(spec(out).volumeName, undefined);
    const pv = obj('v1', 'PersistentVolume', 'pv1', undefined, { spec: {} });
    assert.match(prepare('persistentvolumes', pv, { pvDecisions: { pv1: 'dynamic' } }).skip ?? '', /dynamically/);
  });

  test('PVs get their claimRef remapped and binding info reset', () => {
    const pv = obj('v1', 'PersistentVolume', 'pv1', undefined, {
      metadata: { annotations: { 'pv.kubernetes.io/bound-by-controller': 'yes' } },
      spec: {
        claimRef: { kind: 'PersistentVolumeClaim', namespace: 'ns', name: 'data', uid: 'u', resourceVersion: '5' },
      },
    });
    const out = prepare('persistentvolumes', pv, {
      pvDecisions: { pv1: 'restore' },
      namespaceMapping: { ns: 'ns2' },
    }).object;
    assert.deepEqual(spec(out).claimRef, { kind: 'PersistentVolumeClaim', namespace: 'ns2', name: 'data' });
    assert.equal(out.metadata.annotations, undefined);
  });

  test('restorePVs=false drops a VolumeSnapshot data source', () => {
    const o = pvc();
    spec(o).dataSource = { kind: 'VolumeSnapshot', name: 'snap', apiGroup: 'snapshot.storage.k8s.io' };
    assert.equal(spec(prepare('persistentvolumeclaims', o, { restorePVs: false }).object).dataSource, undefined);
  });

  test('the change-storage-class ConfigMap rewrites the class; an unknown target class fails the item', () => {
    const env = { pluginConfigs: { 'velero.io/change-storage-class': { old: 'fast' } } };
    assert.equal(
      spec(prepare('persistentvolumeclaims', pvc(), { ...env, storageClasses: ['fast'] }).object).storageClassName,
      'fast',
    );
    assert.throws(
      () => prepare('persistentvolumeclaims', pvc(), { ...env, storageClasses: ['slow'] }),
      /storage class "fast"/,
    );
  });
});

describe('cluster configuration', () => {
  test('admission webhooks get sideEffects None; role binding subjects follow namespaceMapping', () => {
    const wh = obj('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'w', undefined, {
      webhooks: [
        { name: 'a', sideEffects: 'Unknown' },
        { name: 'b', sideEffects: 'NoneOnDryRun' },
      ],
    });
    const out = prepare('validatingwebhookconfigurations.admissionregistration.k8s.io', wh).object;
    assert.deepEqual(out.webhooks, [
      { name: 'a', sideEffects: 'None' },
      { name: 'b', sideEffects: 'NoneOnDryRun' },
    ]);
    const rb = obj('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rb', 'ns', {
      subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'ns' }],
    });
    const mapped = prepare('rolebindings.rbac.authorization.k8s.io', rb, { namespaceMapping: { ns: 'ns2' } }).object;
    assert.deepEqual(mapped.subjects, [{ kind: 'ServiceAccount', name: 'sa', namespace: 'ns2' }]);
  });

  test('CRDs with preserveUnknownFields move to the per-schema extension; change-image-name rewrites images', () => {
    const crd = obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'c', undefined, {
      spec: {
        preserveUnknownFields: true,
        versions: [{ name: 'v1', schema: { openAPIV3Schema: { type: 'object' } } }],
      },
    });
    const out = spec(prepare('customresourcedefinitions.apiextensions.k8s.io', crd).object);
    assert.equal(out.preserveUnknownFields, false);
    assert.deepEqual(out.versions, [
      { name: 'v1', schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
    ]);
    const dep = obj('apps/v1', 'Deployment', 'd', 'ns', {
      spec: { template: { spec: { containers: [{ name: 'c', image: 'old.io/app:1' }] } } },
    });
    const env = { pluginConfigs: { 'velero.io/change-image-name': { r1: 'old.io,new.io' } } };
    const img = prepare('deployments.apps', dep, env).object;
    assert.deepEqual((spec(img).template as { spec: { containers: unknown } }).spec.containers, [
      { name: 'c', image: 'new.io/app:1' },
    ]);
  });
});
