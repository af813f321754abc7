import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { volumesWithoutMarker, waitForRestoredVolumes } from '../../../../src/restore/volumes/restore-helper.ts';

async function marker(dir: string, uid: string): Promise<void> {
  await mkdir(join(dir, '.velero'), { recursive: true });
  await writeFile(join(dir, '.velero', uid), '');
}

describe('skiff restore-helper (reference §6.5 step 4)', () => {
  test('waits until every volume (symlinked ones too) has .velero/<uid>, then removes .velero', async () => {
    const root = await mkdtemp(join(tmpdir(), 'restore-helper-'));
    try {
      const restores = join(root, 'restores');
      await mkdir(join(restores, 'data'), { recursive: true });
      await mkdir(join(root, 'elsewhere'));
      await symlink(join(root, 'elsewhere'), join(restores, 'scratch'));
      await writeFile(join(restores, 'data', 'keep.txt'), 'x');
      await marker(join(restores, 'data'), 'other-restore');
      assert.deepEqual(await volumesWithoutMarker(restores, 'u1'), ['data', 'scratch']);
      const seen: string[][] = [];
      const waiting = waitForRestoredVolumes(restores, 'u1', {
        pollMs: 5,
        onWaiting: (v) => {
          seen.push([...v]);
          // The node agent finishing one volume per look.
          if (v.includes('data')) void marker(join(restores, 'data'), 'u1');
          else void marker(join(root, 'elsewhere'), 'u1');
        },
      });
      assert.deepEqual(await waiting, ['data', 'scratch']);
      assert.deepEqual(seen[0], ['data', 'scratch']);
      assert.equal(existsSync(join(restores, 'data', '.velero')), false);
      assert.equal(existsSync(join(root, 'elsewhere', '.velero')), false);
      assert.equal(existsSync(join(restores, 'data', 'keep.txt')), true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test('stops when aborted, leaving the pod held', async () => {
    const root = await mkdtemp(join(tmpdir(), 'restore-helper-'));
    try {
      await mkdir(join(root, 'data'));
      const controller = new AbortController();
      const waiting = waitForRestoredVolumes(root, 'u1', {
        pollMs: 5,
        signal: controller.signal,
        onWaiting: () => controller.abort(),
      });
      await assert.rejects(waiting, { name: 'AbortError' });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
