import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/kube/object.ts';
import { pvcAction } from '../../../src/restore/actions/volume-actions.ts';
import { PvDecision, type RestoreActionEnv } from '../../../src/restore/actions/types.ts';

const env = (over: Partial<RestoreActionEnv> = {}): RestoreActionEnv => ({
  restoreName: 'r1',
  backupName: 'b1',
  namespaceMapping: {},
  preserveNodePorts: false,
  restorePVs: true,
  pvDecisions: {},
  pluginConfigs: {},
  serviceAccounts: {},
  csi: { restoreUID: 'ruid' },
  ...over,
});

const claim = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'data-db-0', namespace: 'team-a' },
  spec: { volumeName: 'pvc-123', storageClassName: 'node-local' },
});

function volumeNameAfter(e: RestoreActionEnv): unknown {
  const out = pvcAction.execute({ item: claim(), env: e } as Parameters<typeof pvcAction.execute>[0]);
  return ((out as { item: KubeObject }).item.spec as { volumeName?: string } | undefined)?.volumeName;
}

describe('velero.io/pvc: a claim whose data a PodVolumeBackup took', () => {
  test('is provisioned again when its PV is not in the backup (a tenant backup holds no PVs)', () => {
    assert.equal(volumeNameAfter(env({ podVolumeClaims: ['team-a/data-db-0'] })), undefined);
  });
  test('keeps its volume when no pod volume data is restored for it, or its PV is restored', () => {
    assert.equal(volumeNameAfter(env()), 'pvc-123');
    assert.equal(volumeNameAfter(env({ podVolumeClaims: ['team-a/other'] })), 'pvc-123');
    assert.equal(
      volumeNameAfter(env({ podVolumeClaims: ['team-a/data-db-0'], pvDecisions: { 'pvc-123': PvDecision.Restore } })),
      'pvc-123',
    );
  });
});
