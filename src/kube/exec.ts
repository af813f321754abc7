import { Exec, type V1Status } from '@kubernetes/client-node';
import { PassThrough } from 'node:stream';
import type { KubeClient } from './client.ts';

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
}

/** Runs a command in a container through the API server and collects its output. */
export async function execInPod(client: KubeClient, opts: ExecOptions): Promise<ExecResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const exec = new Exec(client.kubeConfig);
  const status = await new Promise<V1Status>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(
          `exec ${opts.command.join(' ')} in ${opts.namespace}/${opts.pod} timed out after ${opts.timeoutMs ?? 30_000} ms`,
        ),
      );
    }, opts.timeoutMs ?? 30_000);
    exec
      .exec(opts.namespace, opts.pod, opts.container, opts.command, stdout, stderr, null, false, (s) => {
        clearTimeout(timer);
        resolve(s);
      })
      .then((socket) => {
        // isomorphic-ws's type does not resolve here; the socket is a `ws` WebSocket.
        const ws = socket as unknown as { on(event: 'error', cb: (e: Error) => void): void };
        ws.on('error', (e: Error) => {
          clearTimeout(timer);
          reject(e);
        });
        timer.unref();
      })
      .catch((e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      });
  });
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), status };
}
