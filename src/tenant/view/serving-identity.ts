/**
 * The view API's TLS identity: the certificate and key files an admin gives
 * (`--view-api-cert`/`--view-api-key`), or a self-signed certificate kept in the Secret
 * `skiff-view-api-tls` of the server namespace, so that every replica serves the same one and
 * a restart keeps it. The APIService must trust it: its caBundle is set to the certificate
 * when the APIService points at this namespace's Service.
 */
import { readFile } from 'node:fs/promises';
import type { Cluster } from '../../kube/cluster.ts';
import { isAlreadyExists } from '../../kube/errors.ts';
import { isRecord } from '../../kube/object.ts';
import { SECRETS } from '../../kube/secrets.ts';
import type { Logger } from '../../util/log.ts';
import { VIEW_APISERVICE_NAME } from './api.ts';
import { selfSignedServingCert, serviceDnsNames, type ServingCert } from './serving-cert.ts';

export const VIEW_TLS_SECRET = 'skiff-view-api-tls';
/** The Service the APIService names, in the server namespace (`skiff install --view-api`, the chart). */
export const VIEW_SERVICE_NAME = 'skiff-view-api';

export const APISERVICES = { group: 'apiregistration.k8s.io', version: 'v1', resource: 'apiservices' };

function decode(data: unknown, key: string): string | undefined {
  const v = isRecord(data) ? data[key] : undefined;
  return typeof v === 'string' && v !== '' ? Buffer.from(v, 'base64').toString('utf8') : undefined;
}

async function readTlsSecret(cluster: Cluster, namespace: string): Promise<ServingCert | undefined> {
  const secret = await cluster.find(SECRETS, VIEW_TLS_SECRET, namespace);
  const certPem = decode(secret?.data, 'tls.crt');
  const keyPem = decode(secret?.data, 'tls.key');
  return certPem && keyPem ? { certPem, keyPem } : undefined;
}

/** The Secret's certificate, made (for the Service's names and `ips`) when there is none yet. */
export async function ensureSelfSignedCert(
  cluster: Cluster,
  namespace: string,
  ips: readonly string[],
): Promise<ServingCert> {
  const existing = await readTlsSecret(cluster, namespace);
  if (existing) return existing;
  const made = selfSignedServingCert(serviceDnsNames(VIEW_SERVICE_NAME, namespace), ips);
  try {
    await cluster.create(SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: VIEW_TLS_SECRET, namespace, labels: { 'app.kubernetes.io/name': 'skiff' } },
      data: {
        'tls.crt': Buffer.from(made.certPem).toString('base64'),
        'tls.key': Buffer.from(made.keyPem).toString('base64'),
      },
    });
  } catch (err) {
    // Another replica made it first: serve theirs.
    if (!isAlreadyExists(err)) throw err;
  }
  const stored = await readTlsSecret(cluster, namespace);
  if (!stored) throw new Error(`secret ${namespace}/${VIEW_TLS_SECRET} has no tls.crt and tls.key`);
  return stored;
}

export async function readCertFiles(certFile: string, keyFile: string): Promise<ServingCert> {
  const [certPem, keyPem] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  return { certPem, keyPem };
}

/**
 * Sets the APIService's caBundle to `caPem` when it points at this namespace's Service and
 * trusts something else. Another namespace's APIService is left alone: one server per
 * cluster serves the view API. Returns what was done, for the log.
 */
export async function syncApiServiceCaBundle(
  cluster: Cluster,
  namespace: string,
  caPem: string,
  log: Logger,
): Promise<'updated' | 'unchanged' | 'absent' | 'elsewhere'> {
  const svc = await cluster.find(APISERVICES, VIEW_APISERVICE_NAME).catch((err: unknown) => {
    log.warn({ err }, 'cannot read the view APIService');
    return undefined;
  });
  if (!svc) return 'absent';
  const spec = isRecord(svc.spec) ? svc.spec : {};
  const service = isRecord(spec.service) ? spec.service : {};
  if (service.namespace !== namespace) return 'elsewhere';
  const caBundle = Buffer.from(caPem).toString('base64');
  if (spec.caBundle === caBundle) return 'unchanged';
  await cluster.patch(APISERVICES, { name: VIEW_APISERVICE_NAME }, 'merge', {
    spec: { caBundle, insecureSkipTLSVerify: false },
  });
  return 'updated';
}
