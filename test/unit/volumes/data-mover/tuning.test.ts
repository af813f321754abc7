/**
 * The data mover's kopia (--data-mover-memory-limit, --data-mover-parallel-files): kopia's own defaults unless
 * a flag or the environment bounds it, apart from the file-system backup's bounds; bad values are refused
 * naming the flag. How kopia is then started is tested with the uploader's tuning (uploader-tuning.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uploaderTuningFrom } from '../../../../src/cli/node-agent/node-agent.ts';
import { dataMoverRepositoryContext, dataMoverTuningFrom } from '../../../../src/volumes/data-mover/tuning.ts';

test('data mover tuning: kopia’s defaults unless a flag or the environment says', () => {
  assert.deepEqual(dataMoverTuningFrom({}, {}), { tuning: {}, problems: [] });
  assert.deepEqual(
    dataMoverTuningFrom({}, { SKIFF_DATA_MOVER_MEMORY_LIMIT: '512MiB', SKIFF_DATA_MOVER_PARALLEL_FILES: '2' }),
    { tuning: { memoryLimit: '512MiB', parallelFiles: 2 }, problems: [] },
  );
  assert.deepEqual(
    dataMoverTuningFrom(
      { dataMoverMemoryLimit: 'off', dataMoverParallelFiles: '0' },
      { SKIFF_DATA_MOVER_MEMORY_LIMIT: '512MiB', SKIFF_DATA_MOVER_PARALLEL_FILES: '2' },
    ),
    { tuning: {}, problems: [] },
    'flags win; "off" and 0 are kopia’s own',
  );
});

test('data mover tuning: a bad value is a problem naming the flag', () => {
  const { problems } = dataMoverTuningFrom({ dataMoverMemoryLimit: '1G', dataMoverParallelFiles: 'many' }, {});
  assert.equal(problems.length, 2);
  assert.match(problems[0] ?? '', /--data-mover-memory-limit "1G" is not a size/);
  assert.match(problems[1] ?? '', /--data-mover-parallel-files "many" is not a whole number/);
});

test('the data mover opens its repository with its own tuning, not the file-system backup’s', () => {
  const agent = {
    namespace: 'velero',
    workRoot: '/tmp/skiff-none',
    uploaderTuning: uploaderTuningFrom({}, {}),
  };
  assert.deepEqual(dataMoverRepositoryContext(agent).uploaderTuning, {});
  assert.deepEqual(dataMoverRepositoryContext({ ...agent, dataMoverTuning: { parallelFiles: 3 } }).uploaderTuning, {
    parallelFiles: 3,
  });
  assert.equal(dataMoverRepositoryContext(agent).workRoot, '/tmp/skiff-none', 'the rest is the agent’s');
});
