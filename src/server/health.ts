import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerMetrics } from './metrics.ts';

/**
 * Whether the server is ready, for `/readyz`. Velero has no readiness endpoint; Skiff's answer:
 *
 * - leader: ready once every controller's informer has listed its objects for the first time,
 *   so that a probe going green means the server acts on what exists;
 * - standby (another replica leads): ready. It is healthy and waiting to take over; calling it
 *   unready would keep a two-replica Deployment's rollout from ever completing, because a
 *   standby never syncs informers while the leader lives.
 * - before either (CRDs being installed, the first look at the Lease): not ready.
 */
export class Readiness {
  private role: 'starting' | 'standby' | 'leader' = 'starting';
  private unsynced = new Set<string>();

  standingBy(): void {
    this.role = 'standby';
  }

  /** Leading, with these informers still to sync. */
  leading(informers: readonly string[]): void {
    this.role = 'leader';
    this.unsynced = new Set(informers);
  }

  informerSynced(name: string): void {
    this.unsynced.delete(name);
  }

  /** HTTP status and a one-line reason. */
  check(): { ready: boolean; message: string } {
    if (this.role === 'standby') return { ready: true, message: 'standby: another server leads' };
    if (this.role === 'starting') return { ready: false, message: 'starting' };
    if (this.unsynced.size > 0) {
      return { ready: false, message: `leader: waiting for informers: ${[...this.unsynced].join(', ')}` };
    }
    return { ready: true, message: 'leader: informers synced' };
  }
}

/** `host:port`, `:port` (every interface, as Velero's `:8085`) or a bare port (127.0.0.1). */
export function parseListenAddress(address: string): { host: string | undefined; port: number } {
  const colon = address.lastIndexOf(':');
  const host = colon < 0 ? '127.0.0.1' : address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const portText = colon < 0 ? address : address.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new Error(`--metrics-address "${address}": the port "${portText}" is not a number from 0 to 65535`);
  }
  return { host: host === '' ? undefined : host, port };
}

export interface HealthServer {
  /** The bound address (the real port when 0 was asked for). */
  address: AddressInfo;
  close(): Promise<void>;
}

/** `/metrics`, `/healthz` (the process answers) and `/readyz` on the metrics address. */
export async function serveMetricsAndHealth(
  address: string,
  metrics: ServerMetrics,
  readiness: Readiness,
): Promise<HealthServer> {
  const { host, port } = parseListenAddress(address);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const { ready, message } = readiness.check();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(`${message}\n`);
    } else if (path === '/metrics') {
      metrics.scrape().then(
        (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error): void => reject(new Error(`--metrics-address "${address}": ${err.message}`));
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
