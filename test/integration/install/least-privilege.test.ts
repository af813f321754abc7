// exclusive-test: skiff install (cluster-wide RBAC), and deletes a CRD other files' backups may be listing
/**
 * The least-privilege role, proven for real: `skiff install --rbac least-privilege` into a
 * fresh namespace, a token for its ServiceAccount from the TokenRequest API, and a real
 * `skiff server` process that has only that token. It backs up a rich namespace to MinIO
 * and restores it; a kind it may not read ends the backup PartiallyFailed with an error
 * naming the kind, and the server keeps running.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { Kinds, resourceRef, type BackupStorageLocation } from '../../../src/api/index.ts';
import type { KubeObject, ResourceRef } from '../../../src/kube/index.ts';
import { backupStoreForLocation, type BackupStore } from '../../../src/storage/index.ts';
import { adminCluster, apps, core, createNamespace, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { restorableView, restoreAndWait } from '../../helpers/restore-server.ts';
import { CRD_GROUP, createRichNamespace } from '../../helpers/rich-namespace.ts';
import { backupAndWait, s3LocationSpec } from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';
import { skiffOk, startSkiffServer } from '../cli/run-skiff.ts';

const cluster = adminCluster();
const env = loadTestEnv();
const serverNs = uniqueName('skiff-lp');
const appNs = uniqueName('lp-app');
const deniedNs = uniqueName('lp-denied');
const plural = `lpwidgets${uniqueName('x').slice(2)}`;
const deniedGroup = `denied-${uniqueName('g').slice(2)}.skiff-test.example.net`;
const deniedPlural = 'gadgets';
const prefix = uniqueName('lp');
const work = mkdtempSync(join(tmpdir(), 'skiff-lp-'));
const rbac = (resource: string): ResourceRef => ({ group: 'rbac.authorization.k8s.io', version: 'v1', resource });
const CRDS: ResourceRef = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' };
const extraRole = `${serverNs}-custom-resources`;
let server: ReturnType<typeof startSkiffServer> | undefined;
const pvNames: string[] = [];
let clusterRoleName = '';

interface Crd {
  metadata: { name: string };
  spec: { group: string; names: { plural: string } };
}

/** A kubeconfig whose only credential is a TokenRequest token of ServiceAccount velero. */
async function serviceAccountKubeconfig(): Promise<string> {
  const answer = await cluster.client.request<{ status: { token: string } }>({
    method: 'POST',
    path: `/api/v1/namespaces/${serverNs}/serviceaccounts/velero/token`,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  });
  const admin = parse(readFileSync(env.kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority': string } }[];
  };
  const c = admin.clusters[0]?.cluster;
  assert.ok(c);
  const file = join(work, 'velero-sa.kubeconfig');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: c.server, 'certificate-authority': c['certificate-authority'] } }],
      users: [{ name: 'velero', user: { token: answer.status.token } }],
      contexts: [{ name: 'velero', context: { cluster: 'test', user: 'velero', namespace: serverNs } }],
      'current-context': 'velero',
    }),
  );
  return file;
}

/**
 * What an operator adds next to the least-privilege role for the custom resources they back
 * up (README): here every CRD the test cluster has, except the one this test denies.
 */
async function grantCustomResources(): Promise<void> {
  const list = await cluster.client.request<{ items: Crd[] }>({
    method: 'GET',
    path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
  });
  const rules = list.items
    .filter((c) => c.spec.group !== 'velero.io' && c.spec.group !== deniedGroup)
    .map((c) => ({
      apiGroups: [c.spec.group],
      resources: [c.spec.names.plural],
      verbs: ['get', 'list', 'create', 'patch', 'update'],
    }));
  await cluster.create(rbac('clusterroles'), {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: extraRole },
    rules,
  });
  await cluster.create(rbac('clusterrolebindings'), {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: extraRole },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: extraRole },
    subjects: [{ kind: 'ServiceAccount', name: 'velero', namespace: serverNs }],
  });
}

async function createDeniedKind(): Promise<void> {
  await cluster.create(CRDS, {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${deniedPlural}.${deniedGroup}` },
    spec: {
      group: deniedGroup,
      scope: 'Namespaced',
      names: { plural: deniedPlural, singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  });
  const gadgets = { group: deniedGroup, version: 'v1', resource: deniedPlural };
  await waitFor('the denied kind to be served', async () => {
    await cluster.client.request({ method: 'GET', path: `/apis/${deniedGroup}/v1/${deniedPlural}` });
    return true;
  });
  await createNamespace(cluster, deniedNs);
  await cluster.create(gadgets, {
    apiVersion: `${deniedGroup}/v1`,
    kind: 'Gadget',
    metadata: { name: 'g1', namespace: deniedNs },
    spec: { size: 1 },
  });
  await cluster.create(core('configmaps'), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'readable', namespace: deniedNs },
    data: { k: 'v' },
  });
}

function store(): Promise<BackupStore> {
  return backupStoreForLocation(
    { metadata: { namespace: serverNs }, spec: s3LocationSpec(prefix) as never },
    {
      readSecretKey: () =>
        Promise.resolve(
          `[default]\naws_access_key_id=${env.s3.accessKeyId}\naws_secret_access_key=${env.s3.secretAccessKey}\n`,
        ),
    },
  );
}

describe('a skiff server with only the least-privilege role', { concurrency: false }, () => {
  before(async () => {
    const credentials = join(work, 'credentials');
    writeFileSync(
      credentials,
      `[default]\naws_access_key_id=${env.s3.accessKeyId}\naws_secret_access_key=${env.s3.secretAccessKey}\n`,
    );
    // The user's install: the CRDs, namespace, ServiceAccount, least-privilege RBAC, Secret, location, Deployment.
    await skiffOk([
      ...['install', '-n', serverNs, '--rbac', 'least-privilege', '--use-volume-snapshots=false'],
      ...['--provider', 'aws', '--bucket', env.s3.bucket, '--prefix', prefix, '--secret-file', credentials],
      ...['--backup-location-config', `region=${env.s3.region},s3ForcePathStyle=true,s3Url=${env.s3.endpoint}`],
    ]);
    ({ clusterRoleName } = await createRichNamespace(cluster, appNs, plural));
    await grantCustomResources();
    const kubeconfig = await serviceAccountKubeconfig();
    // Only the token: KUBECONFIG points at it too, so nothing can fall back to the admin's credentials.
    server = startSkiffServer(
      ['-n', serverNs, '--kubeconfig', kubeconfig, '--metrics-address', '', '--store-validation-frequency', '5s'],
      { env: { KUBECONFIG: kubeconfig } },
    );
    await waitFor(
      'the default location to be Available (validated by the server as the ServiceAccount)',
      async () => {
        const bsl = (await cluster.get(
          resourceRef(Kinds.BackupStorageLocation),
          'default',
          serverNs,
        )) as BackupStorageLocation;
        return bsl.status?.phase === 'Available';
      },
      90_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\nserver output:\n${server?.logs() ?? ''}`);
    });
  });

  after(async () => {
    await server?.stop();
    for (const ns of [appNs, deniedNs, serverNs]) await cluster.delete(core('namespaces'), ns).catch(() => undefined);
    await cluster.delete(CRDS, `${deniedPlural}.${deniedGroup}`).catch(() => undefined);
    for (const name of [extraRole, `velero-${serverNs}`, `${appNs}-reader`]) {
      await cluster.delete(rbac('clusterrolebindings'), name).catch(() => undefined);
    }
    for (const name of [extraRole, `velero-${serverNs}`, clusterRoleName]) {
      if (name) await cluster.delete(rbac('clusterroles'), name).catch(() => undefined);
    }
    for (const pv of pvNames) await cluster.delete(core('persistentvolumes'), pv).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  test('it backs up a rich namespace to MinIO and restores it after the namespace is lost', async () => {
    for (const claim of ['web-data', 'pgdata-db-0']) {
      const pvc = await cluster.get(core('persistentvolumeclaims'), claim, appNs);
      const pv = (pvc.spec as { volumeName: string }).volumeName;
      pvNames.push(pv);
      await cluster.patch(core('persistentvolumes'), { name: pv }, 'merge', {
        spec: { persistentVolumeReclaimPolicy: 'Retain' },
      });
    }
    const custom = { group: CRD_GROUP, version: 'v1', resource: plural };
    const watched: [ResourceRef, string, string?][] = [
      [core('configmaps'), 'web-config', appNs],
      [core('secrets'), 'web-secret', appNs],
      [core('serviceaccounts'), 'web-sa', appNs],
      [core('services'), 'web', appNs],
      [apps('deployments'), 'web', appNs],
      [apps('statefulsets'), 'db', appNs],
      [rbac('roles'), 'web-role', appNs],
      [rbac('rolebindings'), 'web-rb', appNs],
      [rbac('clusterroles'), clusterRoleName],
      [rbac('clusterrolebindings'), `${appNs}-reader`],
      [custom, 'first', appNs],
      [custom, 'second', appNs],
      ...pvNames.map((pv): [ResourceRef, string] => [core('persistentvolumes'), pv]),
    ];
    const before: KubeObject[] = [];
    for (const [ref, name, ns] of watched) before.push(await cluster.get(ref, name, ns));

    const backup = await backupAndWait(cluster, serverNs, 'lp-backup', { includedNamespaces: [appNs] });
    assert.equal(backup.status?.phase, 'Completed', `${JSON.stringify(backup.status)}\n${server?.logs() ?? ''}`);
    assert.equal(backup.status.errors ?? 0, 0);
    const s = await store();
    assert.ok((await s.listBackups()).includes('lp-backup'), 'the backup is in MinIO');

    await deleteNamespaceAndWait(cluster, appNs);
    await cluster.delete(rbac('clusterroles'), clusterRoleName);
    await cluster.delete(rbac('clusterrolebindings'), `${appNs}-reader`);
    for (const pv of pvNames) await cluster.delete(core('persistentvolumes'), pv);
    await waitFor('the PVs to be gone', async () => {
      for (const pv of pvNames) if (await cluster.find(core('persistentvolumes'), pv)) return false;
      return true;
    });

    const restore = await restoreAndWait(cluster, serverNs, 'lp-restore', { backupName: 'lp-backup' });
    assert.equal(restore.status?.phase, 'Completed', `${JSON.stringify(restore.status)}\n${server?.logs() ?? ''}`);
    assert.equal(restore.status.errors ?? 0, 0);
    // Nothing was refused along the way, not even as a warning.
    const backupResults = JSON.stringify(await s.getBackupFile('lp-backup', 'results'));
    const restoreResults = JSON.stringify(await s.getRestoreFile('lp-restore', 'results'));
    assert.doesNotMatch(backupResults, /forbidden/i, backupResults);
    assert.doesNotMatch(restoreResults, /forbidden/i, restoreResults);
    for (const [i, [ref, name, ns]] of watched.entries()) {
      const live = await cluster.get(ref, name, ns);
      assert.deepEqual(restorableView(live), restorableView(before[i] as KubeObject), `${ref.resource} ${name}`);
    }
  });

  test('a kind it may not list: PartiallyFailed with an error naming it; the rest is backed up; the server runs on', async () => {
    await createDeniedKind();
    const backup = await backupAndWait(cluster, serverNs, 'lp-denied', { includedNamespaces: [deniedNs] });
    assert.equal(backup.status?.phase, 'PartiallyFailed', JSON.stringify(backup.status));
    assert.ok((backup.status.errors ?? 0) >= 1);
    const s = await store();
    const results = JSON.stringify(await s.getBackupFile('lp-denied', 'results'));
    assert.match(
      results,
      new RegExp(
        `cannot list ${deniedPlural}\\.${deniedGroup.replaceAll('.', '\\.')} in namespace ${deniedNs}: 403 Forbidden`,
      ),
    );
    const resources = JSON.stringify(await s.getBackupFile('lp-denied', 'resourceList'));
    assert.match(resources, new RegExp(`${deniedNs}/readable`), 'the readable ConfigMap is in the backup');

    assert.equal(server?.child.exitCode, null, 'the server is still running');
    const next = await backupAndWait(cluster, serverNs, 'lp-after', {
      includedNamespaces: [deniedNs],
      excludedResources: [`${deniedPlural}.${deniedGroup}`],
    });
    assert.equal(next.status?.phase, 'Completed', JSON.stringify(next.status));
  });
});
