/**
 * The users of issue 17's acceptance tests, as the API server authenticates them: client
 * certificates signed by the test environment's CA (scripts/testenv/pki.sh), the groups in the
 * subject's O fields, and a `ci` ServiceAccount with a bound token. Certificates are made once
 * per environment under `<run>/tenant-users/` (openssl, as pki.sh does) and reused.
 *
 * The groups are fixed (`team-a`, ...), the namespaces are not: a test creates fresh
 * namespaces and binds the group there, so tests never share RBAC.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { Cluster, KubeClient } from '../../src/kube/index.ts';
import { resourcePath } from '../../src/kube/resource.ts';
import { core } from './cluster.ts';
import { loadTestEnv, testEnvRunDir } from './testenv.ts';

/** The certificate users and their groups (issue 17, acceptance). */
export const TENANT_USERS = {
  alice: ['team-a'],
  bob: ['team-b'],
  carol: ['team-a', 'team-c'],
  dave: [],
} as const satisfies Record<string, readonly string[]>;
export type TenantUserName = keyof typeof TENANT_USERS;

export interface TenantUser {
  username: string;
  /** The groups the API server reports: the certificate's, plus system:authenticated. */
  groups: string[];
  kubeconfig: string;
  cluster: Cluster;
}

function openssl(args: string[], cwd: string): void {
  const res = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${res.stderr}`);
}

/** Server and CA of the environment, from its admin kubeconfig. */
function adminClusterEntry(): { server: string; ca: string } {
  const kc = parse(readFileSync(loadTestEnv().kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority': string } }[];
  };
  const entry = kc.clusters[0]?.cluster;
  if (!entry) throw new Error('the test kubeconfig has no cluster');
  return { server: entry.server, ca: entry['certificate-authority'] };
}

/** Writes a file atomically, so that test files running at once never read half of one. */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

function kubeconfigFor(path: string, username: string, user: Record<string, string>): string {
  const { server, ca } = adminClusterEntry();
  writeAtomically(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'skiff-test', cluster: { server, 'certificate-authority': ca } }],
      users: [{ name: username, user }],
      contexts: [{ name: 'skiff-test', context: { cluster: 'skiff-test', user: username } }],
      'current-context': 'skiff-test',
    }),
  );
  return path;
}

function usersDir(): string {
  const dir = join(testEnvRunDir(), 'tenant-users');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** alice, bob, carol or dave: a client certificate signed by the test CA (made on first use). */
export function tenantUser(name: TenantUserName): TenantUser {
  const dir = usersDir();
  const pki = join(testEnvRunDir(), 'pki');
  const groups: readonly string[] = TENANT_USERS[name];
  const crt = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  if (!existsSync(crt)) {
    const tmp = `${name}.${process.pid}`;
    const subject = `${groups.map((g) => `/O=${g}`).join('')}/CN=${name}`;
    openssl(
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-sha256',
        '-keyout',
        `${tmp}.key`,
        '-out',
        `${tmp}.csr`,
        '-subj',
        subject,
      ],
      dir,
    );
    openssl(
      [
        'x509',
        '-req',
        '-sha256',
        '-days',
        '3650',
        '-in',
        `${tmp}.csr`,
        '-CA',
        join(pki, 'ca.crt'),
        '-CAkey',
        join(pki, 'ca.key'),
        '-CAcreateserial',
        '-CAserial',
        join(dir, `${tmp}.srl`),
        '-out',
        `${tmp}.crt`,
        '-extfile',
        join(pki, 'client.ext'),
      ],
      dir,
    );
    // The key first: whoever sees the certificate may use the key.
    renameSync(join(dir, `${tmp}.key`), key);
    renameSync(join(dir, `${tmp}.crt`), crt);
  }
  const kubeconfig = kubeconfigFor(join(dir, `${name}.kubeconfig`), name, {
    'client-certificate': crt,
    'client-key': key,
  });
  return {
    username: name,
    groups: [...groups, 'system:authenticated'],
    kubeconfig,
    cluster: new Cluster(KubeClient.fromKubeconfig({ kubeconfig })),
  };
}

/**
 * A ServiceAccount (`ci` by default) in `namespace`, created with the admin cluster, acting
 * through a bound token of one hour; its username is `system:serviceaccount:<ns>:<name>`.
 */
export async function serviceAccountUser(
  admin: Cluster,
  namespace: string,
  name = 'ci',
): Promise<TenantUser & { uid: string }> {
  const sa = await admin.create(core('serviceaccounts'), {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace },
  });
  const review = await admin.client.request<{ status?: { token?: string } }>({
    method: 'POST',
    path: resourcePath(core('serviceaccounts'), namespace, name, 'token'),
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  });
  const token = review.status?.token;
  if (!token) throw new Error(`no token for serviceaccount ${namespace}/${name}`);
  const kubeconfig = kubeconfigFor(join(usersDir(), `sa-${namespace}-${name}.kubeconfig`), name, { token });
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    uid: sa.metadata.uid ?? '',
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
    kubeconfig,
    cluster: new Cluster(KubeClient.fromKubeconfig({ kubeconfig })),
  };
}
