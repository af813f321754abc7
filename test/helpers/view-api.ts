/**
 * Registers a test server's view API with the API server as an admin would with a server
 * outside the cluster: a Service without selector in the server namespace, an EndpointSlice
 * with the host address the server listens on (no kube-proxy here: the test API server runs
 * with --enable-aggregator-routing and dials the endpoint itself), and the APIService, whose
 * caBundle is the server's certificate. Waits until the aggregator calls it Available.
 */
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from '../../src/kube/index.ts';
import { isRecord } from '../../src/kube/object.ts';
import {
  APISERVICES,
  VIEW_APISERVICE_NAME,
  viewApiEndpointSlice,
  viewApiObjects,
} from '../../src/tenant/view/index.ts';
import { core, waitFor } from './cluster.ts';
import type { TestServer } from './skiff-server.ts';
import { testEnvRunDir } from './testenv.ts';

const ENDPOINTSLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' };
const LABELS = { 'app.kubernetes.io/name': 'skiff-test' };

export async function registerViewApi(admin: Cluster, server: TestServer): Promise<void> {
  const view = await waitFor('the view API to listen', () => Promise.resolve(server.viewApi));
  const [service, apiService] = viewApiObjects({ namespace: server.namespace, labels: LABELS, caPem: view.certPem });
  if (!service || !apiService) throw new Error('viewApiObjects returned too little');
  await admin.create(core('services'), service);
  await admin.create(ENDPOINTSLICES, viewApiEndpointSlice(server.namespace, view.host, view.port));
  // Applied, not created: an APIService left by an interrupted run is taken over.
  await admin.patch(APISERVICES, { name: VIEW_APISERVICE_NAME }, 'apply', apiService, {
    fieldManager: 'skiff-test',
    force: true,
  });
  await waitFor(
    `APIService ${VIEW_APISERVICE_NAME} Available`,
    async () => {
      const svc = await admin.find(APISERVICES, VIEW_APISERVICE_NAME);
      const status = svc && isRecord(svc.status) ? svc.status : {};
      const conditions = Array.isArray(status.conditions) ? (status.conditions as Record<string, unknown>[]) : [];
      return conditions.some((c) => c.type === 'Available' && c.status === 'True');
    },
    90_000,
  );
}

export async function unregisterViewApi(admin: Cluster): Promise<void> {
  await admin.delete(APISERVICES, VIEW_APISERVICE_NAME);
}

/** The answer of the view API's own port, asked directly (not through the API server). */
export function askViewApiDirectly(
  server: TestServer,
  path: string,
  opts: { headers?: Record<string, string>; clientCert?: 'front-proxy' | { crt: string; key: string } } = {},
): Promise<{ status: number; body: string }> {
  const view = server.viewApi;
  if (!view) throw new Error('the test server serves no view API');
  const pki = join(testEnvRunDir(), 'pki');
  const cert =
    opts.clientCert === 'front-proxy'
      ? { crt: join(pki, 'front-proxy-client.crt'), key: join(pki, 'front-proxy-client.key') }
      : opts.clientCert;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: view.host,
        port: view.port,
        path,
        method: 'GET',
        ca: view.certPem,
        headers: opts.headers,
        ...(cert ? { cert: readFileSync(cert.crt), key: readFileSync(cert.key) } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
