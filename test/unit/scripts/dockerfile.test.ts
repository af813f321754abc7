/**
 * The image the server Deployment and the node-agent DaemonSet run (Dockerfile), checked as
 * text: no Docker daemon here to build it. It must carry both uploaders the node agent runs,
 * kopia at the version the tests use, and start the CLI the way bin/skiff.mjs starts a server.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
// @ts-expect-error: plain JavaScript run before the TypeScript is loaded; no declarations
import * as serverProcess from '../../../bin/server-process.mjs';
import { IMAGE_COMMAND } from '../../../src/cli/install/deployment.ts';

const { SERVER_NODE_FLAGS } = serverProcess as { SERVER_NODE_FLAGS: string[] };

const ROOT = join(import.meta.dirname, '..', '..', '..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const stages = dockerfile.split(/^FROM /m).slice(1);
const finalStage = stages.at(-1) ?? '';

test('the image builds kopia from Go modules at the tests’ version and puts it on PATH', () => {
  const versions = readFileSync(join(ROOT, 'scripts', 'testenv', 'versions.env'), 'utf8');
  const kopia = /^KOPIA=(\S+)$/m.exec(versions)?.[1];
  assert.ok(kopia, 'versions.env names a KOPIA version');
  const builder = stages.find((s) => /^\S+ AS kopia$/m.test(s.split('\n')[0] ?? ''));
  assert.ok(builder, 'a builder stage named kopia');
  assert.match(builder, new RegExp(`^ARG KOPIA_VERSION=${kopia.replaceAll('.', '\\.')}$`, 'm'));
  assert.match(builder, /go mod download "github\.com\/kopia\/kopia@v\$KOPIA_VERSION"/);
  assert.match(builder, /go build .* github\.com\/kopia\/kopia/);
  assert.doesNotMatch(dockerfile, /github\.com\/kopia\/kopia\/releases|curl|wget/, 'no release downloads');
  assert.match(finalStage, /^COPY --from=kopia \/out\/kopia \/usr\/local\/bin\/kopia$/m);
});

test('the image installs restic from Debian', () => {
  assert.match(finalStage, /apt-get install -y --no-install-recommends restic ca-certificates/);
});

test('the image’s skiff command runs the bundle with the server’s Node flags and no source maps', () => {
  const wrapper = /printf '#!\/bin\/sh\\nexec node (.*) \/app\/dist\/skiff\.mjs "\$@"\\n' > (\S+)/.exec(finalStage);
  assert.ok(wrapper, 'the wrapper script is written in the final stage');
  assert.equal(wrapper[2], IMAGE_COMMAND[0], 'where the Deployment and DaemonSet run it');
  assert.deepEqual(wrapper[1]?.split(' '), SERVER_NODE_FLAGS);
});
