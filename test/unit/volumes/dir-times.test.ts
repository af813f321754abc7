import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { mkdtemp, mkdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyDirTimes, dirTimesRecord } from '../../../src/volumes/dir-times/files.ts';
import {
  inlineDirTimes,
  inlineDirTimesRecord,
  isInlineDirTimes,
  MAX_INLINE_CHARS,
} from '../../../src/volumes/dir-times/inline.ts';
import {
  dirTimeLine,
  dirTimesPostOrder,
  headerLine,
  nsToSeconds,
  parseRecordLine,
  type DirTime,
} from '../../../src/volumes/dir-times/record.ts';

test('record lines: header, then path and nanosecond time, read back exactly', () => {
  assert.equal(headerLine(), '{"format":"skiff-dir-times","version":1}');
  assert.equal(parseRecordLine(headerLine(), 1), 'header');
  const entry: DirTime = { path: 'docs/nested', mtimeNs: 1709528767123456789n };
  assert.equal(dirTimeLine(entry), '{"path":"docs/nested","mtimeNs":"1709528767123456789"}');
  assert.deepEqual(parseRecordLine(dirTimeLine(entry), 2), entry);
  assert.deepEqual(parseRecordLine('{"path":".","mtimeNs":"0"}', 5), { path: '.', mtimeNs: 0n });
});

test('record lines: a bad header, path or time is refused naming the line', () => {
  assert.throws(() => parseRecordLine('{"format":"other"}', 1), /line 1: not a skiff-dir-times record/);
  assert.throws(
    () => parseRecordLine('{"format":"skiff-dir-times","version":2}', 1),
    /line 1: version 2 is not supported/,
  );
  assert.throws(() => parseRecordLine('not json', 3), /line 3 is not JSON/);
  for (const path of ['/etc', '../up', 'a/../../b', 'a//b', './a', '']) {
    assert.throws(() => parseRecordLine(JSON.stringify({ path, mtimeNs: '1' }), 4), /line 4: path/, path);
  }
  assert.throws(() => parseRecordLine('{"path":"a","mtimeNs":12}', 2), /line 2: "mtimeNs" must be a string of digits/);
});

test('nanoseconds to seconds keeps well under a microsecond at present-day times', () => {
  const ns = 1709528767123456789n;
  assert.ok(Math.abs(nsToSeconds(ns) * 1e9 - Number(ns)) < 1000);
  assert.equal(nsToSeconds(-1_500_000_000n), -1.5);
});

test('walk order: every directory comes after all the directories inside it (deepest first), siblings by name', async () => {
  const tree: Record<string, string[]> = {
    '.': ['b', 'a'],
    a: ['a/y', 'a/x'],
    'a/x': ['a/x/deep'],
    'a/x/deep': [],
    'a/y': [],
    b: [],
  };
  const read = (path: string): Promise<DirTime[]> =>
    Promise.resolve((tree[path] ?? []).map((p) => ({ path: p, mtimeNs: BigInt(p.length) })));
  const order: string[] = [];
  for await (const d of dirTimesPostOrder({ path: '.', mtimeNs: 0n }, read)) order.push(d.path);
  assert.deepEqual(order, ['a/x/deep', 'a/x', 'a/y', 'a', 'b', '.']);
});

test('walk memory: a 10,000-deep chain is walked without recursion', async () => {
  const read = (path: string): Promise<DirTime[]> => {
    const depth = path === '.' ? 0 : path.split('/').length;
    return Promise.resolve(depth < 10_000 ? [{ path: path === '.' ? 'd' : `${path}/d`, mtimeNs: 1n }] : []);
  };
  let count = 0;
  let first = '';
  for await (const d of dirTimesPostOrder({ path: '.', mtimeNs: 0n }, read)) {
    if (count++ === 0) first = d.path;
  }
  assert.equal(count, 10_001);
  assert.equal(first.split('/').length, 10_000);
});

test('a recorded tree gets its directory times back; a symlink out of the volume is refused', async () => {
  const work = await mkdtemp(join(tmpdir(), 'skiff-dir-times-'));
  try {
    const src = join(work, 'src');
    await mkdir(join(src, 'a/b/c'), { recursive: true });
    await mkdir(join(src, 'empty'));
    await writeFile(join(src, 'a/b/c/f'), 'x');
    const times: Record<string, Date> = {
      'a/b/c': new Date('2020-01-01T00:00:00.123Z'),
      'a/b': new Date('2021-01-01T00:00:00Z'),
      a: new Date('2019-01-01T00:00:00Z'),
      empty: new Date('2018-05-05T00:00:00Z'),
      '.': new Date('2017-01-01T00:00:00Z'),
    };
    for (const [p, t] of Object.entries(times)) await utimes(join(src, p), t, t);
    const lines: string[] = [];
    for await (const line of dirTimesRecord(src)) lines.push(line);
    assert.equal(lines.length, 6);
    assert.match(lines.at(-1) ?? '', /"path":"\."/);

    // Same shape elsewhere, all times "now": the record puts them back.
    const dst = join(work, 'dst');
    await mkdir(join(dst, 'a/b/c'), { recursive: true });
    await mkdir(join(dst, 'empty'));
    const result = await applyDirTimes(dst, Readable.from(lines));
    assert.deepEqual(result, { applied: 5, missing: 0 });
    for (const [p, t] of Object.entries(times)) {
      assert.equal((await stat(join(dst, p))).mtimeMs, t.getTime(), p);
    }

    // A directory the tree lacks is counted, not fatal.
    await rm(join(dst, 'empty'), { recursive: true });
    assert.deepEqual(await applyDirTimes(dst, Readable.from(lines)), { applied: 4, missing: 1 });

    // A record leading through a symlink out of the volume is refused.
    const outside = join(work, 'outside');
    await mkdir(join(outside, 'b'), { recursive: true });
    const evil = join(work, 'evil');
    await mkdir(evil);
    await symlink(outside, join(evil, 'a'));
    await assert.rejects(
      applyDirTimes(evil, Readable.from([`${headerLine()}\n`, `${dirTimeLine({ path: 'a/b', mtimeNs: 0n })}\n`])),
      /"a\/b" leads outside the volume/,
    );
    await assert.rejects(applyDirTimes(dst, Readable.from([])), /record is empty/);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('inline record: a small tree travels in the value itself and sets the same times back', async () => {
  const work = await mkdtemp(join(tmpdir(), 'skiff-dir-times-inline-'));
  try {
    const src = join(work, 'src');
    await mkdir(join(src, 'a/b'), { recursive: true });
    const when = new Date('2021-03-04T05:06:07.000Z');
    for (const p of ['a/b', 'a', '.']) await utimes(join(src, p), when, when);
    const value = await inlineDirTimes(dirTimesRecord(src));
    assert.ok(value !== undefined && isInlineDirTimes(value) && value.length <= MAX_INLINE_CHARS);

    const dst = join(work, 'dst');
    await mkdir(join(dst, 'a/b'), { recursive: true });
    assert.deepEqual(await applyDirTimes(dst, inlineDirTimesRecord(value)), { applied: 3, missing: 0 });
    for (const p of ['a/b', 'a', '.']) assert.equal((await stat(join(dst, p))).mtimeMs, when.getTime(), p);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('inline record: too many directories stay out of it; a damaged value is refused', async () => {
  const many = [`${headerLine()}\n`];
  for (let i = 0; i < 5000; i++)
    many.push(`${dirTimeLine({ path: `d${i}/${i * 7919}`, mtimeNs: BigInt(i) * 999_983n })}\n`);
  assert.equal(await inlineDirTimes(Readable.from(many)), undefined);
  assert.equal(isInlineDirTimes('k1a2b3c'), false);
  assert.throws(() => inlineDirTimesRecord('inline:not base64!'), /not base64url/);
  assert.throws(() => inlineDirTimesRecord('inline:AAAA'), /does not decompress/);
});
