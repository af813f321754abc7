import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  resolveVolumePath,
  skipReason,
  volumeDirName,
  VolumePathError,
  type PodLike,
} from '../../../src/volumes/host-path.ts';

const hostRoot = mkdtempSync(join(tmpdir(), 'skiff-host-path-'));
after(() => rmSync(hostRoot, { recursive: true, force: true }));
const uid = '6f1d2c3a-0000-4000-8000-000000000001';
const volumes = join(hostRoot, 'var/lib/kubelet/pods', uid, 'volumes');
mkdirSync(join(volumes, 'kubernetes.io~empty-dir/cache'), { recursive: true });
mkdirSync(join(volumes, 'kubernetes.io~csi/pvc-csi/mount'), { recursive: true });
mkdirSync(join(hostRoot, 'mnt/skiff-volumes/pvc-local'), { recursive: true });
mkdirSync(join(volumes, 'kubernetes.io~local-volume'), { recursive: true });
symlinkSync('../../../../../../../mnt/skiff-volumes/pvc-local', join(volumes, 'kubernetes.io~local-volume/pvc-local'));
symlinkSync(tmpdir(), join(volumes, 'kubernetes.io~local-volume/escapes'));
mkdirSync(join(volumes, 'kubernetes.io~nfs/twice'), { recursive: true });
mkdirSync(join(volumes, 'kubernetes.io~empty-dir/twice'), { recursive: true });

test('the directory name is the PV name, <pv>/mount for CSI file-system PVs, else the volume name', () => {
  const claim = { name: 'data', persistentVolumeClaim: { claimName: 'data' } };
  assert.equal(volumeDirName(claim, { metadata: { name: 'pvc-local' }, spec: {} }), 'pvc-local');
  assert.equal(volumeDirName(claim, { metadata: { name: 'pvc-csi' }, spec: { csi: {} } }), 'pvc-csi/mount');
  assert.equal(volumeDirName(claim, { metadata: { name: 'pvc-b' }, spec: { csi: {}, volumeMode: 'Block' } }), 'pvc-b');
  assert.equal(volumeDirName({ name: 'cache', emptyDir: {} }), 'cache');
  assert.equal(volumeDirName({ name: 'inline', csi: {} }), 'inline/mount');
  assert.throws(() => volumeDirName(claim), /not bound/);
});

test('a volume resolves to its one directory, through a symlink inside the host root', async () => {
  const real = await resolveVolumePath(hostRoot, uid, 'pvc-local');
  assert.ok(real.endsWith(join('mnt/skiff-volumes/pvc-local')), real);
  assert.ok((await resolveVolumePath(hostRoot, uid, 'cache')).endsWith('kubernetes.io~empty-dir/cache'));
  assert.ok((await resolveVolumePath(hostRoot, uid, 'pvc-csi/mount')).endsWith('kubernetes.io~csi/pvc-csi/mount'));
});

test("the kubelet's pods folder may be mounted elsewhere (Velero's /host_pods)", async () => {
  const pods = join(hostRoot, 'var/lib/kubelet/pods');
  const found = await resolveVolumePath(pods, uid, 'cache', pods);
  assert.ok(found.endsWith('kubernetes.io~empty-dir/cache'));
  await assert.rejects(resolveVolumePath(pods, uid, 'pvc-local', pods), /outside the host root/);
});

test('no match, two matches, a path outside the host root and odd names are refused with the reason', async () => {
  await assert.rejects(resolveVolumePath(hostRoot, uid, 'missing'), /no directory for volume "missing"/);
  await assert.rejects(resolveVolumePath(hostRoot, uid, 'twice'), /matches 2 directories/);
  await assert.rejects(resolveVolumePath(hostRoot, uid, 'escapes'), /outside the host root/);
  await assert.rejects(resolveVolumePath(hostRoot, uid, '../x'), VolumePathError);
  await assert.rejects(resolveVolumePath(hostRoot, 'a/../b', 'cache'), /is not a UID/);
  await assert.rejects(
    resolveVolumePath(hostRoot, '6f1d2c3a-0000-4000-8000-000000000002', 'cache'),
    /no volumes of pod/,
  );
});

test('skip reasons: the volume types Velero skips, token volumes, block, unmounted, hostPath PVs', () => {
  const pod: PodLike = {
    metadata: { uid },
    spec: {
      containers: [
        {
          volumeMounts: ['data', 'cache', 'hp', 'sec', 'cm', 'proj', 'dapi', 'default-token-x'].map((name) => ({
            name,
          })),
          volumeDevices: [{ name: 'raw' }],
        },
      ],
      initContainers: [{ volumeMounts: [{ name: 'init-only' }] }],
    },
  };
  const reason = (v: object, pv?: object): string | undefined => skipReason(v as never, pod, pv as never);
  assert.equal(reason({ name: 'data', persistentVolumeClaim: { claimName: 'd' } }), undefined);
  assert.equal(reason({ name: 'cache', emptyDir: {} }), undefined);
  assert.equal(reason({ name: 'init-only', emptyDir: {} }), undefined);
  assert.match(reason({ name: 'hp', hostPath: { path: '/x' } }) ?? '', /hostPath/);
  assert.match(reason({ name: 'sec', secret: {} }) ?? '', /secret/);
  assert.match(reason({ name: 'cm', configMap: {} }) ?? '', /configMap/);
  assert.match(reason({ name: 'proj', projected: {} }) ?? '', /projected/);
  assert.match(reason({ name: 'dapi', downwardAPI: {} }) ?? '', /downwardAPI/);
  assert.match(reason({ name: 'default-token-x', emptyDir: {} }) ?? '', /token/);
  assert.match(reason({ name: 'raw', persistentVolumeClaim: { claimName: 'r' } }) ?? '', /block/);
  assert.match(reason({ name: 'unused', emptyDir: {} }) ?? '', /no container mounts/);
  assert.match(
    reason(
      { name: 'data', persistentVolumeClaim: { claimName: 'd' } },
      { metadata: { name: 'pv1' }, spec: { hostPath: {} } },
    ) ?? '',
    /hostPath PersistentVolume pv1/,
  );
});
