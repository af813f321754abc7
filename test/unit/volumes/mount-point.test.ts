import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isMountPoint, mountPoints, waitForMountPoint } from '../../../src/volumes/node-agent/mount-point.ts';

test('mountinfo: the fifth field of each line, with its octal escapes undone', () => {
  const text = [
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
    '613 22 0:52 /csi/vol /var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/pv\\040one/mount ro - xfs /dev/loop0 rw',
    '',
  ].join('\n');
  assert.deepEqual([...mountPoints(text)], ['/', '/var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/pv one/mount']);
});

test('a mount point is one, a plain folder and a missing path are not', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-mount-'));
  try {
    assert.equal(await isMountPoint('/proc'), true);
    assert.equal(await isMountPoint(dir), false);
    assert.equal(await isMountPoint(join(dir, 'missing')), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('waiting for a folder that is never mounted fails naming it; a mounted one is ready at once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-mount-'));
  try {
    await waitForMountPoint('/proc', 1_000);
    await assert.rejects(waitForMountPoint(dir, 250), (err: Error) =>
      err.message.startsWith(`${dir} exists but is not mounted after 0s`),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
