/**
 * The API server over Node's own `node:https` (HTTP/1.1), for `skiff node-agent`: the agent runs
 * on every node beside the kopia or restic it starts, and their RSS together is what its memory
 * target counts. undici (the kube client's usual transport) and the built-ins it loads cost the
 * agent ~8 MiB of RSS at rest (README "The node agent and volume repositories"); the agent only
 * watches its objects and writes their status, which HTTP/1.1 keep-alive connections carry as well.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** The part of a fetch Response the kube client and its callers read; undici's Response has it too. */
export interface KubeResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  /** The body as it arrives (a watch reads it line by line); null when there is none. */
  readonly body: AsyncIterable<Uint8Array> | null;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** What one request sends: the kube client's signed headers and encoded body. */
export interface HttpsRequest {
  url: string;
  method: string;
  headers: Record<string, string | string[]>;
  body: string | undefined;
  agent: HttpAgent;
  signal?: AbortSignal | undefined;
}

/**
 * A connection silent for this long fails its request (ETIMEDOUT), so one that died without a
 * word does not hang a watch for ever. The server ends a watch after its `timeoutSeconds`
 * (300 s by default here), so a live one is never this quiet.
 */
const IDLE_TIMEOUT_MS = 330_000;

/** TLS settings of a kubeconfig's cluster and user, as `KubeConfig.applyToHTTPSOptions` fills them in. */
export interface TlsSettings {
  ca?: Buffer | string | undefined;
  cert?: Buffer | string | undefined;
  key?: Buffer | string | undefined;
  pfx?: Buffer | string | undefined;
  passphrase?: string | undefined;
  rejectUnauthorized?: boolean | undefined;
  servername?: string | undefined;
}

/**
 * A keep-alive connection pool for `server` with the kubeconfig's TLS settings: a new `https.Agent`
 * does not keep connections alive by default, and a TLS handshake with client certificates per
 * status update would cost more CPU than the update itself.
 */
export function keepAlivePool(server: string, tls: TlsSettings): HttpAgent {
  const options = { keepAlive: true, keepAliveMsecs: 30_000 };
  if (server.startsWith('http:')) return new HttpAgent(options);
  const defined = Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined));
  return new HttpsAgent({ ...options, ...defined });
}

/**
 * Retires a pool whose TLS settings were replaced (a rotated client certificate): its idle
 * connections close now, and those still carrying a request or a watch close when it ends,
 * instead of the old credentials' connections staying open for the life of the process.
 */
export function retirePool(agent: HttpAgent): void {
  // Node's agent reads this property each time a request ends (it is not in @types/node): false
  // closes that request's socket instead of keeping it for the next one.
  (agent as HttpAgent & { keepAlive: boolean }).keepAlive = false;
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
}

export function httpsSend(req: HttpsRequest): Promise<KubeResponse> {
  const send = req.url.startsWith('http:') ? httpRequest : httpsRequest;
  const headers = { ...req.headers };
  if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
  return new Promise((resolve, reject) => {
    const out = send(req.url, {
      method: req.method,
      headers,
      agent: req.agent,
      ...(req.signal ? { signal: req.signal } : {}),
    });
    out.setTimeout(IDLE_TIMEOUT_MS, () =>
      out.destroy(Object.assign(new Error('no answer from the API server'), { code: 'ETIMEDOUT' })),
    );
    out.on('error', reject);
    out.on('response', (res) => resolve(responseOf(res)));
    out.end(req.body);
  });
}

function responseOf(res: IncomingMessage): KubeResponse {
  const status = res.statusCode ?? 0;
  const all = async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: res.statusMessage ?? '',
    headers: {
      get(name: string): string | null {
        const value = res.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    body: res,
    text: async () => (await all()).toString('utf8'),
    arrayBuffer: async () => {
      const bytes = await all();
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}
