#!/usr/bin/env node
// Entry for the `skiff` bin. Runs the bundle of `npm run build` (dist/skiff.mjs) when it is
// newer than every file under src/ and than package-lock.json: it starts in a fraction of the
// time and memory of tsx. Otherwise runs the TypeScript through tsx as before, because a stale
// bundle must never run in place of code that has since been edited (or deleted: a directory's
// mtime changes then, so directories count too).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundle, bundleIsFresh } from './bundle.mjs';
import { nodeTooOld, nodeTooOldMessage } from './node-version.mjs';
import {
  SERVER_CHILD_ENV,
  missingServerFlags,
  nodeFlagsFor,
  serverFlagsApplied,
  subcommand,
} from './server-process.mjs';

/**
 * Starts `command args` and lives only as its thin parent: passes signals on and exits as it does.
 * `what` names it in the message when it cannot start.
 */
function runChildAndExit(command, args, options, what) {
  const child = spawn(command, args, options);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    for (const s of signals) process.removeAllListeners(s);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
  child.on('error', (err) => {
    console.error(`skiff: cannot start ${what}: ${err.message}`);
    process.exit(1);
  });
}

/** Runs this same command under `node`: moves from a Node too old for Skiff to the pinned one. */
function rerunUnder(node) {
  runChildAndExit(node, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' }, node);
}

/**
 * `skiff server` runs in a Node started with SERVER_NODE_FLAGS (`skiff node-agent`: with
 * NODE_AGENT_NODE_FLAGS; nodeFlagsFor): V8 reads heap settings only at
 * start-up. Where Node has `process.execve` (22.15, 23.11 and later) this process becomes that
 * Node: one process, same PID, so signals and a container's memory limit meet the server itself
 * and no supervising parent costs a second Node heap (ADR 0004). Elsewhere a child is started,
 * and this process stays as its thin parent that passes signals on and exits as it does.
 */
function runServerWithFlags(nodeFlags) {
  const flags = missingServerFlags(process.execArgv, process.env.NODE_OPTIONS, nodeFlags);
  const args = [...flags, ...process.execArgv, ...process.argv.slice(1)];
  if (typeof process.execve === 'function') {
    // Never returns: Node aborts the process should the exec of its own executable fail.
    process.execve(process.execPath, [process.execPath, ...args], process.env);
  }
  // The IPC channel is how the server learns that this parent died, even by SIGKILL.
  runChildAndExit(
    process.execPath,
    args,
    { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], env: { ...process.env, [SERVER_CHILD_ENV]: '1' } },
    'the server process',
  );
}

// Not import.meta.dirname: Node before 20.11 lacks it, and this file must run there long enough
// to say which Node it needs.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pinnedNode = join(root, 'node_modules', '.bin', 'node');
if (nodeTooOld(process.versions.node)) {
  if (!existsSync(pinnedNode)) {
    console.error(nodeTooOldMessage(process.versions.node, root));
    process.exit(1);
  }
  rerunUnder(pinnedNode);
} else {
  if (process.env[SERVER_CHILD_ENV] === '1' && process.channel) {
    // Started by runServerWithFlags: die with the parent, as a server killed outright would, and
    // never run on as a second server nobody can stop.
    delete process.env[SERVER_CHILD_ENV];
    process.channel.unref();
    process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
  }
  const nodeFlags = nodeFlagsFor(subcommand(process.argv.slice(2)));
  if (nodeFlags && !serverFlagsApplied(process.execArgv, process.env.NODE_OPTIONS, nodeFlags)) {
    runServerWithFlags(nodeFlags);
  } else if (bundleIsFresh()) {
    await import(pathToFileURL(bundle).href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import('../src/cli/main.ts');
  }
}
