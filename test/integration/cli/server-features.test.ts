/** A client-side restore dry run plans with the features of the server Deployment `skiff install` made. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { installObjects } from '../../../src/cli/install/manifests.ts';
import { serverFeatures } from '../../../src/cli/server-features.ts';
import { adminCluster, core, createNamespace } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { INSTALL_REFS } from '../../../src/cli/install/object-refs.ts';

const cluster = adminCluster();

test('serverFeatures reads --features from the installed Deployment, and says when there is none', async () => {
  const ns = uniqueName('features');
  await createNamespace(cluster, ns);
  try {
    assert.equal(await serverFeatures(cluster, ns), undefined, 'no Deployment: unknown');
    const { objects } = installObjects(ns, {
      provider: 'filesystem',
      bucket: 'b',
      useVolumeSnapshots: 'false',
      features: 'EnableAPIGroupVersions',
    });
    const deployment = objects.find((o) => o.kind === 'Deployment');
    assert.ok(deployment);
    await cluster.create(INSTALL_REFS.Deployment, deployment);
    assert.deepEqual(await serverFeatures(cluster, ns), ['EnableAPIGroupVersions']);
  } finally {
    await cluster.delete(core('namespaces'), ns);
  }
});
