import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../../src/kube/index.ts';
import { acceptedStatus } from '../../../../src/volumes/data-mover/claim.ts';
import {
  DATA_MOVER_LABEL,
  moverObjects,
  pinnedClaimSettled,
  SELECTED_NODE_ANNOTATION,
  type MoverRequest,
} from '../../../../src/volumes/data-mover/mover-pod.ts';

const request: MoverRequest = {
  namespace: 'skiff',
  owner: { apiVersion: 'velero.io/v2alpha1', kind: 'DataUpload', name: 'nightly-abcde', uid: 'u-1' },
  volume: {
    storageClassName: 'fast',
    size: '1Gi',
    dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'nightly-abcde' },
    readOnly: true,
  },
  nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
  labels: { 'velero.io/data-upload': 'nightly-abcde' },
};

describe('data mover pod and claim', () => {
  test('both are named after, labelled with and owned by the DataUpload', () => {
    const { pvc, pod } = moverObjects(request);
    for (const o of [pvc, pod]) {
      assert.equal(o.metadata.name, 'nightly-abcde');
      assert.equal(o.metadata.namespace, 'skiff');
      assert.equal(o.metadata.labels?.[DATA_MOVER_LABEL], 'nightly-abcde');
      assert.equal(o.metadata.labels?.['velero.io/data-upload'], 'nightly-abcde');
      assert.deepEqual(o.metadata.ownerReferences, [
        { apiVersion: 'velero.io/v2alpha1', kind: 'DataUpload', name: 'nightly-abcde', uid: 'u-1', controller: true },
      ]);
    }
  });

  test('the claim asks for the class, size and snapshot; the pod mounts it read-only where the data can be', () => {
    const { pvc, pod } = moverObjects(request);
    assert.deepEqual(pvc.spec, {
      storageClassName: 'fast',
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
      dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'nightly-abcde' },
    });
    const spec = pod.spec as {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: unknown[] } } };
      volumes: { persistentVolumeClaim: { claimName: string; readOnly?: boolean } }[];
    };
    assert.deepEqual(
      spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
      request.nodeSelectorTerms,
    );
    assert.deepEqual(spec.volumes[0]?.persistentVolumeClaim, { claimName: 'nightly-abcde', readOnly: true });
  });

  test('no affinity without terms; an empty claim for a restore', () => {
    const { pvc, pod } = moverObjects({
      ...request,
      volume: { storageClassName: 'fast', size: '5Gi', accessModes: ['ReadWriteMany'] },
      nodeSelectorTerms: undefined,
    });
    assert.equal((pod.spec as { affinity?: unknown }).affinity, undefined);
    assert.equal((pvc.spec as { dataSource?: unknown }).dataSource, undefined);
    assert.deepEqual((pvc.spec as { accessModes: string[] }).accessModes, ['ReadWriteMany']);
  });

  test("a selected node is the claim's selected-node annotation; none without one", () => {
    const pinned = moverObjects({ ...request, selectedNode: 'node-1' }).pvc;
    assert.deepEqual(pinned.metadata.annotations, { [SELECTED_NODE_ANNOTATION]: 'node-1' });
    assert.equal(moverObjects(request).pvc.metadata.annotations, undefined);
  });

  test('a pinned claim is waited for until it is bound or its provisioner gave the node up', () => {
    const claim = (phase: string, node?: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'c', ...(node ? { annotations: { [SELECTED_NODE_ANNOTATION]: node } } : {}) },
      status: { phase },
    });
    assert.equal(pinnedClaimSettled(claim('Pending', 'node-1')), false);
    assert.equal(pinnedClaimSettled(claim('Bound', 'node-1')), true);
    // The provisioner removes the annotation when it cannot provision there: the scheduler is to choose.
    assert.equal(pinnedClaimSettled(claim('Pending')), true);
  });

  test('a claim writes phase Accepted with the node and the time', () => {
    assert.deepEqual(acceptedStatus('node-1', '2026-01-01T00:00:00Z'), {
      phase: 'Accepted',
      acceptedByNode: 'node-1',
      acceptedTimestamp: '2026-01-01T00:00:00Z',
    });
  });
});
