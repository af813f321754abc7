/**
 * The HTTPS server of the view API, run by `skiff server --view-api-bind-address`. Every
 * request must come through the API server (front-proxy.ts): the API server has then
 * authenticated, authorised and audited it; the subresource is authorised here again with a
 * SubjectAccessReview for the user it names, as any aggregated server does (delegated
 * authorisation), so a server reached some other way still answers only what RBAC allows.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { TLSSocket } from 'node:tls';
import { describeDenial, userCan, type AccessAttributes } from '../../kube/access-review.ts';
import type { UserIdentity } from '../../kube/impersonation.ts';
import { errorMessage } from '../../util/errors.ts';
import type { Logger } from '../../util/log.ts';
import { routeOf, VIEW_GROUP, viewKindOf, type ViewRequest } from './api.ts';
import { openOperationLog, operationDetails, ViewNotFoundError, type ViewContentDeps } from './content.ts';
import { authenticateProxied, readRequestHeaderConfig, type RequestHeaderConfig } from './front-proxy.ts';
import type { ServingCert } from './serving-cert.ts';

export interface ViewApiDeps extends ViewContentDeps {
  log: Logger;
}

export interface ViewApiServer {
  address: AddressInfo;
  close(): Promise<void>;
}

/** How often the request-header CA is read again (the API server may rotate it). */
const REFRESH_MS = 60_000;

function status(res: ServerResponse, code: number, reason: string, message: string, details?: object): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      details,
      code,
    }),
  );
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function attributesOf(req: ViewRequest): AccessAttributes {
  return {
    verb: 'get',
    group: VIEW_GROUP,
    resource: req.resource,
    subresource: req.subresource,
    namespace: req.namespace,
    name: req.name,
  };
}

async function serveObject(
  deps: ViewApiDeps,
  user: UserIdentity,
  req: ViewRequest,
  res: ServerResponse,
): Promise<void> {
  const attrs = attributesOf(req);
  const decision = await userCan(deps.cluster, user, attrs);
  const details = { name: req.name, group: VIEW_GROUP, kind: `${req.resource}/${req.subresource}` };
  if (!decision.allowed) {
    status(res, 403, 'Forbidden', describeDenial(user, attrs, decision), details);
    return;
  }
  try {
    if (req.subresource === 'details') {
      json(res, await operationDetails(deps, req));
      return;
    }
    const log = await openOperationLog(deps, req);
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    await pipeline(log, res);
  } catch (err) {
    if (err instanceof ViewNotFoundError) {
      status(res, 404, 'NotFound', err.message, { ...details, kind: viewKindOf(req.resource) });
      return;
    }
    throw err;
  }
}

async function handle(
  deps: ViewApiDeps,
  config: () => RequestHeaderConfig,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const socket = req.socket;
  // getPeerCertificate() is an empty object when the client sent none.
  const subject =
    socket instanceof TLSSocket ? (socket.getPeerCertificate().subject as { CN?: unknown } | undefined) : undefined;
  const peer = {
    verified: socket instanceof TLSSocket && socket.authorized,
    commonName: typeof subject?.CN === 'string' ? subject.CN : undefined,
  };
  const who = authenticateProxied(peer, req.headersDistinct, config());
  if ('error' in who) {
    // Never trust identity headers from anyone but the API server.
    status(res, 401, 'Unauthorized', `this API is served through the Kubernetes API server only: ${who.error}`);
    return;
  }
  if (req.method !== 'GET') {
    status(res, 405, 'MethodNotAllowed', `${req.method ?? ''} is not supported: the view API is read-only (get)`);
    return;
  }
  const route = routeOf(req.url ?? '/');
  if (route.kind === 'discovery') json(res, route.body);
  else if (route.kind === 'object') await serveObject(deps, who.user, route.request, res);
  else status(res, 404, 'NotFound', `the server could not find the requested resource (${req.url ?? ''})`);
}

/** `host:port`; a bare `:port` listens on every interface. */
function hostAndPort(address: string): { host: string | undefined; port: number } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, Math.max(colon, 0)).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--view-api-bind-address "${address}" is not host:port (e.g. :8443 or 10.0.0.5:8443)`);
  }
  return { host: host === '' ? undefined : host, port };
}

/** Starts serving; the request-header settings are read first (and every minute after). */
export async function serveViewApi(deps: ViewApiDeps, bindAddress: string, tls: ServingCert): Promise<ViewApiServer> {
  const { host, port } = hostAndPort(bindAddress);
  let config = await readRequestHeaderConfig(deps.cluster);
  const server: Server = createServer(
    // Client certificates are asked for but checked per request: a request without one gets a
    // Status saying why, not a failed handshake.
    { cert: tls.certPem, key: tls.keyPem, ca: config.clientCA, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      handle(deps, () => config, req, res).catch((err: unknown) => {
        deps.log.warn({ err: errorMessage(err), url: req.url }, 'view API request failed');
        status(res, 500, 'InternalError', errorMessage(err));
      });
    },
  );
  const refresh = setInterval(() => {
    readRequestHeaderConfig(deps.cluster)
      .then((next) => {
        if (next.clientCA !== config.clientCA)
          server.setSecureContext({ cert: tls.certPem, key: tls.keyPem, ca: next.clientCA });
        config = next;
      })
      .catch((err: unknown) => deps.log.warn({ err: errorMessage(err) }, 'cannot read the request-header settings'));
  }, REFRESH_MS);
  refresh.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(refresh);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
