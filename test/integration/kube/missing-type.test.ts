/**
 * How the real API server answers a type it does not serve (a CRD not installed) and a missing
 * object, and what the CLI makes of each: the first must name what to install.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { installCrds } from '../../../src/api/install.ts';
import { Kinds } from '../../../src/api/index.ts';
import { describeError } from '../../../src/cli/program.ts';
import { findVelero } from '../../../src/cli/resources.ts';
import { KubeApiError } from '../../../src/kube/errors.ts';
import { adminCluster } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';

const cluster = adminCluster();

// The velero.io CRDs are installed by whichever test server starts first: install them here too.
before(() => installCrds(cluster));

async function apiError(path: string): Promise<KubeApiError> {
  try {
    await cluster.client.request({ method: 'GET', path });
  } catch (err) {
    if (err instanceof KubeApiError) return err;
    throw err;
  }
  throw new Error(`GET ${path} succeeded`);
}

test('a velero.io version the server does not serve ("404 page not found") is a type not served', async () => {
  // velero.io/v9 stands for the CRDs not being installed: the server answers both the same way.
  const err = await apiError(`/apis/velero.io/v9/namespaces/${uniqueName('ns')}/backups`);
  assert.equal(err.status, 404);
  assert.equal(err.typeNotServed, true);
  const { message } = describeError(err);
  assert.match(message, /backups\.velero\.io\/v9 is not installed in this cluster/);
  assert.match(message, /'skiff install --crds-only'/);
});

test('an unknown resource of a served group is a type not served', async () => {
  const err = await apiError(`/apis/velero.io/v1/namespaces/${uniqueName('ns')}/nosuchwidgets`);
  assert.equal(err.typeNotServed, true);
  assert.match(describeError(err).message, /nosuchwidgets\.velero\.io\/v1 is not installed/);
});

test('a missing Backup is a missing object, not a missing type', async () => {
  const err = await apiError(`/apis/velero.io/v1/namespaces/${uniqueName('ns')}/backups/nightly`);
  assert.equal(err.notFound, true);
  assert.equal(err.typeNotServed, false);
  assert.match(describeError(err).message, /backups\.velero\.io "nightly" not found/);
});

test('a named lookup (backup describe NAME, restore create --from-backup NAME) before install says to install, not "not found"', async () => {
  const ns = uniqueName('ns');
  assert.equal(await findVelero(cluster, Kinds.Backup, 'nightly', ns), undefined, 'a missing Backup is not found');
  // velero.io/v9 stands for the CRDs not being installed, as above.
  const err = await findVelero(cluster, { ...Kinds.Backup, version: 'v9' as 'v1' }, 'nightly', ns).then(
    () => assert.fail('a lookup of an unserved kind must fail'),
    (e: unknown) => e,
  );
  assert.match(describeError(err).message, /is not installed in this cluster/);
});
