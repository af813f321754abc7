import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/kube/object.ts';
import {
  dataDownloadObject,
  dataDownloadOperationID,
  dataUploadResultConfigMap,
  dynamicRestoreLabelValue,
  indexDataUploads,
  type PlannedDataDownload,
} from '../../../src/restore/actions/data-mover-actions.ts';
import { prepareItem } from '../../../src/restore/actions/prepare-item.ts';
import { defaultRestoreActions } from '../../../src/restore/actions/registry.ts';
import { RestoreActionError, type RestoreActionEnv } from '../../../src/restore/actions/types.ts';
import { formatRestorePlan } from '../../../src/restore/plan/format-plan.ts';
import type { CreateOperation } from '../../../src/restore/plan/types.ts';
import { item, obj, opFor, planFor, testDiscovery } from '../../helpers/restore-fixtures.ts';

const SERVER_NS = 'velero';

function dataUpload(name: string, pvc: string, over: Record<string, unknown> = {}): KubeObject {
  return obj('velero.io/v2alpha1', 'DataUpload', name, SERVER_NS, {
    spec: {
      snapshotType: 'CSI',
      csiSnapshot: { volumeSnapshot: `velero-${pvc}-x`, storageClass: 'skiff-csi', driver: 'hostpath.csi.skiff.dev' },
      sourcePVC: pvc,
      sourceNamespace: 'shop',
      backupStorageLocation: 'default',
      datamover: 'velero',
      operationTimeout: '10m0s',
    },
    status: {
      phase: 'Completed',
      snapshotID: `snap-${pvc}`,
      nodeOS: 'linux',
      progress: { totalBytes: 4096, bytesDone: 4096 },
      dataMoverResult: { 'skiff.io/dir-times-snapshot': `times-${pvc}` },
    },
    ...over,
  });
}

const pvc = (name = 'data') =>
  obj('v1', 'PersistentVolumeClaim', name, 'shop', {
    metadata: {
      uid: `pvc-uid-${name}`,
      labels: { app: 'db', 'velero.io/volume-snapshot-name': `velero-${name}-x` },
      annotations: {
        'velero.io/data-upload-name': `${SERVER_NS}/b1-${name}`,
        'velero.io/volume-snapshot-name': `velero-${name}-x`,
        'pv.kubernetes.io/bind-completed': 'yes',
      },
    },
    spec: {
      volumeName: 'pvc-123',
      storageClassName: 'skiff-csi',
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
    },
    status: { phase: 'Bound' },
  });

const env = (over: Partial<RestoreActionEnv> = {}): RestoreActionEnv => ({
  restoreName: 'r1',
  backupName: 'b1',
  namespaceMapping: { shop: 'shop2' },
  preserveNodePorts: false,
  restorePVs: true,
  pvDecisions: {},
  pluginConfigs: {},
  serviceAccounts: {},
  csi: { restoreUID: 'ruid' },
  dataMover: indexDataUploads([dataUpload('b1-data', 'data')], 'ruid'),
  ...over,
});

function preparePvc(o: KubeObject, e: RestoreActionEnv) {
  return prepareItem({
    object: o,
    groupResource: 'persistentvolumeclaims',
    sourceNamespace: 'shop',
    targetNamespace: 'shop2',
    env: e,
    actions: defaultRestoreActions(),
  });
}

describe('DataUploads of the backup (reference §1.12, §7.5)', () => {
  test('a completed DataUpload gives its DataUploadResult, keyed by its source claim', () => {
    const index = indexDataUploads([dataUpload('b1-data', 'data')], 'ruid');
    assert.deepEqual(index.volumes['shop/data'], {
      dataUpload: 'b1-data',
      sourceNamespace: 'shop',
      sourcePVC: 'data',
      result: {
        backupStorageLocation: 'default',
        datamover: 'velero',
        snapshotID: 'snap-data',
        sourceNamespace: 'shop',
        dataMoverResult: { 'skiff.io/dir-times-snapshot': 'times-data' },
        nodeOS: 'linux',
        snapshotSize: 4096,
      },
    });
  });

  test('a DataUpload that did not complete is kept aside with its phase', () => {
    const failed = dataUpload('b1-data', 'data', { status: { phase: 'Failed', message: 'boom' } });
    const index = indexDataUploads([failed], 'ruid');
    assert.equal(index.volumes['shop/data'], undefined);
    assert.match(index.unfinished['shop/data'] ?? '', /DataUpload b1-data ended in phase Failed/);
  });

  test('a Windows volume is kept aside: its claim fails naming the reason, not restored by a Linux mover', () => {
    const linux = dataUpload('b1-data', 'data');
    const windows = { ...linux, status: { ...(linux.status as Record<string, unknown>), nodeOS: 'windows' } };
    const index = indexDataUploads([windows], 'ruid');
    assert.equal(index.volumes['shop/data'], undefined);
    assert.throws(
      () => preparePvc(pvc(), env({ dataMover: index })),
      /claim shop\/data had its snapshot data moved, but DataUpload b1-data moved the data of a Windows volume/,
    );
  });

  test('the DataUploadResult ConfigMap: generateName, labels and the restore UID as data key', () => {
    const index = indexDataUploads([dataUpload('b1-data', 'data')], 'ruid');
    const volume = index.volumes['shop/data'];
    assert.ok(volume);
    const cm = dataUploadResultConfigMap({ name: 'r1', uid: 'ruid', namespace: SERVER_NS }, volume);
    assert.deepEqual(cm.metadata, {
      generateName: 'b1-data-',
      namespace: SERVER_NS,
      labels: {
        'velero.io/restore-uid': 'ruid',
        'velero.io/pvc-namespace-name': 'shop.data',
        'velero.io/resource-usage': 'DataUpload',
      },
    });
    assert.deepEqual(JSON.parse((cm.data as Record<string, string>).ruid ?? ''), volume.result);
  });

  test('a long namespace.claim label value is normalised to 63 characters', () => {
    const long = 'c'.repeat(70);
    const index = indexDataUploads([dataUpload('du', long)], 'ruid');
    const volume = index.volumes[`shop/${long}`];
    assert.ok(volume);
    const value = dataUploadResultConfigMap({ name: 'r1', uid: 'ruid', namespace: SERVER_NS }, volume).metadata
      .labels?.['velero.io/pvc-namespace-name'];
    assert.equal(value?.length, 63);
    assert.ok(value?.startsWith(`shop.${'c'.repeat(52)}`));
  });
});

describe('names and operation IDs (reference §7.5)', () => {
  test('the dynamic-restore label is <ns>.<pvc>.<5 chars>, stable for one restore, different for another', () => {
    const a = dynamicRestoreLabelValue('ruid', 'shop2', 'data');
    assert.match(a, /^shop2\.data\.[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(dynamicRestoreLabelValue('ruid', 'shop2', 'data'), a);
    assert.notEqual(dynamicRestoreLabelValue('other-restore', 'shop2', 'data'), a);
  });

  test('a long dynamic-restore label value is normalised', () => {
    const value = dynamicRestoreLabelValue('ruid', 'n'.repeat(40), 'p'.repeat(40));
    assert.equal(value.length, 63);
  });

  test('the operation ID is dd-<restoreUID>.<pvcUID>, normalised', () => {
    assert.equal(dataDownloadOperationID('ruid', 'puid'), 'dd-ruid.puid');
    const uid = '0123456789abcdef0123456789abcdef0123';
    assert.equal(dataDownloadOperationID(uid, uid).length, 63);
  });
});

describe('velero.io/csi-pvc-restorer with moved data (reference §7.5)', () => {
  test('the claim loses its volume, gets the selector label, and no snapshot data source', () => {
    const out = preparePvc(pvc(), env()).object;
    const spec = out.spec as Record<string, unknown>;
    assert.equal(spec.volumeName, undefined);
    assert.equal(spec.dataSource, undefined);
    assert.deepEqual(spec.selector, {
      matchLabels: { 'velero.io/dynamic-pv-restore': dynamicRestoreLabelValue('ruid', 'shop2', 'data') },
    });
    assert.equal(out.metadata.annotations?.['velero.io/data-upload-name'], undefined);
    assert.equal(out.metadata.annotations?.['pv.kubernetes.io/bind-completed'], undefined);
    assert.equal(out.metadata.namespace, 'shop2');
  });

  test('a selector the claim already has keeps its labels', () => {
    const withSelector = pvc();
    (withSelector.spec as Record<string, unknown>).selector = { matchLabels: { tier: 'gold' } };
    const spec = preparePvc(withSelector, env()).object.spec as { selector: { matchLabels: Record<string, string> } };
    assert.equal(spec.selector.matchLabels.tier, 'gold');
    assert.ok(spec.selector.matchLabels['velero.io/dynamic-pv-restore']);
  });

  test('restorePVs=false: no volume name, no data source, no selector label (an empty volume)', () => {
    const out = preparePvc(pvc(), env({ restorePVs: false })).object;
    const spec = out.spec as Record<string, unknown>;
    assert.equal(spec.volumeName, undefined);
    assert.equal(spec.dataSource, undefined);
    assert.equal(spec.selector, undefined);
  });

  test('a claim whose DataUpload is not in the backup fails, naming the claim', () => {
    assert.throws(
      () => preparePvc(pvc('logs'), env()),
      (err: unknown) =>
        err instanceof RestoreActionError && /claim shop\/logs had its snapshot data moved/.test(err.message),
    );
  });

  test('a claim whose DataUpload failed fails, naming the DataUpload and its phase', () => {
    const dataMover = indexDataUploads([dataUpload('b1-data', 'data', { status: { phase: 'Failed' } })], 'ruid');
    assert.throws(() => preparePvc(pvc(), env({ dataMover })), /DataUpload b1-data ended in phase Failed/);
  });
});

describe('the DataDownload object (reference §1.13, §7.5 step 3)', () => {
  test('name, labels, owner, spec and the directory-times annotation', () => {
    const volume = indexDataUploads([dataUpload('b1-data', 'data')], 'ruid').volumes['shop/data'];
    assert.ok(volume);
    const planned: PlannedDataDownload = {
      pvc: 'data',
      namespace: 'shop2',
      operationID: 'dd-ruid.pvc-uid-data',
      selector: 'shop2.data.bcdfg',
      volume,
    };
    const dd = dataDownloadObject({ name: 'r1', uid: 'ruid', namespace: SERVER_NS }, planned, {
      dataMoverConfig: { WriteSparseFiles: 'true' },
      operationTimeout: '10m0s',
    });
    assert.deepEqual(dd, {
      apiVersion: 'velero.io/v2alpha1',
      kind: 'DataDownload',
      metadata: {
        generateName: 'r1-',
        namespace: SERVER_NS,
        ownerReferences: [{ apiVersion: 'velero.io/v1', kind: 'Restore', name: 'r1', uid: 'ruid', controller: true }],
        labels: {
          'velero.io/restore-name': 'r1',
          'velero.io/restore-uid': 'ruid',
          'velero.io/async-operation-id': 'dd-ruid.pvc-uid-data',
        },
        annotations: { 'skiff.io/dir-times-snapshot': 'times-data' },
      },
      spec: {
        targetVolume: { pvc: 'data', pv: '', namespace: 'shop2' },
        backupStorageLocation: 'default',
        datamover: 'velero',
        snapshotID: 'snap-data',
        sourceNamespace: 'shop',
        dataMoverConfig: { WriteSparseFiles: 'true' },
        operationTimeout: '10m0s',
        nodeOS: 'linux',
        snapshotSize: 4096,
      },
    });
    // A tenant's Restore exists only in memory: an owner reference would let the garbage collector delete it.
    const inMemory = dataDownloadObject({ name: 'r1', uid: 'ruid', namespace: SERVER_NS }, planned, {
      restoreNotStored: true,
    });
    assert.equal(inMemory.metadata.ownerReferences, undefined);
    assert.equal(inMemory.metadata.labels?.['velero.io/restore-uid'], 'ruid');
  });
});

describe('planning a restore of moved data', () => {
  const discovery = testDiscovery([
    {
      group: 'velero.io',
      version: 'v2alpha1',
      resource: 'datauploads',
      kind: 'DataUpload',
      namespaced: true,
      verbs: ['create', 'get', 'list'],
    },
  ]);
  const items = [item('persistentvolumeclaims', pvc()), item('datauploads.velero.io', dataUpload('b1-data', 'data'))];

  test('the claim is created with its DataDownload planned; the DataUpload is not restored; the dry run names the method', async () => {
    const plan = await planFor({
      items,
      spec: { namespaceMapping: { shop: 'shop2' } },
      input: { discovery, restoreUID: 'ruid' },
    });
    const claim = opFor(plan, 'PersistentVolumeClaim', 'data') as CreateOperation;
    assert.equal(claim.kind, 'create');
    assert.equal(claim.dataDownload?.operationID, 'dd-ruid.pvc-uid-data');
    assert.equal(claim.dataDownload?.namespace, 'shop2');
    assert.equal(claim.dataDownload?.volume.result.snapshotID, 'snap-data');
    const du = opFor(plan, 'DataUpload', 'b1-data');
    assert.equal(du.kind, 'skip');
    const text = formatRestorePlan(plan);
    assert.match(text, /CSI snapshot data moved \(DataUpload b1-data\), kopia snapshot snap-data, 4096 bytes/);
  });

  test("the DataUploads' namespace (the source cluster's server namespace) is not created for them", async () => {
    const plan = await planFor({ items, input: { discovery, restoreUID: 'ruid' } });
    const namespaces = plan.tiers.find((t) => t.resources.includes('namespaces'))?.operations ?? [];
    assert.deepEqual(
      namespaces.map((o) => o.target.name),
      ['shop'],
    );
  });

  test('restorePVs=false plans no DataDownload', async () => {
    const plan = await planFor({ items, spec: { restorePVs: false }, input: { discovery, restoreUID: 'ruid' } });
    const claim = opFor(plan, 'PersistentVolumeClaim', 'data') as CreateOperation;
    assert.equal(claim.kind, 'create');
    assert.equal(claim.dataDownload, undefined);
  });
});
