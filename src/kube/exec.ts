// Deep imports: the package's index loads every generated model (see client.ts).
import { Exec } from '@kubernetes/client-node/dist/exec.js';
import type { V1Status } from '@kubernetes/client-node/dist/gen/models/V1Status.js';
import { PassThrough } from 'node:stream';
import type { KubeClient } from './client.ts';
import { execEnd, type ExecEnd } from './exec-status.ts';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** The Status the API server sent at the end: `Success`, or `Failure` with a message. */
  status: V1Status;
}

export interface ExecOptions {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  timeoutMs?: number;
  /** Aborting closes the stream, like a timeout. */
  signal?: AbortSignal;
}

/** The command ran longer than its time limit; the stream was closed (the command may go on in the container). */
export class ExecTimeoutError extends Error {
  constructor(
    readonly timeoutMs: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`timed out after ${formatMs(timeoutMs)}`);
    this.name = 'ExecTimeoutError';
  }
}

const DEFAULT_EXEC_TIMEOUT_MS = 30_000;

/**
 * Runs a command in a container through the API server (`pods/exec` over a websocket) and
 * collects its output. No stdin is attached, so a command never waits for one to close
 * (kwok never closes it, testenv §4.5). Past `timeoutMs` the websocket is closed and the
 * call rejects with ExecTimeoutError.
 */
export async function execInPod(client: KubeClient, opts: ExecOptions): Promise<ExecResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const text = (chunks: Buffer[]): string => Buffer.concat(chunks).toString('utf8');
  const exec = new Exec(client.kubeConfig);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  // isomorphic-ws's type does not resolve here; the socket is a `ws` WebSocket.
  type Socket = { on(event: 'error', cb: (e: Error) => void): void; close(): void; terminate?(): void };
  let socket: Socket | undefined;
  let settled = false;
  const status = await new Promise<V1Status>((resolve, reject) => {
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const cutOff = (error: Error): void =>
      finish(() => {
        closeSocket(socket);
        reject(error);
      });
    const timer = setTimeout(() => cutOff(new ExecTimeoutError(timeoutMs, text(out), text(err))), timeoutMs);
    const onAbort = (): void => cutOff(new Error('exec cancelled'));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    exec
      .exec(opts.namespace, opts.pod, opts.container, opts.command, stdout, stderr, null, false, (s) =>
        finish(() => resolve(s)),
      )
      .then((ws) => {
        const opened = ws as unknown as Socket;
        socket = opened;
        if (settled) closeSocket(opened);
        opened.on('error', (e: Error) => finish(() => reject(e)));
      })
      .catch((e: unknown) => finish(() => reject(e instanceof Error ? e : new Error(String(e)))));
  });
  return { stdout: text(out), stderr: text(err), status };
}

/** The outcome of a command as hooks see it: its output and how it ended, a timeout included. */
export interface ExecOutcome {
  stdout: string;
  stderr: string;
  end: ExecEnd | { ok: false; message: string; timedOut: true };
}

/** `execInPod`, with the Status read (`execEnd`) and a timeout or transport error turned into a failed end. */
export async function runInPod(client: KubeClient, opts: ExecOptions): Promise<ExecOutcome> {
  try {
    const r = await execInPod(client, opts);
    return { stdout: r.stdout, stderr: r.stderr, end: execEnd(r.status) };
  } catch (e) {
    if (e instanceof ExecTimeoutError)
      return { stdout: e.stdout, stderr: e.stderr, end: { ok: false, message: e.message, timedOut: true } };
    return { stdout: '', stderr: '', end: { ok: false, message: e instanceof Error ? e.message : String(e) } };
  }
}

function closeSocket(socket: { close(): void; terminate?(): void } | undefined): void {
  if (!socket) return;
  try {
    if (socket.terminate) socket.terminate();
    else socket.close();
  } catch {
    // already closed
  }
}

/** `1m30s`-style text for a time limit, as Go prints durations. */
export function formatMs(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}
