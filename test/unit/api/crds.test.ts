import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { BackupPhase } from '../../../src/api/backup.ts';
import { buildCrds, toCrdSchema } from '../../../src/api/crds.ts';
import { renderCrdsYaml } from '../../../src/api/crds-yaml.ts';
import { ALL_KINDS } from '../../../src/api/kinds.ts';

const committedPath = new URL('../../../config/crds/velero.io.yaml', import.meta.url);

type Json = Record<string, unknown>;

function crdFor(kind: string): Json {
  const crd = buildCrds().find((c) => (c.spec as Json & { names: Json }).names.kind === kind);
  assert.ok(crd, `no CRD for ${kind}`);
  return crd;
}

function versionOf(crd: Json): Json {
  return (crd.spec as { versions: Json[] }).versions[0]!;
}

/** Walks `openAPIV3Schema.properties.a.properties.b...`. */
function schemaAt(crd: Json, ...path: string[]): Json {
  let node = (versionOf(crd).schema as { openAPIV3Schema: Json }).openAPIV3Schema;
  for (const key of path) node = (node.properties as Record<string, Json>)[key]!;
  return node;
}

test('the committed config/crds/velero.io.yaml matches the schemas (run scripts/gen-crds.ts after changing src/api)', () => {
  assert.equal(readFileSync(committedPath, 'utf8'), renderCrdsYaml());
});

test('the Helm chart carries the same CRDs (run scripts/gen-crds.ts after changing src/api)', () => {
  const chartCopy = new URL('../../../charts/skiff/crds/velero.io.yaml', import.meta.url);
  assert.equal(readFileSync(chartCopy, 'utf8'), renderCrdsYaml());
});

test('the committed file parses as one CRD per velero.io kind', () => {
  const docs = parseAllDocuments(readFileSync(committedPath, 'utf8')).map((d) => d.toJS() as Json);
  assert.deepEqual(docs, buildCrds());
  const names = docs.map((d) => (d.metadata as Json).name).sort();
  assert.deepEqual(names, [
    'backuprepositories.velero.io',
    'backups.velero.io',
    'backupstoragelocations.velero.io',
    'datadownloads.velero.io',
    'datauploads.velero.io',
    'deletebackuprequests.velero.io',
    'downloadrequests.velero.io',
    'podvolumebackups.velero.io',
    'podvolumerestores.velero.io',
    'restores.velero.io',
    'schedules.velero.io',
    'serverstatusrequests.velero.io',
    'volumesnapshotlocations.velero.io',
  ]);
});

test('every kind is namespaced; DataUpload and DataDownload are served as v2alpha1, the rest as v1', () => {
  for (const kind of ALL_KINDS) {
    const crd = crdFor(kind.kind);
    assert.equal((crd.spec as Json).scope, 'Namespaced');
    const expected = kind.kind === 'DataUpload' || kind.kind === 'DataDownload' ? 'v2alpha1' : 'v1';
    assert.equal(versionOf(crd).name, expected, kind.kind);
  }
});

test('the status subresource exists exactly on the kinds where Velero enables it (reference §0)', () => {
  const withStatus = ALL_KINDS.filter((k) => versionOf(crdFor(k.kind)).subresources !== undefined).map((k) => k.kind);
  assert.deepEqual(withStatus.sort(), [
    'BackupRepository',
    'BackupStorageLocation',
    'DataDownload',
    'DataUpload',
    'DeleteBackupRequest',
    'PodVolumeBackup',
    'PodVolumeRestore',
    'Schedule',
  ]);
});

test('short names bsl, vsl and ssr are declared', () => {
  const short = (kind: string) => ((crdFor(kind).spec as Json).names as Json).shortNames;
  assert.deepEqual(short('BackupStorageLocation'), ['bsl']);
  assert.deepEqual(short('VolumeSnapshotLocation'), ['vsl']);
  assert.deepEqual(short('ServerStatusRequest'), ['ssr']);
  assert.equal(short('Backup'), undefined);
});

test("Backup's spec.ttl and csiSnapshotTimeout are strings (Go durations), and its phases are Velero's", () => {
  const backup = crdFor('Backup');
  assert.equal(schemaAt(backup, 'spec', 'ttl').type, 'string');
  assert.equal(schemaAt(backup, 'spec', 'csiSnapshotTimeout').type, 'string');
  const phase = schemaAt(backup, 'status', 'phase');
  assert.equal(phase.type, 'string');
  assert.deepEqual(phase.enum, [
    'New',
    'Queued',
    'ReadyToStart',
    'FailedValidation',
    'InProgress',
    'WaitingForPluginOperations',
    'WaitingForPluginOperationsPartiallyFailed',
    'Finalizing',
    'FinalizingPartiallyFailed',
    'Completed',
    'PartiallyFailed',
    'Failed',
    'Deleting',
  ]);
  assert.deepEqual(phase.enum, Object.values(BackupPhase));
});

test('nullable fields are written as OpenAPI nullable, and maps as additionalProperties of strings', () => {
  const backup = crdFor('Backup');
  assert.deepEqual(schemaAt(backup, 'spec', 'includedNamespaces').nullable, true);
  assert.equal(schemaAt(backup, 'spec', 'includedNamespaces').type, 'array');
  const config = schemaAt(crdFor('BackupStorageLocation'), 'spec', 'config');
  assert.deepEqual(config.additionalProperties, { type: 'string' });
});

test('BSL requires provider and objectStorage.bucket, and its phase defaults to Unavailable', () => {
  const bsl = crdFor('BackupStorageLocation');
  assert.deepEqual(schemaAt(bsl, 'spec').required, ['provider', 'objectStorage']);
  assert.deepEqual(schemaAt(bsl, 'spec', 'objectStorage').required, ['bucket']);
  assert.equal(schemaAt(bsl, 'status', 'phase').default, 'Unavailable');
});

test('restore init-hook containers keep unknown fields', () => {
  const hooks = schemaAt(crdFor('Restore'), 'spec', 'hooks', 'resources');
  const postHooks = ((hooks.items as Json).properties as Record<string, Json>).postHooks!;
  const init = ((postHooks.items as Json).properties as Record<string, Json>).init!;
  const containers = (init.properties as Record<string, Json>).initContainers!;
  assert.equal((containers.items as Json)['x-kubernetes-preserve-unknown-fields'], true);
});

test('schemas are structural: every node has a type, and no anyOf/$ref/const/patternProperties', () => {
  const forbidden = ['anyOf', 'oneOf', 'allOf', '$ref', 'const', 'patternProperties', '$schema'];
  function walk(node: Json, path: string): void {
    for (const key of forbidden) assert.ok(!(key in node), `${path} uses ${key}`);
    assert.ok(
      typeof node.type === 'string' || node['x-kubernetes-preserve-unknown-fields'] === true,
      `${path} has no single type`,
    );
    for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, Json>)) {
      walk(child, `${path}.${name}`);
    }
    if (node.items) walk(node.items as Json, `${path}[]`);
    if (typeof node.additionalProperties === 'object') walk(node.additionalProperties as Json, `${path}{}`);
  }
  for (const kind of ALL_KINDS) walk(schemaAt(crdFor(kind.kind)), kind.kind);
});

test('toCrdSchema rejects keywords the API server would refuse', () => {
  assert.throws(() => toCrdSchema({ anyOf: [{ type: 'string' }] }, 'x'), /unsupported keyword "anyOf"/);
  assert.throws(() => toCrdSchema({ type: 'object', patternProperties: {} }, 'x'), /patternProperties/);
  assert.throws(() => toCrdSchema({ type: ['string', 'integer'] }, 'x'), /only one type/);
  assert.throws(() => toCrdSchema({ description: 'no type' }, 'x'), /has no type/);
});
