// exclusive-test: deletes CRDs other files' backups may be listing
/**
 * The server feature EnableAPIGroupVersions against the real API server and MinIO (reference
 * §2.4): a custom resource served at v1 and v2 (conversion None, same schema) is backed up at
 * both versions, and the restore picks the version in the reference's order after the target
 * changed which versions it serves or stores. Each test has its own CRD group and namespace.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readBackupArchive } from '../../../src/archive/index.ts';
import type { Restore } from '../../../src/api/index.ts';
import type { KubeObject, ResourceRef } from '../../../src/kube/index.ts';
import { planRestoreForCluster } from '../../../src/restore/index.ts';
import { adminCluster, core, createNamespace, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { restoreAndWait } from '../../helpers/restore-server.ts';
import { backupAndWait, defaultStore, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';

const cluster = adminCluster();
const CRDS: ResourceRef = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' };
const SPEC = { members: ['ann', 'bo'], size: 3, tour: { city: 'Lyon', dates: ['2026-01-02'] } };

let withFeature: TestServer;
let withoutFeature: TestServer;
const crdNames: string[] = [];
const namespaces: string[] = [];

/** A CRD served at v1 (storage) and v2, its namespace, and one custom resource created at v1. */
interface Fixture {
  group: string;
  plural: string;
  gr: string;
  ns: string;
  at(version: string): ResourceRef;
}

async function twoVersionFixture(): Promise<Fixture> {
  const id = uniqueName('v').slice(2);
  const group = `g${id}.versions-test.example.com`;
  const plural = 'bands';
  const gr = `${plural}.${group}`;
  const ns = uniqueName('versions');
  crdNames.push(gr);
  namespaces.push(ns);
  await cluster.create(CRDS, {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: gr },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, singular: 'band', kind: 'Band', listKind: 'BandList' },
      conversion: { strategy: 'None' },
      versions: [crdVersion('v1', true, true), crdVersion('v2', true, false)],
    },
  });
  const fixture = { group, plural, gr, ns, at: (version: string) => ({ group, version, resource: plural }) };
  await waitForServed(fixture, ['v2', 'v1']);
  await createNamespace(cluster, ns);
  await cluster.create(fixture.at('v1'), {
    apiVersion: `${group}/v1`,
    kind: 'Band',
    metadata: { name: 'quartet', namespace: ns },
    spec: SPEC,
  });
  return fixture;
}

function crdVersion(name: string, served: boolean, storage: boolean): Record<string, unknown> {
  return {
    name,
    served,
    storage,
    schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
  };
}

/** Changes which versions the CRD serves and stores, and waits until discovery says so. */
async function setVersions(f: Fixture, versions: Record<string, unknown>[], served: string[]): Promise<void> {
  await cluster.patch(CRDS, { name: f.gr }, 'merge', { spec: { versions } });
  await waitForServed(f, served);
}

async function waitForServed(f: Fixture, versions: string[]): Promise<void> {
  await waitFor(`${f.gr} served at ${versions.join(', ')}`, async () => {
    const discovery = await cluster.discover(true);
    const served = discovery.versionsOf(f.group, f.plural).map((rt) => rt.version);
    return served.length === versions.length && versions.every((v) => served.includes(v));
  });
}

async function backup(server: TestServer, f: Fixture): Promise<string> {
  const name = uniqueName('b');
  const b = await backupAndWait(cluster, server.namespace, name, { includedNamespaces: [f.ns] });
  assert.equal(b.status?.phase, 'Completed', JSON.stringify(b.status));
  return name;
}

/** Every item entry of a backup tarball: path → object. */
async function tarball(server: TestServer, backupName: string): Promise<Map<string, Record<string, unknown>>> {
  const store = await defaultStore(server);
  const entries = new Map<string, Record<string, unknown>>();
  for await (const rec of readBackupArchive(await store.getBackupContents(backupName))) {
    if (rec.kind === 'item') entries.set(rec.path, rec.object);
  }
  return entries;
}

async function deleteBand(f: Fixture): Promise<void> {
  await cluster.delete(f.at('v1'), 'quartet', f.ns);
  await waitFor('the band to be gone', async () => !(await cluster.find(f.at('v1'), 'quartet', f.ns)));
}

/**
 * Restores the band through the server with the feature; returns the restore-resource-list keys
 * of it, and the restore's warnings.
 */
async function restoreBand(f: Fixture, backupName: string, warnings: string[] = []): Promise<string[]> {
  const name = uniqueName('r');
  const restore = await restoreAndWait(cluster, withFeature.namespace, name, {
    backupName,
    includedResources: [f.gr],
  });
  const store = await defaultStore(withFeature);
  const results = (await store.getRestoreFile(name, 'results')) as { warnings?: { velero?: string[] } };
  assert.equal(restore.status?.phase, 'Completed', JSON.stringify(results));
  warnings.push(...(results.warnings?.velero ?? []));
  const list = (await store.getRestoreFile(name, 'resourceList')) as Record<string, string[]>;
  return Object.entries(list)
    .filter(([, items]) => items.includes(`${f.ns}/quartet(created)`))
    .map(([key]) => key);
}

describe('EnableAPIGroupVersions (reference §2.4)', () => {
  before(async () => {
    [withFeature, withoutFeature] = await Promise.all([
      startTestServer(cluster, { features: ['EnableAPIGroupVersions'] }),
      startTestServer(cluster),
    ]);
  });
  after(async () => {
    await Promise.all(namespaces.map((ns) => cluster.delete(core('namespaces'), ns).catch(() => undefined)));
    await Promise.all(crdNames.map((n) => cluster.delete(CRDS, n).catch(() => undefined)));
    await Promise.all([withFeature.stop(), withoutFeature.stop()]);
  });

  test('a backup with the feature holds every served version; without it, only the preferred-version copies', async () => {
    const f = await twoVersionFixture();
    const dir = `resources/${f.gr}`;
    const item = `namespaces/${f.ns}/quartet.json`;

    const on = await tarball(withFeature, await backup(withFeature, f));
    const bandPaths = [...on.keys()].filter((p) => p.startsWith(`${dir}/`)).sort();
    // v2 is the API server's preferred version (the highest served), so v1 is the extra one.
    assert.deepEqual(bandPaths, [`${dir}/${item}`, `${dir}/v1/${item}`, `${dir}/v2-preferredversion/${item}`]);
    const atV1 = on.get(`${dir}/v1/${item}`);
    assert.equal(atV1?.apiVersion, `${f.group}/v1`);
    assert.deepEqual(atV1?.spec, SPEC);
    assert.equal(on.get(`${dir}/${item}`)?.apiVersion, `${f.group}/v2`);
    // Core types with a single version get no extra folder.
    assert.ok(![...on.keys()].some((p) => /^resources\/[^/]+\/v1\//.test(p) && !p.startsWith(`${dir}/`)));

    const off = await tarball(withoutFeature, await backup(withoutFeature, f));
    const offPaths = [...off.keys()].filter((p) => p.startsWith(`${dir}/`)).sort();
    assert.deepEqual(offPaths, [`${dir}/${item}`, `${dir}/v2-preferredversion/${item}`]);
    assert.ok(![...off.keys()].some((p) => /^resources\/[^/]+\/v[0-9a-z]+\//.test(p)), 'no non-preferred folder');
  });

  test('after the storage version flips to v2 the restore uses the target preferred v2, data intact', async () => {
    const f = await twoVersionFixture();
    const backupName = await backup(withFeature, f);
    await deleteBand(f);
    await setVersions(f, [crdVersion('v1', true, false), crdVersion('v2', true, true)], ['v1', 'v2']);
    assert.deepEqual(await restoreBand(f, backupName), [`${f.group}/v2/Band`]);
    const back = await cluster.get(f.at('v2'), 'quartet', f.ns);
    assert.deepEqual(back.spec, SPEC);
  });

  test('with v2 no longer served the restore takes the v1 copy; without the feature it would take the unserved v2', async () => {
    const f = await twoVersionFixture();
    const backupName = await backup(withFeature, f);
    await deleteBand(f);
    await setVersions(f, [crdVersion('v1', true, true), crdVersion('v2', false, false)], ['v1']);

    // Planned without the feature (the code the server runs), the band comes from its legacy v2 copy:
    // a version the target no longer serves, so creating it would fail.
    const store = await defaultStore(withFeature);
    const restore: Restore = {
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: { name: 'plan-only', namespace: withFeature.namespace },
      spec: { backupName, includedResources: [f.gr] },
    };
    const band = async (enableApiGroupVersions: boolean) =>
      (await planRestoreForCluster({ cluster, store, enableApiGroupVersions }, restore)).tiers
        .flatMap((t) => t.operations)
        .find((op) => op.target.name === 'quartet');
    assert.equal((await band(false))?.target.apiVersion, `${f.group}/v2`);
    assert.equal((await band(true))?.target.apiVersion, `${f.group}/v1`);

    assert.deepEqual(await restoreBand(f, backupName), [`${f.group}/v1/Band`]);
    const back = await cluster.get(f.at('v1'), 'quartet', f.ns);
    assert.deepEqual(back.spec, SPEC);
  });

  test('the user priority in ConfigMap enableapigroupversions comes before the target preferred version', async () => {
    const f = await twoVersionFixture();
    const backupName = await backup(withFeature, f);
    await deleteBand(f);
    const configMap: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'enableapigroupversions', namespace: withFeature.namespace },
      data: { restoreResourcesVersionPriority: `${f.gr}=v3,v1\nnot a priority line\n` },
    };
    await cluster.create(core('configmaps'), configMap);
    const warnings: string[] = [];
    try {
      assert.deepEqual(await restoreBand(f, backupName, warnings), [`${f.group}/v1/Band`]);
      assert.ok(
        warnings.some((w) => w.includes('restoreResourcesVersionPriority: line 2 "not a priority line"')),
        JSON.stringify(warnings),
      );
    } finally {
      await cluster.delete(core('configmaps'), 'enableapigroupversions', withFeature.namespace);
    }
    assert.deepEqual((await cluster.get(f.at('v2'), 'quartet', f.ns)).spec, SPEC);
  });
});
