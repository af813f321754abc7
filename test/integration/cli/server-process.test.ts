/**
 * `skiff server` started as the README starts it (`node bin/skiff.mjs server`) is one process:
 * it re-executes itself with the server's V8 flags in place (process.execve) instead of keeping
 * a supervising parent with a Node heap of its own (ADR 0004), and SIGTERM stops it cleanly.
 */
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, describe, test } from 'node:test';
// @ts-expect-error: plain JavaScript run before the TypeScript is loaded; no declarations
import { SERVER_NODE_FLAGS } from '../../../bin/server-process.mjs';
// @ts-expect-error: plain JavaScript run before the TypeScript is loaded; no declarations
import { nodeTooOld } from '../../../bin/node-version.mjs';
import { adminCluster, core, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { commandLine, descendants } from '../../helpers/process-tree.ts';
import { startSkiffServer } from './run-skiff.ts';

const cluster = adminCluster();
const SYSTEM_NODE = '/usr/bin/node';
const serverFlags = SERVER_NODE_FLAGS as string[];

/** The processes below `pid` that run Node (tsx's esbuild service, for one, is not Node). */
function nodeDescendants(pid: number): number[] {
  return descendants(pid).filter((p) => /(^|\/)node$/.test(commandLine(p)[0] ?? ''));
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

describe('the skiff server process', { concurrency: false }, () => {
  const namespaces: string[] = [];
  after(async () => {
    for (const ns of namespaces) await cluster.delete(core('namespaces'), ns).catch(() => undefined);
  });

  test('`node bin/skiff.mjs server` is a single process with the server flags, and SIGTERM stops it', async () => {
    const ns = uniqueName('skiff-proc');
    namespaces.push(ns);
    const server = startSkiffServer(['-n', ns, '--metrics-address', '']);
    const pid = server.child.pid ?? 0;
    await waitFor('the server to start', () => Promise.resolve(/skiff server started/.test(server.logs())), 60_000);

    assert.deepEqual(nodeDescendants(pid), [], 'no second Node process supervises or serves');
    const args = commandLine(pid);
    for (const flag of serverFlags)
      assert.ok(args.includes(flag), `the process started runs with ${flag}: ${args.join(' ')}`);

    server.child.kill('SIGTERM');
    assert.deepEqual(await exited(server.child), { code: 0, signal: null }, server.logs());
    assert.match(server.logs(), /skiff server stopped/);
  });

  const oldNode = existsSync(SYSTEM_NODE)
    ? spawnSync(SYSTEM_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim()
    : '';
  test(
    'under a Node too old for Skiff, the old Node is the only parent: the pinned Node it starts is the server',
    {
      skip:
        oldNode && (nodeTooOld as (v: string) => boolean)(oldNode) ? false : `${SYSTEM_NODE} is not an old Node here`,
    },
    async () => {
      const ns = uniqueName('skiff-proc');
      namespaces.push(ns);
      const server = startSkiffServer(['-n', ns, '--metrics-address', ''], { node: SYSTEM_NODE });
      const pid = server.child.pid ?? 0;
      await waitFor('the server to start', () => Promise.resolve(/skiff server started/.test(server.logs())), 60_000);

      const nodes = nodeDescendants(pid);
      assert.equal(
        nodes.length,
        1,
        `one Node below the old one: ${nodes.map((p) => commandLine(p).join(' ')).join('; ')}`,
      );
      const args = commandLine(nodes[0] ?? 0);
      for (const flag of serverFlags) assert.ok(args.includes(flag), `the server runs with ${flag}: ${args.join(' ')}`);

      server.child.kill('SIGTERM');
      assert.deepEqual(await exited(server.child), { code: 0, signal: null }, server.logs());
      assert.match(server.logs(), /skiff server stopped/);
    },
  );
});
