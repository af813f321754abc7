import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CRD_RESOURCE, type CrdCluster } from '../../../src/api/install.ts';
import { describeError } from '../../../src/cli/program.ts';
import { KubeApiError } from '../../../src/kube/errors.ts';
import type { KubeObject } from '../../../src/kube/object.ts';
import { ensureCrds } from '../../../src/server/ensure-crds.ts';

const BACKUPS = '/apis/velero.io/v1/namespaces/velero/backups';

test('`skiff backup get` before `skiff install`: the error names the missing kind and what to install', () => {
  const err = new KubeApiError(404, 'Not Found', '404 page not found', { method: 'GET', path: BACKUPS }, true);
  const { message, exitCode } = describeError(err);
  assert.equal(exitCode, 1);
  assert.match(message, /^the velero\.io\/v1 Backup kind is not installed in this cluster/);
  assert.match(message, /'skiff install'/);
  assert.match(message, /'skiff install --crds-only'/);
  assert.match(message, /GET \/apis\/velero\.io\/v1\/namespaces\/velero\/backups: 404/, 'the raw answer stays visible');
});

test('the kind is found behind a wrapping error too, and for every velero.io kind', () => {
  const path = '/apis/velero.io/v1/namespaces/velero/backupstoragelocations/default';
  const inner = new KubeApiError(
    404,
    'NotFound',
    'the server could not find the requested resource',
    { method: 'GET', path },
    true,
  );
  const { message } = describeError(new Error('cannot read the location', { cause: inner }));
  assert.match(message, /^the velero\.io\/v1 BackupStorageLocation kind is not installed/);
});

test('a type of another group that is not served says so, without pointing at skiff install', () => {
  const path = '/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses';
  const err = new KubeApiError(404, 'Not Found', '404 page not found', { method: 'GET', path }, true);
  const { message } = describeError(err);
  assert.match(message, /does not serve volumesnapshotclasses\.snapshot\.storage\.k8s\.io\/v1/);
  assert.doesNotMatch(message, /skiff install/);
});

test('a missing object is still reported as a missing object', () => {
  const path = `${BACKUPS}/nightly`;
  const err = new KubeApiError(404, 'NotFound', 'backups.velero.io "nightly" not found', { method: 'GET', path });
  assert.match(describeError(err).message, /backups\.velero\.io "nightly" not found/);
  assert.doesNotMatch(describeError(err).message, /not installed/);
});

/** A cluster whose account may read CRDs but not create them: none is installed. */
function forbiddenCluster(existing: Set<string>): CrdCluster {
  return {
    find: (_rt, name) => Promise.resolve(existing.has(name) ? ({ metadata: { name } } as KubeObject) : undefined),
    patch: (_rt, target) =>
      Promise.reject(
        new KubeApiError(403, 'Forbidden', 'cannot patch resource "customresourcedefinitions"', {
          method: 'PATCH',
          path: `/apis/${CRD_RESOURCE.group}/${CRD_RESOURCE.version}/${CRD_RESOURCE.resource}/${target.name}`,
        }),
      ),
  };
}

test('a server that cannot install missing CRDs says which are missing and how to install them', async () => {
  await assert.rejects(ensureCrds(forbiddenCluster(new Set(['schedules.velero.io']))), (err: Error) => {
    assert.match(err.message, /backups\.velero\.io, /);
    assert.match(err.message, /restores\.velero\.io/);
    assert.doesNotMatch(err.message, /schedules\.velero\.io/, 'only the missing ones are named');
    assert.match(err.message, /403 Forbidden/);
    assert.match(err.message, /'skiff install --crds-only'/);
    return true;
  });
});
