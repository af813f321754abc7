import { existsSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
// Deep imports, not the package's index: the index evaluates every generated API class and model,
// which costs each process about 30 MiB of memory it never uses (raw JSON here; see scripts/build.ts).
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { HttpMethod, RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';
import type { Agent as HttpAgent } from 'node:http';
import PQueue from 'p-queue';
import type { Dispatcher } from 'undici';
import { KubeApiError, KubeConnectionError, NoKubeconfigError } from './errors.ts';
import { httpsSend, keepAlivePool, retirePool, type KubeResponse, type TlsSettings } from './https-transport.ts';
import { http1Pool, impersonatingDispatcher, impersonationHeaders, type UserIdentity } from './impersonation.ts';
import { isRecord } from './object.ts';
import { parseJsonLossless } from '../util/json.ts';

export interface KubeClientOptions {
  /** Path of a kubeconfig file; default: $KUBECONFIG, ~/.kube/config, or in-cluster. */
  kubeconfig?: string | undefined;
  context?: string | undefined;
  /** Requests in flight at once (client-side fairness towards the API server). */
  maxInFlight?: number;
  /** How requests travel (`KubeClientSettings.transport`). */
  transport?: KubeTransport;
}

/**
 * `undici` (the default): HTTP/2 where the server offers it, fetch's Response; what the server
 * and the CLI use. `node-https`: Node's own `node:https`, HTTP/1.1 keep-alive, for the node agent,
 * which then never loads undici (https-transport.ts).
 */
export type KubeTransport = 'undici' | 'node-https';

export type { KubeResponse } from './https-transport.ts';

/** undici, loaded on first use: a client on the `node-https` transport never loads it. */
let undiciModule: Promise<typeof import('undici')> | undefined;
const undici = (): Promise<typeof import('undici')> =>
  // A CommonJS package: Node's import gives its exports by name and as `default`; the bundle's
  // chunk (scripts/build.ts) gives `default` alone.
  (undiciModule ??= import('undici').then(
    (m: typeof import('undici') & { default?: typeof import('undici') }) => m.default ?? m,
  ));

/** What `new KubeClient` takes besides the kubeconfig. */
export interface KubeClientSettings {
  maxInFlight?: number;
  /** Milliseconds since the epoch; tests move it to expire the credentials' cache. */
  now?: () => number;
  /** Every request asks the API server to act as this user (see `impersonating`). */
  impersonate?: UserIdentity;
  transport?: KubeTransport;
}

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** Defaults to `application/json`. */
  accept?: string;
  signal?: AbortSignal;
}

interface AuthState {
  headers: Record<string, string>;
  dispatcher: Dispatcher | undefined;
  /** The connection pool of the `node-https` transport. */
  agent?: HttpAgent;
  /** The connection settings (TLS material, proxy) the dispatcher was made with, as text. */
  connection: string;
  expires: number;
}

const AUTH_TTL_MS = 30_000;

/** Where Kubernetes mounts a pod's ServiceAccount token. */
export const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export type KubeconfigSource =
  { kind: 'file'; path: string } | { kind: 'in-cluster' } | { kind: 'default' } | { kind: 'none'; looked: string };

/**
 * Where the credentials come from, as client-go decides: a kubeconfig named by the flag
 * or $KUBECONFIG, else ~/.kube/config, else the pod's ServiceAccount when
 * KUBERNETES_SERVICE_HOST says we run in a pod (how the server Deployment authenticates).
 */
export function kubeconfigSource(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  exists: (path: string) => boolean = existsSync,
): KubeconfigSource {
  if (flag) return { kind: 'file', path: flag };
  if (env.KUBECONFIG) return { kind: 'default' };
  const home = env.HOME ?? homedir();
  if (home && exists(join(home, '.kube', 'config'))) return { kind: 'default' };
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) return { kind: 'in-cluster' };
  // client-node would fall back to http://localhost:8080 and fail with a TLS message that says
  // nothing about the missing file.
  return { kind: 'none', looked: home ? join(home, '.kube', 'config') : '~/.kube/config' };
}
const RETRIES = 4;

/**
 * Parses a JSON answer; an empty body (some DELETEs) is undefined. Integers beyond 2^53 (a
 * custom resource's int64) keep their digits, so an object read here and written back (a
 * backup, a restore's update) is unchanged.
 */
export function parseJson(body: string | Buffer): unknown {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  return text === '' ? undefined : parseJsonLossless(text);
}

/**
 * The one place that talks HTTP to the API server. Requests are raw JSON, signed with
 * the kubeconfig's credentials (client certs, tokens, exec plugins) through
 * client-node's `applySecurityAuthentication`; objects are never parsed into typed
 * models, so unknown fields and timestamps survive untouched.
 */
export class KubeClient {
  readonly server: string;
  private readonly queue: PQueue;
  private readonly now: () => number;
  private auth: AuthState | undefined;
  private readonly impersonate: UserIdentity | undefined;
  /** The connection pool each request goes through when impersonating: the auth pool, wrapped once. */
  private impersonated: { base: Dispatcher; wrapped: Dispatcher } | undefined;
  private readonly maxInFlight: number;
  private readonly transport: KubeTransport;

  constructor(
    readonly kubeConfig: KubeConfig,
    options: KubeClientSettings = {},
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new KubeConnectionError('(none)', new Error('the kubeconfig has no current cluster'));
    this.server = cluster.server.replace(/\/+$/, '');
    this.maxInFlight = options.maxInFlight ?? 48;
    this.queue = new PQueue({ concurrency: this.maxInFlight });
    this.now = options.now ?? Date.now;
    this.impersonate = options.impersonate;
    this.transport = options.transport ?? 'undici';
  }

  /**
   * A client signed by the same credentials whose requests the API server authorises, admits
   * and audits as `who` (Impersonate-User, -Group, -Uid): RBAC, escalation checks, quotas and
   * admission then apply as if `who` had sent them. The signer needs `impersonate` on users,
   * groups and uids.
   */
  impersonating(who: UserIdentity): KubeClient {
    return new KubeClient(this.kubeConfig, {
      maxInFlight: this.maxInFlight,
      now: this.now,
      impersonate: who,
      transport: this.transport,
    });
  }

  /** Whom the API server is asked to act as; undefined when requests go as the credentials' own user. */
  get impersonatedUser(): UserIdentity | undefined {
    return this.impersonate;
  }

  static fromKubeconfig(options: KubeClientOptions = {}): KubeClient {
    const kc = new KubeConfig();
    const source = kubeconfigSource(options.kubeconfig);
    if (source.kind === 'file') kc.loadFromFile(source.path);
    else if (source.kind === 'in-cluster') {
      if (!existsSync(IN_CLUSTER_TOKEN)) {
        throw new KubeConnectionError(
          `${process.env.KUBERNETES_SERVICE_HOST ?? ''}:${process.env.KUBERNETES_SERVICE_PORT ?? ''}`,
          new Error(`running in a pod, but ${IN_CLUSTER_TOKEN} is missing (automountServiceAccountToken: false?)`),
        );
      }
      kc.loadFromCluster();
    } else if (source.kind === 'none') throw new NoKubeconfigError(source.looked);
    else kc.loadFromDefault();
    if (options.context) kc.setCurrentContext(options.context);
    return new KubeClient(kc, {
      ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
      ...(options.transport === undefined ? {} : { transport: options.transport }),
    });
  }

  /** Sends a request and parses the JSON answer; throws KubeApiError for a non-2xx status. */
  async request<T = unknown>(req: KubeRequest): Promise<T> {
    const res = await this.send(req);
    return parseJson(await res.text()) as T;
  }

  /**
   * The answer's body as bytes, unparsed. A caller holding answers before it uses them (a
   * prefetched page) then keeps them outside the JS heap instead of as thousands of objects
   * (or one large string) that each young-generation GC copies and counts as survivors;
   * enough survivors make V8 double the young generation, which showed as peak RSS growing
   * with the number of objects backed up.
   */
  async requestBytes(req: KubeRequest): Promise<Buffer> {
    const res = await this.send(req);
    return Buffer.from(await res.arrayBuffer());
  }

  /**
   * Sends a request and reads the answer without decoding it, for callers that only need to
   * know it succeeded (a restore's creates). It goes through undici's `request` rather than
   * `fetch`: `fetch` builds WHATWG Request, Headers and Response objects and streams for every
   * call, which cost more than half of a create's client CPU (measured on this machine's API
   * server: 2.2 ms against 1.0 ms of CPU per create, warm). Same connection pool, credentials,
   * in-flight limit and retries as `send`.
   */
  async requestIgnoringAnswer(req: KubeRequest): Promise<void> {
    if (this.transport === 'node-https') {
      await (await this.send(req)).arrayBuffer();
      return;
    }
    for (let attempt = 0; ; attempt++) {
      const res = await this.attempt(() => this.dispatchOnce(req), req, attempt);
      if (res === undefined) continue;
      if (res.statusCode >= 200 && res.statusCode < 300) {
        // Read to the end, so the connection (or HTTP/2 stream) is released cleanly, not reset.
        await res.body.dump({ limit: Number.MAX_SAFE_INTEGER });
        return;
      }
      const text = await res.body.text().catch(() => '');
      // HTTP/2 has no reason phrase: the standard one, as `fetch` gives over HTTP/1.1.
      const err = apiErrorOf(res.statusCode, STATUS_CODES[res.statusCode] ?? '', text, req);
      const retryAfter = res.headers['retry-after'];
      if (!shouldRetry(err, req, attempt)) throw err;
      await sleep(retryDelay(typeof retryAfter === 'string' ? retryAfter : null, attempt));
    }
  }

  /**
   * One attempt through the in-flight limit; undefined when its connection dropped and it is to
   * be sent again (`shouldResend`), after the backoff.
   */
  private async attempt<T>(once: () => Promise<T>, req: KubeRequest, attempt: number): Promise<T | undefined> {
    try {
      return await this.queue.add(once);
    } catch (err) {
      if (!shouldResend(err, req, attempt)) throw err;
      await sleep(retryDelay(null, attempt));
      return undefined;
    }
  }

  /** Sends a request and returns the open response (for watches and other streams). */
  async send(req: KubeRequest): Promise<KubeResponse> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.attempt(() => this.sendOnce(req), req, attempt);
      if (res === undefined) continue;
      if (res.ok) return res;
      const err = await toApiError(res, req);
      if (!shouldRetry(err, req, attempt)) throw err;
      await sleep(retryDelay(res.headers.get('retry-after'), attempt));
    }
  }

  private async sendOnce(req: KubeRequest): Promise<KubeResponse> {
    const { url, headers, body, dispatcher, agent } = await this.prepared(req);
    try {
      if (agent) {
        const impersonation = this.impersonate ? impersonationHeaders(this.impersonate) : {};
        return await httpsSend({
          url,
          method: req.method,
          headers: { ...headers, ...impersonation },
          body,
          agent,
          signal: req.signal,
        });
      }
      const { fetch } = await undici();
      return await fetch(url, {
        method: req.method,
        headers,
        body,
        ...(dispatcher ? { dispatcher } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
      });
    } catch (err) {
      if (req.signal?.aborted) throw err;
      throw new KubeConnectionError(this.server, err instanceof Error && err.cause ? err.cause : err);
    }
  }

  /** `sendOnce` through undici's `request` (see `requestIgnoringAnswer`). */
  private async dispatchOnce(req: KubeRequest): Promise<Dispatcher.ResponseData> {
    const { url, headers, body, dispatcher } = await this.prepared(req);
    const { request: dispatchRequest, getGlobalDispatcher } = await undici();
    try {
      return await dispatchRequest(url, {
        method: req.method,
        headers,
        body,
        dispatcher: dispatcher ?? getGlobalDispatcher(),
        ...(req.signal ? { signal: req.signal } : {}),
      });
    } catch (err) {
      if (req.signal?.aborted) throw err;
      throw new KubeConnectionError(this.server, err instanceof Error && err.cause ? err.cause : err);
    }
  }

  /** What every attempt of a request sends: its URL, signed headers, encoded body and connection pool. */
  private async prepared(req: KubeRequest): Promise<{
    url: string;
    headers: Record<string, string>;
    body: string | undefined;
    dispatcher: Dispatcher | undefined;
    agent: HttpAgent | undefined;
  }> {
    const auth = await this.authenticate();
    const headers: Record<string, string> = { ...auth.headers, Accept: req.accept ?? 'application/json' };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
      headers['Content-Type'] = req.contentType ?? 'application/json';
    }
    const url = this.server + req.path + queryString(req.query);
    if (auth.agent) return { url, headers, body, dispatcher: undefined, agent: auth.agent };
    const dispatcher = this.impersonate ? await this.impersonatingPool(auth.dispatcher) : auth.dispatcher;
    return { url, headers, body, dispatcher, agent: undefined };
  }

  private async impersonatingPool(pool: Dispatcher | undefined): Promise<Dispatcher> {
    const base = pool ?? (await undici()).getGlobalDispatcher();
    if (this.impersonated?.base !== base && this.impersonate) {
      this.impersonated = { base, wrapped: impersonatingDispatcher(base, this.impersonate) };
    }
    return this.impersonated?.wrapped ?? base;
  }

  /**
   * client-node re-reads certificate files and re-runs exec plugins on every call, so the
   * resulting headers are reused for a short while. It also builds a new connection pool each
   * time: that pool is kept while the connection settings it was made with (CA, client
   * certificate and key, which an exec plugin may rotate; TLS server name; proxy) are unchanged,
   * so a long backup or restore does not open new TLS connections every AUTH_TTL_MS.
   */
  private async authenticate(): Promise<AuthState> {
    if (this.auth && this.auth.expires > this.now()) return this.auth;
    if (this.transport === 'node-https') return this.authenticateHttps();
    const ctx = new RequestContext(this.server, HttpMethod.GET);
    let settings: unknown;
    await withDispatcherSettings(this.kubeConfig, (s) => (settings = s)).applySecurityAuthentication(ctx);
    const connection = JSON.stringify(settings);
    let dispatcher = this.impersonate
      ? http1Pool(settings, ctx.getDispatcher(), (await undici()).Agent)
      : ctx.getDispatcher();
    const previous = this.auth;
    if (previous && previous.connection === connection) {
      // Never used: nothing to wait for.
      void dispatcher?.destroy().catch(() => undefined);
      dispatcher = previous.dispatcher;
    } else {
      // Requests (and watches) in flight on the old pool finish first.
      void previous?.dispatcher?.close().catch(() => undefined);
    }
    this.auth = { headers: ctx.getHeaders(), dispatcher, connection, expires: this.now() + AUTH_TTL_MS };
    return this.auth;
  }

  /**
   * `authenticate` for the `node-https` transport: the same credentials, through client-node's
   * `applyToHTTPSOptions` (its path for WebSockets, which builds `node:https` agents, not undici
   * dispatchers). The pool is kept while the TLS settings are unchanged, as above. Behind a
   * kubeconfig's `proxy-url` the requests go through client-node's proxy agent.
   */
  private async authenticateHttps(): Promise<AuthState> {
    const opts: TlsSettings & { headers?: Record<string, string>; auth?: string; agent?: HttpAgent } = {};
    await this.kubeConfig.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = opts;
    const tls = { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername };
    const connection = JSON.stringify(tls);
    const proxied = Boolean(this.kubeConfig.getCurrentCluster()?.proxyUrl);
    const previous = this.auth?.agent;
    const agent =
      proxied && opts.agent
        ? opts.agent
        : this.auth?.connection === connection && previous
          ? previous
          : keepAlivePool(this.server, tls);
    // Each pool (ours, or the proxy agent client-node builds per call) serves one set of settings.
    if (previous && previous !== agent) retirePool(previous);
    this.auth = { headers, dispatcher: undefined, agent, connection, expires: this.now() + AUTH_TTL_MS };
    return this.auth;
  }
}

/**
 * The kubeconfig, seen through an object that reports the settings client-node builds its
 * connection pool from (`createDispatcherOptions`, public) each time it does: everything else
 * is read from the kubeconfig itself, which is not modified.
 */
function withDispatcherSettings(kc: KubeConfig, report: (settings: unknown) => void): KubeConfig {
  return Object.create(kc, {
    createDispatcherOptions: {
      value: (...args: Parameters<KubeConfig['createDispatcherOptions']>) => {
        const settings = kc.createDispatcherOptions(...args);
        report(settings);
        return settings;
      },
    },
  }) as KubeConfig;
}

function isIdempotent(req: Pick<KubeRequest, 'method'>): boolean {
  return req.method === 'GET' || req.method === 'PUT' || req.method === 'DELETE';
}

/**
 * Whether a request whose connection dropped under it (reset, closed by the server, a broken
 * pipe) is sent again: only a GET, which cannot have changed anything, within RETRIES. A server
 * that cannot be reached at all (refused, TLS, DNS) fails at once: retrying would only delay the
 * error. client-go retries its GETs on the same errors; a reused keep-alive connection that the
 * API server closed a moment before is the usual cause on a busy server.
 */
export function shouldResend(err: unknown, req: Pick<KubeRequest, 'method' | 'signal'>, attempt: number): boolean {
  return req.method === 'GET' && !req.signal?.aborted && attempt < RETRIES && connectionDropped(err);
}

const DROPPED_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

function connectionDropped(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (DROPPED_CODES.has((e as { code?: unknown }).code as string)) return true;
  }
  return false;
}

/** Whether a failed attempt is sent again: a transient failure of an idempotent request, within RETRIES. */
export function shouldRetry(err: KubeApiError, req: Pick<KubeRequest, 'method'>, attempt: number): boolean {
  return err.transient && !err.conflict && attempt < RETRIES && isIdempotent(req);
}

/** Milliseconds before the next attempt: the server's Retry-After (at most 10 s), else exponential from 200 ms. */
export function retryDelay(retryAfter: string | null, attempt: number): number {
  const after = Number(retryAfter);
  if (retryAfter !== null && Number.isFinite(after) && after > 0) return Math.min(after, 10) * 1000;
  return 200 * 2 ** attempt;
}

function queryString(query: KubeRequest['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function toApiError(res: KubeResponse, req: KubeRequest): Promise<KubeApiError> {
  const text = await res.text().catch(() => '');
  return apiErrorOf(res.status, res.statusText, text, req);
}

/**
 * The error for a non-2xx answer, from its status and body: a Kubernetes Status gives the
 * reason and message, anything else is kept as (the start of) its text.
 */
export function apiErrorOf(
  status: number,
  statusText: string,
  text: string,
  req: Pick<KubeRequest, 'method' | 'path'>,
): KubeApiError {
  let reason = statusText || 'Unknown';
  let message = text.trim().slice(0, 500);
  let namesAnObject = false;
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed)) {
      if (typeof parsed.reason === 'string') reason = parsed.reason;
      if (typeof parsed.message === 'string') message = parsed.message;
      namesAnObject = isRecord(parsed.details) && typeof parsed.details.name === 'string' && parsed.details.name !== '';
    }
  } catch {
    // not a Status object: keep the raw text
  }
  // A missing object's 404 names it in `details`; a path the server does not serve at all gets
  // "404 page not found" (unknown group/version) or a Status without a name (unknown resource).
  const typeNotServed = status === 404 && !namesAnObject;
  return new KubeApiError(status, reason, message, { method: req.method, path: req.path }, typeNotServed);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
