/**
 * A pass-through proxy in front of the test MinIO that can hold the requests for chosen
 * objects until the test lets them go. A backup whose tarball upload is held stays
 * InProgress, a restore whose tarball download is held stays InProgress: tests observe
 * overlap (or waiting) as states, never as timings. The Host header goes through unchanged,
 * so the clients' SigV4 signatures still verify. A `refuse` check may answer a request with an S3
 * error instead of passing it on (e.g. credentials the test considers expired).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An S3 error answer (403) for a request the test refuses, or undefined to pass it on. */
export type RefuseRequest = (req: IncomingMessage) => { code: string; message: string } | undefined;

interface Gate {
  arrivals: number;
  arrived: Promise<void>;
  onArrival: () => void;
  released: Promise<void>;
  release: () => void;
}

export class GatedS3Proxy {
  private readonly gates = new Map<string, Gate>();

  private constructor(
    private readonly server: Server,
    private readonly upstream: URL,
    private readonly refuse: RefuseRequest | undefined,
  ) {}

  static async start(upstream: string, refuse?: RefuseRequest): Promise<GatedS3Proxy> {
    const server = createServer();
    const proxy = new GatedS3Proxy(server, new URL(upstream), refuse);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => proxy.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** From now on, requests for a key ending in `suffix` wait until `release(suffix)`. */
  hold(suffix: string): void {
    let onArrival = (): void => undefined;
    let release = (): void => undefined;
    const arrived = new Promise<void>((resolve) => (onArrival = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.gates.set(suffix, { arrivals: 0, arrived, onArrival, released, release });
  }

  /** Settles once a request for `suffix` is being held. */
  arrived(suffix: string): Promise<void> {
    const gate = this.gates.get(suffix);
    if (!gate) throw new Error(`nothing is held for ${suffix}`);
    return gate.arrived;
  }

  /** How many requests for `suffix` have been held so far. */
  arrivals(suffix: string): number {
    return this.gates.get(suffix)?.arrivals ?? 0;
  }

  /** Lets the held requests for `suffix` go on, and every later one pass. */
  release(suffix: string): void {
    this.gates.get(suffix)?.release();
  }

  async close(): Promise<void> {
    for (const gate of this.gates.values()) gate.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const refusal = this.refuse?.(req);
    if (refusal) {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${refusal.code}</Code><Message>${refusal.message}</Message></Error>`,
      );
      return;
    }
    const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
    const gate = [...this.gates.entries()].find(([suffix]) => path.endsWith(suffix))?.[1];
    if (!gate) {
      this.forward(req, res);
      return;
    }
    gate.arrivals++;
    gate.onArrival();
    void gate.released.then(() => this.forward(req, res));
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const { expect: _expect, ...headers } = req.headers;
    const upstream = request(
      {
        host: this.upstream.hostname,
        port: this.upstream.port,
        method: req.method,
        path: req.url,
        headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}
