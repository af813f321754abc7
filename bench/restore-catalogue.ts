/**
 * `node --import tsx bench/restore-catalogue.ts --backup NAME --prefix P [--rounds 5]`
 * The restore's catalogue read alone (`readBackupCatalogue`: gunzip, tar, one parse per kept item,
 * spool and index), which runs before a restore's first create: the backup's tarball is fetched
 * from MinIO once, then read from memory `--rounds` times in this process. Prints the CPU and
 * wall time of each round.
 */
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { readBackupCatalogue } from '../src/restore/index.ts';
import { loadTestEnv } from '../test/helpers/testenv.ts';
import { benchStore } from './bench-env.ts';

const { values } = parseArgs({
  options: {
    backup: { type: 'string' },
    prefix: { type: 'string' },
    rounds: { type: 'string', default: '5' },
  },
});
const store = await benchStore(loadTestEnv(), values.prefix ?? 'bench');
const chunks: Buffer[] = [];
for await (const chunk of await store.getBackupContents(values.backup ?? '')) chunks.push(chunk as Buffer);
const tarball = Buffer.concat(chunks);
for (let i = 0; i < Number(values.rounds); i++) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  // 16 KiB pieces, about as the S3 client's body stream hands them over.
  const catalogue = await readBackupCatalogue(Readable.from(pieces(tarball, 16 * 1024)));
  const used = process.cpuUsage(cpu);
  let items = 0;
  for (const gr of catalogue.groupResources) items += catalogue.count(gr);
  await catalogue.dispose();
  console.log(
    JSON.stringify({
      round: i + 1,
      items,
      ms: Math.round(performance.now() - start),
      cpuMs: Math.round((used.user + used.system) / 1000),
    }),
  );
}

function* pieces(buf: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < buf.length; at += size) yield buf.subarray(at, at + size);
}
