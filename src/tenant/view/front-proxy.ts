/**
 * Who sent a request the API server proxied to us (Kubernetes "Authenticating proxy" and
 * "Configure the aggregation layer"): the API server presents its front-proxy client
 * certificate, signed by the request-header client CA, and names the user in the
 * `X-Remote-User`/`X-Remote-Group` headers (or whichever it was configured with). The CA, the
 * allowed certificate names and the header names are published in the ConfigMap
 * `kube-system/extension-apiserver-authentication`, which every aggregated server reads.
 *
 * The headers are trusted only on a connection whose client certificate verified against that
 * CA and carries an allowed name: anyone else could set them.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Cluster } from '../../kube/cluster.ts';
import type { UserIdentity } from '../../kube/impersonation.ts';
import { isRecord } from '../../kube/object.ts';

export const AUTHENTICATION_CONFIGMAP = { namespace: 'kube-system', name: 'extension-apiserver-authentication' };

export interface RequestHeaderConfig {
  /** PEM of the CA that signs the front-proxy client certificate. */
  clientCA: string;
  /** Common names the certificate may carry; empty: any certificate the CA signed. */
  allowedNames: string[];
  usernameHeaders: string[];
  groupHeaders: string[];
  uidHeaders: string[];
}

function stringList(text: unknown): string[] {
  if (typeof text !== 'string' || text === '') return [];
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === 'string') : [];
}

/** The request-header settings of the ConfigMap's data; undefined when the API server has none. */
export function requestHeaderConfigOf(data: Record<string, unknown>): RequestHeaderConfig | undefined {
  const clientCA = data['requestheader-client-ca-file'];
  if (typeof clientCA !== 'string' || clientCA.trim() === '') return undefined;
  return {
    clientCA,
    allowedNames: stringList(data['requestheader-allowed-names']),
    usernameHeaders: stringList(data['requestheader-username-headers']),
    groupHeaders: stringList(data['requestheader-group-headers']),
    uidHeaders: stringList(data['requestheader-uid-headers']),
  };
}

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };

/**
 * Reads the request-header settings. Throws when the API server publishes none: it then has no
 * front-proxy certificate to send, and the aggregated API could not tell who asks.
 */
export async function readRequestHeaderConfig(cluster: Cluster): Promise<RequestHeaderConfig> {
  const { namespace, name } = AUTHENTICATION_CONFIGMAP;
  const cm = await cluster.find(CONFIGMAPS, name, namespace);
  const data = cm && isRecord(cm.data) ? cm.data : {};
  const config = requestHeaderConfigOf(data);
  if (!config) {
    throw new Error(
      `the API server publishes no requestheader-client-ca-file in ConfigMap ${namespace}/${name}: start it with --requestheader-client-ca-file and --proxy-client-cert-file/--proxy-client-key-file to serve the view API`,
    );
  }
  return config;
}

/** What the TLS layer established about the client's certificate. */
export interface PeerCertificate {
  /** The certificate chained to the request-header CA. */
  verified: boolean;
  commonName: string | undefined;
}

export type ProxyAuthentication = { user: UserIdentity } | { error: string };

/** The user the API server vouches for, or why the request is not from the API server. */
export function authenticateProxied(
  peer: PeerCertificate,
  headers: Record<string, string[] | undefined> | IncomingHttpHeaders,
  config: RequestHeaderConfig,
): ProxyAuthentication {
  if (!peer.verified) return { error: 'no client certificate signed by the request-header CA' };
  if (config.allowedNames.length > 0 && !config.allowedNames.includes(peer.commonName ?? '')) {
    return { error: `client certificate name "${peer.commonName ?? ''}" is not an allowed request-header name` };
  }
  const values = (names: readonly string[]): string[] =>
    names.flatMap((n) => {
      const v = headers[n.toLowerCase()];
      return v === undefined ? [] : Array.isArray(v) ? v : [v];
    });
  const username = values(config.usernameHeaders).find((v) => v !== '');
  if (!username) return { error: 'the proxied request names no user' };
  const groups = values(config.groupHeaders).filter((g) => g !== '');
  const uid = values(config.uidHeaders).find((v) => v !== '');
  return { user: { username, groups, ...(uid ? { uid } : {}) } };
}
