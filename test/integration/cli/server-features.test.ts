/** Client-side dry runs plan with the features and volume defaults of the server Deployment `skiff install` made. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { installObjects } from '../../../src/cli/install/manifests.ts';
import { serverFeatures } from '../../../src/cli/server-features.ts';
import { adminCluster, core, createNamespace } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { INSTALL_REFS } from '../../../src/cli/install/object-refs.ts';
import { skiffOk } from './run-skiff.ts';

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

test("a backup dry run plans pod volumes with the installed server's --default-volumes-to-fs-backup", async () => {
  const ns = uniqueName('fs-default');
  const app = uniqueName('fs-default-app');
  await createNamespace(cluster, ns);
  await createNamespace(cluster, app);
  try {
    await cluster.create(core('pods'), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'db-0', namespace: app },
      spec: {
        containers: [{ name: 'db', image: 'postgres:17', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    });
    const dryRun = async (): Promise<string> =>
      (await skiffOk(['-n', ns, 'backup', 'create', 'preview', '--include-namespaces', app, '--dry-run'])).stdout;
    // A server run by hand: Velero's default (false), and the dry run says it assumed it.
    assert.match(
      await dryRun(),
      new RegExp(`${app}/db-0 +data +skipped: .*server default --default-volumes-to-fs-backup, assumed`),
    );
    const { objects } = installObjects(ns, {
      provider: 'filesystem',
      bucket: 'b',
      useVolumeSnapshots: 'false',
      defaultVolumesToFsBackup: true,
    });
    const deployment = objects.find((o) => o.kind === 'Deployment');
    assert.ok(deployment);
    await cluster.create(INSTALL_REFS.Deployment, deployment);
    const planned = await dryRun();
    assert.match(planned, new RegExp(`${app}/db-0 +data +fs-backup +`));
    assert.doesNotMatch(planned, /assumed/);
  } finally {
    await cluster.delete(core('namespaces'), app);
    await cluster.delete(core('namespaces'), ns);
  }
});
