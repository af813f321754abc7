/**
 * The test environment's kubelet for CSI volumes (scripts/testenv/csi-volumes.ts): which pod volumes to stage and
 * publish, kubelet's paths, and the steps from what is mounted to what is wanted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../../src/kube/index.ts';
import {
  CSI_DRIVER,
  csiStagingPath,
  csiTargetPath,
  desiredPublishes,
  planCsiActions,
  type CsiPublish,
} from '../../../scripts/testenv/csi-volumes.ts';

const pod = (name: string, claim: string, extra: Partial<KubeObject> = {}, readOnly = false): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', uid: `uid-${name}` },
  spec: { nodeName: 'node-a', volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim, readOnly } }] },
  ...extra,
});
const claim = (name: string, pv?: string): [string, KubeObject] => [
  `ns/${name}`,
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'ns' }, spec: { volumeName: pv } },
];
const pv = (name: string, driver = CSI_DRIVER): [string, KubeObject] => [
  name,
  {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: { csi: { driver, volumeHandle: `vh-${name}` } },
  },
];

test("kubelet's paths for a CSI volume", () => {
  assert.equal(csiTargetPath('/n', 'u1', 'pv1'), '/n/var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/pv1/mount');
  // The staging folder is named by the sha256 of the volume handle ("vh").
  assert.equal(
    csiStagingPath('/n', CSI_DRIVER, 'vh'),
    `/n/var/lib/kubelet/plugins/kubernetes.io/csi/${CSI_DRIVER}/df1508dec3df7eb18a8ed706b9100230597abfa3aaa246caa61709dd491fdc5f/globalmount`,
  );
});

test('only scheduled, active pods with a bound PVC of this driver get their volume published', () => {
  const claims = new Map([claim('bound', 'pv1'), claim('pending'), claim('other', 'pv2')]);
  const volumes = new Map([pv('pv1'), pv('pv2', 'other.csi.example')]);
  const pods = [
    pod('a', 'bound'),
    pod('ro', 'bound', {}, true),
    pod('waiting', 'pending'),
    pod('foreign', 'other'),
    pod('gone', 'bound', { metadata: { name: 'gone', namespace: 'ns', uid: 'uid-gone', deletionTimestamp: 'now' } }),
    pod('done', 'bound', { status: { phase: 'Succeeded' } }),
    pod('unscheduled', 'bound', { spec: { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'bound' } }] } }),
  ];
  assert.deepEqual(desiredPublishes(pods, claims, volumes), [
    { node: 'node-a', podUid: 'uid-a', pvName: 'pv1', volumeHandle: 'vh-pv1', readOnly: false },
    { node: 'node-a', podUid: 'uid-ro', pvName: 'pv1', volumeHandle: 'vh-pv1', readOnly: true },
  ]);
});

const pub = (podUid: string, pvName = 'pv1', node = 'node-a'): CsiPublish => ({
  node,
  podUid,
  pvName,
  volumeHandle: `vh-${pvName}`,
  readOnly: false,
});

test('mounts what is missing, and unstages a volume only when no pod of its node still uses it', () => {
  assert.deepEqual(planCsiActions([pub('a')], []), [{ op: 'mount', publish: pub('a') }]);
  assert.deepEqual(planCsiActions([pub('a')], [pub('a')]), []);
  // Pod b goes while pod a still uses the volume on the same node: unpublish only.
  assert.deepEqual(planCsiActions([pub('a')], [pub('a'), pub('b')]), [{ op: 'unpublish', publish: pub('b') }]);
  // The last user goes: unpublish, then unstage.
  assert.deepEqual(planCsiActions([], [pub('a')]), [
    { op: 'unpublish', publish: pub('a') },
    { op: 'unstage', publish: pub('a') },
  ]);
  // The same volume is replaced by a new pod on the same node: no unstage between.
  assert.deepEqual(planCsiActions([pub('new')], [pub('old')]), [
    { op: 'unpublish', publish: pub('old') },
    { op: 'mount', publish: pub('new') },
  ]);
});
