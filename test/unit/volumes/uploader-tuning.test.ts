/**
 * The node agent's bounds on the kopia or restic process (--uploader-memory-limit,
 * --uploader-gc-percent, --uploader-parallel-files): parsed from flags or the environment, and
 * what the tool is then started with. The tool here is a stand-in script that records its
 * arguments and Go settings; the real tools run in the integration tests and bench:fs.
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { uploaderTuningFrom } from '../../../src/cli/node-agent/node-agent.ts';
import { FlagError } from '../../../src/cli/errors.ts';
import { createUploader, type UploaderTuning } from '../../../src/volumes/uploader/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

test('uploader tuning: flags win over the environment, which wins over the defaults', () => {
  assert.deepEqual(uploaderTuningFrom({}, {}), {
    memoryLimit: { kopia: '96MiB', restic: '104MiB' },
    parallelFiles: 2,
    restoreParallelFiles: 1,
    restoreMemoryLimit: '80MiB',
    resticPackSizeMiB: 4,
    lazyMemoryRelease: [],
  });
  assert.deepEqual(uploaderTuningFrom({}, { SKIFF_UPLOADER_MEMORY_LIMIT: '1GiB', SKIFF_UPLOADER_GC_PERCENT: '50' }), {
    memoryLimit: '1GiB',
    gcPercent: 50,
    parallelFiles: 2,
    restoreParallelFiles: 1,
    resticPackSizeMiB: 4,
    lazyMemoryRelease: [],
  });
  assert.deepEqual(
    uploaderTuningFrom({}, { SKIFF_UPLOADER_PARALLEL_FILES: '3' }),
    {
      memoryLimit: { kopia: '96MiB', restic: '104MiB' },
      parallelFiles: 3,
      restoreMemoryLimit: '80MiB',
      resticPackSizeMiB: 4,
      lazyMemoryRelease: [],
    },
    'a given number of files applies to restores too',
  );
  assert.deepEqual(
    uploaderTuningFrom(
      { uploaderMemoryLimit: 'off', uploaderParallelFiles: '0', resticPackSize: '0' },
      { SKIFF_UPLOADER_MEMORY_LIMIT: '1GiB', SKIFF_UPLOADER_PARALLEL_FILES: '4', SKIFF_RESTIC_PACK_SIZE: '8' },
    ),
    { memoryLimit: 'off', lazyMemoryRelease: [] },
    '0: the tools’ own defaults',
  );
});

test('uploader tuning: a bad value is refused naming the flag', () => {
  assert.throws(
    () => uploaderTuningFrom({ uploaderMemoryLimit: '64Mi', uploaderGcPercent: 'x', uploaderParallelFiles: '-1' }, {}),
    (err: unknown) =>
      err instanceof FlagError &&
      err.problems.length === 3 &&
      /--uploader-memory-limit "64Mi" is not a size such as 64MiB/.test(err.problems[0] ?? '') &&
      /--uploader-gc-percent "x" is not a whole number/.test(err.problems[1] ?? '') &&
      /--uploader-parallel-files "-1" is not a whole number/.test(err.problems[2] ?? ''),
  );
  assert.throws(() => uploaderTuningFrom({ uploaderGcPercent: '0' }, {}), /--uploader-gc-percent must be at least 1/);
});

/** A stand-in for kopia and restic: logs `GOMEMLIMIT GOGC RESTIC_PACK_SIZE args... [GODEBUG]` per run, prints what a backup prints. */
function standInTool(dir: string): { binary: string; runs: () => string[] } {
  const log = join(dir, 'runs.log');
  const binary = join(dir, 'tool');
  writeFileSync(
    binary,
    `#!/bin/sh
echo "\${GOMEMLIMIT:--} \${GOGC:--} \${RESTIC_PACK_SIZE:--} $* [\${GODEBUG:-}]" >> '${log}'
case "$*" in
  *--stdin-file*) cat > /dev/null; echo '{"id":"t1","rootEntry":{"summ":{"size":1}}}' ;;
  "snapshot create"*) echo '{"id":"k1","rootEntry":{"summ":{"size":3}}}' ;;
  "backup"*) echo '{"message_type":"summary","snapshot_id":"r1","total_bytes_processed":3,"data_added":3}' ;;
  "snapshots"*) echo '[{"id":"r1-full"}]' ;;
esac
`,
  );
  chmodSync(binary, 0o755);
  return { binary, runs: () => readFileSync(log, 'utf8').trim().split('\n') };
}

function uploaderWith(type: 'kopia' | 'restic', tuning: UploaderTuning | undefined) {
  const dir = tempDir('skiff-tuning-');
  const tool = standInTool(dir);
  const uploader = createUploader(
    { type, target: { kind: 'filesystem', path: join(dir, 'repo') }, password: 'p', workDir: join(dir, 'work') },
    { kopia: tool.binary, restic: tool.binary },
    tuning,
  );
  return { uploader, dir, runs: tool.runs };
}

test('kopia runs with GOMEMLIMIT and GOGC, and the default files at once unless the backup sets its own', async () => {
  const { uploader, dir, runs } = uploaderWith('kopia', { memoryLimit: '64MiB', gcPercent: 50, parallelFiles: 1 });
  await uploader.backup(dir, { tags: {} });
  await uploader.backup(dir, { tags: {}, parallelFiles: 4 });
  await uploader.restore('k1', dir, {});
  const snapshots = runs().filter((r) => / snapshot (create|restore) /.test(r) && !r.includes('--stdin-file'));
  assert.equal(snapshots.length, 3);
  for (const r of runs()) assert.match(r, /^64MiB 50 - /);
  assert.match(snapshots[0] ?? '', / --parallel=1( |$)/);
  assert.match(snapshots[1] ?? '', / --parallel=4( |$)/, 'spec.uploaderConfig.parallelFilesUpload wins');
  assert.match(snapshots[2] ?? '', / --parallel=1( |$)/);
});

test('by default kopia reads two files at once in a backup and writes one at a time in a restore; a backup or restore setting wins', async () => {
  const { uploader, dir, runs } = uploaderWith('kopia', uploaderTuningFrom({}, {}));
  await uploader.backup(dir, { tags: {} });
  await uploader.restore('k1', dir, {});
  await uploader.restore('k1', dir, { parallelFiles: 4 });
  const snapshots = runs().filter((r) => / snapshot (create|restore) /.test(r) && !r.includes('--stdin-file'));
  assert.equal(snapshots.length, 3);
  assert.match(snapshots[0] ?? '', /snapshot create .* --parallel=2( |$)/);
  assert.match(snapshots[1] ?? '', /snapshot restore .* --parallel=1( |$)/);
  assert.match(
    snapshots[2] ?? '',
    /snapshot restore .* --parallel=4( |$)/,
    'spec.uploaderConfig.parallelFilesDownload wins',
  );
});

test('restic runs with GOMEMLIMIT and its pack size, and no default parallelism (0.14 reads one file at a time)', async () => {
  const { uploader, dir, runs } = uploaderWith('restic', {
    memoryLimit: '64MiB',
    parallelFiles: 1,
    resticPackSizeMiB: 4,
  });
  const result = await uploader.backup(dir, { tags: {} });
  assert.equal(result.snapshotID, 'r1-full');
  for (const r of runs()) assert.match(r, /^64MiB - 4 /);
  assert.ok(runs().every((r) => !r.includes('--parallel')));
});

test('by default each tool gets its own memory limit; a given one applies to both', async () => {
  for (const [type, expected] of [
    ['kopia', /^96MiB - - .*\[\]$/],
    ['restic', /^104MiB - 4 .*\[\]$/],
  ] as const) {
    const { uploader, dir, runs } = uploaderWith(type, uploaderTuningFrom({}, {}));
    await uploader.backup(dir, { tags: {} });
    if (type === 'restic') await uploader.restore('r1-full', dir, {});
    for (const r of runs()) assert.match(r, expected, 'both tools hand freed memory back as Go does by default');
  }
  for (const type of ['kopia', 'restic'] as const) {
    const { uploader, dir, runs } = uploaderWith(
      type,
      uploaderTuningFrom({}, { SKIFF_UPLOADER_MEMORY_LIMIT: '200MiB' }),
    );
    await uploader.backup(dir, { tags: {} });
    if (type === 'kopia') await uploader.restore('k1', dir, {});
    for (const r of runs()) assert.match(r, /^200MiB /);
  }
});

test('a tool named for lazy release runs with GODEBUG=madvdontneed=0, the other as Go does by default', async () => {
  for (const [type, expected] of [
    ['restic', /\[madvdontneed=0\]$/],
    ['kopia', /\[\]$/],
  ] as const) {
    const { uploader, dir, runs } = uploaderWith(type, { lazyMemoryRelease: ['restic'] });
    await uploader.backup(dir, { tags: {} });
    for (const r of runs()) assert.match(r, expected);
  }
});

test('by default a kopia restore runs under a smaller memory limit than a backup (one file at a time)', async () => {
  const { uploader, dir, runs } = uploaderWith('kopia', uploaderTuningFrom({}, {}));
  await uploader.backup(dir, { tags: {} });
  await uploader.restore('k1', dir, {});
  const snapshots = runs().filter((r) => / snapshot (create|restore) /.test(r) && !r.includes('--stdin-file'));
  assert.match(snapshots[0] ?? '', /^96MiB - - snapshot create /);
  assert.match(snapshots[1] ?? '', /^80MiB - - snapshot restore /);
});

test('no tuning: the tools run with their own defaults', async () => {
  const { uploader, dir, runs } = uploaderWith('kopia', undefined);
  await uploader.backup(dir, { tags: {} });
  for (const r of runs()) assert.match(r, /^- - - /);
  assert.ok(runs().every((r) => !r.includes('--parallel')));
});
