import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseClientConfig, readClientConfig } from '../../../src/cli/context.ts';
import { httpGet } from '../../../src/cli/download-request.ts';
import { selfSignedServingCert } from '../../../src/tenant/view/serving-cert.ts';

describe("Velero's client config file (reference §8.1)", () => {
  test('namespace and cacert are read; unmet features and colours are noted, naming the key', () => {
    const file = '/home/u/.config/velero/config.json';
    assert.deepEqual(parseClientConfig({ namespace: 'backups', cacert: '/etc/ca.pem', features: 'EnableCSI' }, file), {
      namespace: 'backups',
      cacert: '/etc/ca.pem',
    });
    assert.deepEqual(parseClientConfig({ features: 'EnableCSI,EnableFoo', colorized: 'true' }, file).notes, [
      `${file}: features EnableFoo: skiff has no such client feature; remove them`,
      `${file}: colorized "true": skiff prints no colours; remove the key`,
    ]);
    assert.deepEqual(parseClientConfig({ colorized: 'false', features: '' }, file), {});
  });

  describe('cacert is trusted for a signed download URL', () => {
    let home: string;
    let url: string;
    const server = createServer();

    before(async () => {
      home = await mkdtemp(join(tmpdir(), 'skiff-client-config-'));
      const { certPem, keyPem } = selfSignedServingCert(['localhost'], ['127.0.0.1'], 1);
      server.setSecureContext({ cert: certPem, key: keyPem });
      server.on('request', (_req, res) => res.end('the log'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/signed`;
      await mkdir(join(home, '.config', 'velero'), { recursive: true });
      await writeFile(join(home, 'ca.pem'), certPem);
    });

    after(async () => {
      server.close();
      await rm(home, { recursive: true, force: true });
    });

    test('without it the private CA is not trusted; with it the file is fetched', async () => {
      const config = join(home, '.config', 'velero', 'config.json');
      await writeFile(config, JSON.stringify({ namespace: 'velero' }));
      await assert.rejects(httpGet(url, { HOME: home }));
      await writeFile(config, JSON.stringify({ cacert: join(home, 'ca.pem') }));
      assert.equal(readClientConfig({ HOME: home }).cacert, join(home, 'ca.pem'));
      const res = await httpGet(url, { HOME: home });
      assert.equal(await res.text(), 'the log');
    });

    test('--cacert trusts the CA without a client config; --insecure-skip-tls-verify checks no certificate', async () => {
      const config = join(home, '.config', 'velero', 'config.json');
      await writeFile(config, JSON.stringify({ namespace: 'velero' }));
      const flagged = await httpGet(url, { HOME: home }, { cacert: join(home, 'ca.pem') });
      assert.equal(await flagged.text(), 'the log');
      const unchecked = await httpGet(url, { HOME: home }, { insecureSkipTlsVerify: true });
      assert.equal(await unchecked.text(), 'the log');
      // The flag wins over the config file's cacert.
      await writeFile(config, JSON.stringify({ cacert: '/nonexistent/ca.pem' }));
      assert.equal(await (await httpGet(url, { HOME: home }, { cacert: join(home, 'ca.pem') })).text(), 'the log');
    });

    test('a cacert that cannot be read is an error naming it', async () => {
      await writeFile(
        join(home, '.config', 'velero', 'config.json'),
        JSON.stringify({ cacert: '/nonexistent/ca.pem' }),
      );
      await assert.rejects(
        httpGet(url, { HOME: home }),
        /cacert \/nonexistent\/ca\.pem of the client config could not be read/,
      );
    });
  });
});
