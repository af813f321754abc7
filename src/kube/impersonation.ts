import type { Agent, Dispatcher } from 'undici';
import { isRecord } from './object.ts';

/**
 * A user the API server is asked to act as (Kubernetes "User impersonation"): the requests
 * are authorised, admitted and audited as this user, with the signer's own identity
 * recorded as the impersonator. The signer needs `impersonate` on users, groups and uids.
 */
export interface UserIdentity {
  username: string;
  uid?: string | undefined;
  groups?: readonly string[] | undefined;
}

/** The API server's impersonation headers (Kubernetes authentication docs, "User impersonation"). */
export const ImpersonationHeaders = {
  user: 'impersonate-user',
  group: 'impersonate-group',
  uid: 'impersonate-uid',
} as const;

/**
 * The headers that ask the API server to act as `who`, one line per group. The API server
 * reads each `Impersonate-Group` line as one group and never splits a value at commas, while
 * fetch's Headers joins repeated names into one comma-separated value: hence the list here,
 * put on the wire by `impersonatingDispatcher`.
 */
export function impersonationHeaders(who: UserIdentity): Record<string, string | string[]> {
  if (who.username === '') throw new Error('cannot impersonate a user without a name');
  const headers: Record<string, string | string[]> = { [ImpersonationHeaders.user]: who.username };
  const groups = [...new Set(who.groups ?? [])];
  if (groups.length > 0) headers[ImpersonationHeaders.group] = groups;
  if (who.uid) headers[ImpersonationHeaders.uid] = who.uid;
  return headers;
}

type DispatchHeaders = Dispatcher.DispatchOptions['headers'];

/**
 * `dispatcher`, adding the impersonation headers of `who` to every request it sends (any the
 * request carried are replaced, so a caller cannot widen the identity). Working below fetch
 * keeps repeated `Impersonate-Group` lines apart.
 */
export function impersonatingDispatcher(dispatcher: Dispatcher, who: UserIdentity): Dispatcher {
  const added = impersonationHeaders(who);
  return dispatcher.compose(
    (dispatch) => (opts, handler) => dispatch({ ...opts, headers: withHeaders(opts.headers, added) }, handler),
  );
}

/** The request's headers as a record, impersonation headers removed, then `added` set. */
export function withHeaders(
  headers: DispatchHeaders,
  added: Record<string, string | string[]>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const put = (name: string, value: string | string[] | undefined): void => {
    if (value === undefined) return;
    const key = name.toLowerCase();
    if (key.startsWith('impersonate-')) return;
    const prior = out[key];
    out[key] = prior === undefined ? value : [...toList(prior), ...toList(value)];
  };
  if (Array.isArray(headers)) {
    const flat = headers;
    for (let i = 0; i + 1 < flat.length; i += 2) put(flat[i] ?? '', flat[i + 1]);
  } else if (headers && Symbol.iterator in headers) {
    for (const [name, value] of headers as Iterable<[string, string | string[] | undefined]>) put(name, value);
  } else if (headers) {
    for (const [name, value] of Object.entries(headers)) put(name, typeof value === 'number' ? String(value) : value);
  }
  return { ...out, ...added };
}

function toList(value: string | string[]): string[] {
  return Array.isArray(value) ? value : [value];
}

/**
 * The connection pool of an impersonating client: HTTP/1.1 with the TLS settings client-node
 * chose (`settings`, what `createDispatcherOptions` returned). Over HTTP/2 undici joins the
 * values of a repeated header into one ("a, b"), which the API server would read as a single
 * group; HTTP/1.1 sends each line. Proxied connections keep client-node's own pool.
 */
export function http1Pool(
  settings: unknown,
  clientNodePool: Dispatcher | undefined,
  // undici's Agent, passed in: this module is loaded where undici is not (the node agent).
  AgentClass: typeof Agent,
): Dispatcher | undefined {
  if (!isRecord(settings)) return clientNodePool;
  if (settings.type === 'agent' && isRecord(settings.connect)) {
    void clientNodePool?.destroy().catch(() => undefined);
    return new AgentClass({ connect: settings.connect, allowH2: false });
  }
  if (settings.type === 'none') {
    void clientNodePool?.destroy().catch(() => undefined);
    return new AgentClass({ allowH2: false });
  }
  return clientNodePool;
}
