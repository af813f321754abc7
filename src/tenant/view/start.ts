import { isIP } from 'node:net';
import { LocationResolver } from '../../controllers/locations.ts';
import type { Cluster } from '../../kube/cluster.ts';
import type { Logger } from '../../util/log.ts';
import { ensureSelfSignedCert, readCertFiles, syncApiServiceCaBundle } from './serving-identity.ts';
import { serveViewApi, type ViewApiServer } from './view-server.ts';

export interface ViewApiOptions {
  /** `--view-api-bind-address`, host:port. */
  bindAddress: string;
  /** `--view-api-cert` and `--view-api-key`; without them a self-signed certificate is used. */
  certFile?: string | undefined;
  keyFile?: string | undefined;
  credentialsFile?: string | undefined;
}

export interface StartedViewApi extends ViewApiServer {
  /** The serving certificate (PEM), which the APIService's caBundle must trust. */
  certPem: string;
}

/**
 * Serves the view API for the server namespace `namespace`: its own certificate or the shared
 * self-signed one (whose caBundle it then sets on the APIService, when that points here).
 */
export async function startViewApi(
  deps: { cluster: Cluster; namespace: string; log: Logger },
  opts: ViewApiOptions,
): Promise<StartedViewApi> {
  const { cluster, namespace, log } = deps;
  const host = opts.bindAddress.slice(0, Math.max(opts.bindAddress.lastIndexOf(':'), 0)).replace(/^\[(.*)\]$/, '$1');
  const tls =
    opts.certFile && opts.keyFile
      ? await readCertFiles(opts.certFile, opts.keyFile)
      : await ensureSelfSignedCert(cluster, namespace, isIP(host) ? [host] : []);
  if (!opts.certFile) {
    const done = await syncApiServiceCaBundle(cluster, namespace, tls.certPem, log).catch((err: unknown) => {
      log.warn({ err }, 'cannot set the caBundle of the view APIService');
      return 'failed';
    });
    log.info({ caBundle: done }, 'view APIService caBundle');
  }
  const locations = new LocationResolver(cluster, namespace, opts.credentialsFile);
  const server = await serveViewApi({ cluster, namespace, locations, log }, opts.bindAddress, tls);
  return { ...server, certPem: tls.certPem };
}
