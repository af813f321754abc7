/**
 * The image the server Deployment and the node-agent DaemonSet run (Dockerfile), checked as
 * text: no Docker daemon here to build it. It must carry both uploaders the node agent runs,
 * kopia at the version the tests use, and start the CLI the way bin/skiff.mjs starts a server.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
// @ts-expect-error: plain JavaScript run before the TypeScript is loaded; no declarations
import * as serverProcess from '../../../bin/server-process.mjs';
import { IMAGE_COMMAND } from '../../../src/cli/install/deployment.ts';

const { SERVER_NODE_FLAGS, NODE_AGENT_NODE_FLAGS } = serverProcess as {
  SERVER_NODE_FLAGS: string[];
  NODE_AGENT_NODE_FLAGS: string[];
};

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

test('the image’s skiff command runs the bundle with each command’s Node flags and no source maps', () => {
  const wrapper = /RUN printf ('#!\/bin\/sh\\n.*') > (\S+)/.exec(finalStage);
  assert.ok(wrapper, 'the wrapper script is written in the final stage');
  assert.equal(wrapper[2], IMAGE_COMMAND[0], 'where the Deployment and DaemonSet run it');
  // Written as the image build writes it, then run with a `node` that prints what it was given.
  const dir = mkdtempSync(join(tmpdir(), 'skiff-wrapper-'));
  try {
    const script = join(dir, 'skiff');
    execFileSync('sh', ['-c', `printf ${wrapper[1] ?? ''} > ${script}`]);
    writeFileSync(join(dir, 'node'), '#!/bin/sh\necho "$@"\n', { mode: 0o755 });
    const run = (...args: string[]): string[] =>
      execFileSync('sh', [script, ...args], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } })
        .toString()
        .trim()
        .split(' ');
    // The DaemonSet runs `skiff node-agent ...` (src/cli/install/node-agent.ts).
    assert.deepEqual(run('node-agent', '--host-root=/host_pods'), [
      ...NODE_AGENT_NODE_FLAGS,
      '/app/dist/skiff.mjs',
      'node-agent',
      '--host-root=/host_pods',
    ]);
    assert.deepEqual(run('server'), [...SERVER_NODE_FLAGS, '/app/dist/skiff.mjs', 'server']);
    assert.deepEqual(run('backup', 'get'), [...SERVER_NODE_FLAGS, '/app/dist/skiff.mjs', 'backup', 'get']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
