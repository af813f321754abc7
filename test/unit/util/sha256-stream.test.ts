import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { sha256Stream } from '../../../src/util/sha256-stream.ts';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const chunks = [Buffer.from('first part, '), Buffer.from('second part, '), Buffer.from('the end')];

test('the digest is of the bytes the consumer read, which pass through unchanged', async () => {
  const checked = sha256Stream(Readable.from(chunks));
  const read: Buffer[] = [];
  for await (const chunk of checked.stream) read.push(chunk as Buffer);
  assert.deepEqual(Buffer.concat(read), Buffer.concat(chunks));
  assert.equal(await checked.digest(), sha256(Buffer.concat(chunks)));
});

test('bytes the consumer left unread are read and counted before the digest is given', async () => {
  const checked = sha256Stream(Readable.from(chunks));
  assert.equal(await checked.digest(), sha256(Buffer.concat(chunks)));
});

test('a source that fails gives no digest', async () => {
  const failing = new Readable({
    read() {
      this.destroy(new Error('the bucket went away'));
    },
  });
  const checked = sha256Stream(failing);
  await assert.rejects(checked.digest(), /the bucket went away/);
});
