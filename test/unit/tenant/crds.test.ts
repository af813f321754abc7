import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Value } from 'typebox/value';
import { parseAllDocuments } from 'yaml';
import { buildAllCrds } from '../../../src/api/all-crds.ts';
import { renderCrdsYaml } from '../../../src/api/crds-yaml.ts';
import { tenantInstallObjects } from '../../../src/tenant/install.ts';
import { buildTenantCrds } from '../../../src/tenant/api/crds.ts';
import { TenantKinds } from '../../../src/tenant/api/kinds.ts';
import { TenantBackupSpecSchema, TenantRestoreSpecSchema } from '../../../src/tenant/api/types.ts';

type Json = Record<string, unknown>;

const committed = (dir: string) =>
  readFileSync(new URL(`../../../${dir}/tenant.skiff.dev.yaml`, import.meta.url), 'utf8');

function crd(kind: string): Json {
  const found = buildTenantCrds().find((c) => (c.spec as { names: Json }).names.kind === kind);
  assert.ok(found, kind);
  return found;
}
const version = (c: Json) => (c.spec as { versions: Json[] }).versions[0]!;
function schemaAt(c: Json, ...path: string[]): Json {
  let node = (version(c).schema as { openAPIV3Schema: Json }).openAPIV3Schema;
  for (const key of path) node = (node.properties as Record<string, Json>)[key]!;
  return node;
}
const celRules = (node: Json) =>
  (node['x-kubernetes-validations'] as { rule: string }[] | undefined)?.map((r) => r.rule);

test('config/crds and the chart carry the tenant CRDs as generated (run scripts/gen-crds.ts after changing src/tenant/api)', () => {
  const expected = renderCrdsYaml(buildTenantCrds());
  assert.equal(committed('config/crds'), expected);
  assert.equal(committed('charts/skiff/crds'), expected);
  const docs = parseAllDocuments(expected).map((d) => d.toJS() as Json);
  assert.deepEqual(docs, buildTenantCrds());
});

test('the chart installs the same admission policies and roles as skiff install (run scripts/gen-crds.ts after changing src/tenant)', () => {
  const chart = readFileSync(new URL('../../../charts/skiff/templates/tenant.yaml', import.meta.url), 'utf8');
  assert.equal(chart, renderCrdsYaml(tenantInstallObjects()));
  assert.ok(!chart.includes('{{'), 'the generated template holds no Go template syntax');
});

test('seven kinds in tenant.skiff.dev/v1alpha1, each with a status subresource and a required spec; two cluster-scoped', () => {
  const crds = buildTenantCrds();
  assert.deepEqual(crds.map((c) => c.metadata.name).sort(), [
    'restoregrants.tenant.skiff.dev',
    'storageapprovals.tenant.skiff.dev',
    'tenantbackups.tenant.skiff.dev',
    'tenantpolicies.tenant.skiff.dev',
    'tenantrestores.tenant.skiff.dev',
    'tenantschedules.tenant.skiff.dev',
    'tenantstoragelocations.tenant.skiff.dev',
  ]);
  for (const c of crds) {
    assert.equal(version(c).name, 'v1alpha1');
    assert.deepEqual(version(c).subresources, { status: {} });
    assert.deepEqual((version(c).schema as { openAPIV3Schema: Json }).openAPIV3Schema.required, ['spec']);
  }
  const clusterScoped = crds.filter((c) => (c.spec as Json).scope === 'Cluster').map((c) => c.metadata.name);
  assert.deepEqual(clusterScoped.sort(), ['storageapprovals.tenant.skiff.dev', 'tenantpolicies.tenant.skiff.dev']);
});

test('skiff install applies velero.io and tenant.skiff.dev CRDs together', () => {
  const names = buildAllCrds().map((c) => c.metadata.name ?? '');
  assert.ok(names.includes('backups.velero.io'));
  assert.ok(names.includes('tenantbackups.tenant.skiff.dev'));
  assert.equal(new Set(names).size, names.length);
});

test('CEL field rules: requester and backupRef immutable, includeClusterResources only false, no server-file config', () => {
  assert.deepEqual(celRules(schemaAt(crd('TenantBackup'), 'spec', 'requester')), ['self == oldSelf']);
  assert.deepEqual(celRules(schemaAt(crd('TenantRestore'), 'spec', 'backupRef')), ['self == oldSelf']);
  assert.deepEqual(celRules(schemaAt(crd('TenantBackup'), 'spec', 'includeClusterResources')), ['self == false']);
  assert.deepEqual(celRules(schemaAt(crd('TenantStorageLocation'), 'spec', 'config')), [
    "!('credentialsFile' in self)",
    "!('credentialProcess' in self)",
  ]);
  assert.deepEqual(schemaAt(crd('TenantBackup'), 'spec').required, ['requester']);
  assert.deepEqual(schemaAt(crd('TenantRestore'), 'spec').required, ['requester', 'backupRef']);
});

test('the typebox schemas accept a contract-shaped spec and name the missing requester', () => {
  const requester = { username: 'alice', groups: ['team-a', 'system:authenticated'] };
  assert.ok(Value.Check(TenantBackupSpecSchema, { requester, namespaces: ['team-a'], ttl: '24h' }));
  assert.ok(!Value.Check(TenantBackupSpecSchema, { namespaces: ['team-a'] }));
  assert.ok(!Value.Check(TenantBackupSpecSchema, { requester, ttl: 'one day' }));
  assert.ok(
    Value.Check(TenantRestoreSpecSchema, {
      requester,
      backupRef: { namespace: 'team-b', name: 'b1' },
      existingResourcePolicy: 'update',
    }),
  );
  assert.ok(
    !Value.Check(TenantRestoreSpecSchema, {
      requester,
      backupRef: { namespace: 'team-b', name: 'b1' },
      existingResourcePolicy: 'all',
    }),
  );
  assert.equal(TenantKinds.TenantStorageLocation.shortNames[0], 'tsl');
});
