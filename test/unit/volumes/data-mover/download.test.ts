import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../../src/kube/object.ts';
import { claimSelectorLabels, reboundVolumePatch } from '../../../../src/volumes/data-mover/bind-pv.ts';
import {
  DEFAULT_PREPARE_TIMEOUT_MS,
  prepareTimeoutMs,
  restoreVolumeSpec,
} from '../../../../src/volumes/data-mover/download-controller.ts';

const claim = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'data', namespace: 'shop' },
  spec,
});

describe("the data mover's restore claim", () => {
  test("takes the target claim's class, size, access modes and volume mode, never its selector", () => {
    const spec = restoreVolumeSpec(
      claim({
        storageClassName: 'skiff-csi',
        accessModes: ['ReadWriteOnce'],
        volumeMode: 'Filesystem',
        resources: { requests: { storage: '2Gi' } },
        selector: { matchLabels: { 'velero.io/dynamic-pv-restore': 'x' } },
      }),
    );
    assert.deepEqual(spec, {
      storageClassName: 'skiff-csi',
      size: '2Gi',
      accessModes: ['ReadWriteOnce'],
      volumeMode: 'Filesystem',
    });
  });

  test('a claim without a storage class is refused, naming it', () => {
    assert.throws(
      () => restoreVolumeSpec(claim({ resources: { requests: { storage: '1Gi' } } })),
      /claim shop\/data has no storageClassName/,
    );
  });

  test('the preparation limit is spec.operationTimeout, else 30 minutes', () => {
    assert.equal(prepareTimeoutMs({ spec: { operationTimeout: '5m' } } as never), 5 * 60 * 1000);
    assert.equal(prepareTimeoutMs({ spec: {} } as never), DEFAULT_PREPARE_TIMEOUT_MS);
  });
});

describe('handing the volume over to the user claim', () => {
  const pv: KubeObject = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'pvc-1', labels: { zone: 'a' } },
    spec: { claimRef: { namespace: 'velero', name: 'dd-1', uid: 'old', resourceVersion: '7' } },
  };

  test("the PV is pre-bound to the claim by name (no uid) and carries the claim's selector labels", () => {
    const selector = claimSelectorLabels(
      claim({ selector: { matchLabels: { 'velero.io/dynamic-pv-restore': 'shop.data.bcdfg' } } }),
    );
    assert.deepEqual(reboundVolumePatch(pv, { namespace: 'shop', name: 'data' }, selector), [
      { op: 'add', path: '/metadata/labels', value: { zone: 'a', 'velero.io/dynamic-pv-restore': 'shop.data.bcdfg' } },
      {
        op: 'add',
        path: '/spec/claimRef',
        value: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data' },
      },
    ]);
  });

  test('a claim without the dynamic-restore label is refused: it could bind to any volume', () => {
    assert.throws(
      () => reboundVolumePatch(pv, { namespace: 'shop', name: 'data' }, claimSelectorLabels(claim({}))),
      /claim shop\/data has no velero.io\/dynamic-pv-restore selector label/,
    );
  });
});
