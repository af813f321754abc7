import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { makeScratchDir, scratchOwner, sweepDeadScratchDirs } from '../../../src/util/scratch-dir.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

test('a scratch folder names the process and host that made it', async () => {
  const parent = tempDir('skiff-scratch-test-');
  const dir = await makeScratchDir('restore', parent);
  assert.deepEqual(scratchOwner(basename(dir)), { pid: process.pid, host: hostname().replace(/[^A-Za-z0-9.-]/g, '_') });
  assert.deepEqual(scratchOwner('skiff-resource-list-p42.node-a.example-AbC123'), { pid: 42, host: 'node-a.example' });
  // Names from before owners were recorded, and anything else, have no owner.
  assert.equal(scratchOwner('skiff-log-AbC123'), undefined);
  assert.equal(scratchOwner('skiff-repositories'), undefined);
  assert.equal(scratchOwner('skiff-other-p42.host-AbC123'), undefined);
});

test('a starting server removes the folders of stopped processes of its host only', async () => {
  const parent = tempDir('skiff-scratch-test-');
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '_');
  const names = {
    dead: `skiff-upload-p999001.${host}-aaaaaa`,
    deadLog: `skiff-log-p999002.${host}-bbbbbb`,
    alive: `skiff-restore-p999003.${host}-cccccc`,
    otherHost: `skiff-log-p999001.another-host-dddddd`,
    legacy: 'skiff-log-eeeeee',
    mine: basename(await makeScratchDir('log', parent)),
  };
  for (const name of Object.values(names)) {
    await mkdir(join(parent, name), { recursive: true });
    await writeFile(join(parent, name, 'body'), 'spooled');
  }
  const removed = await sweepDeadScratchDirs(parent, (pid) => pid === 999003);
  assert.deepEqual(removed.sort(), [names.dead, names.deadLog].sort());
  assert.deepEqual((await readdir(parent)).sort(), [names.alive, names.otherHost, names.legacy, names.mine].sort());
});

test('sweeping a folder that does not exist removes nothing', async () => {
  assert.deepEqual(await sweepDeadScratchDirs(join(tempDir('skiff-scratch-test-'), 'gone')), []);
});
