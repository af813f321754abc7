// exclusive-test: installs and uninstalls Skiff's cluster-wide CRDs and RBAC (scripts/test-phases.sh)
/**
 * `skiff install --wait` into a fresh namespace creates the server Deployment and waits until
 * it is available (kwok runs its pod); `skiff uninstall` removes everything install created
 * and leaves the bucket alone.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { ResourceRef } from '../../../src/kube/index.ts';
import { adminCluster, apps, core } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';
import { testS3Client } from '../../helpers/s3.ts';
import { skiff, skiffOk } from '../cli/run-skiff.ts';

const cluster = adminCluster();
const env = loadTestEnv();
const CRDS: ResourceRef = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' };
const rbac = (resource: string): ResourceRef => ({ group: 'rbac.authorization.k8s.io', version: 'v1', resource });
const work = mkdtempSync(join(tmpdir(), 'skiff-uninstall-'));

describe('skiff install and uninstall', () => {
  after(() => rmSync(work, { recursive: true, force: true }));

  // least-privilege has every object cluster-admin has, and a ClusterRole and Role besides.
  for (const mode of ['least-privilege']) {
    test(`install --wait (--rbac ${mode}) runs the Deployment; uninstall removes all of it and keeps the bucket`, async () => {
      const ns = uniqueName('skiff-iu');
      const prefix = uniqueName('iu');
      const credentials = join(work, `credentials-${ns}`);
      writeFileSync(
        credentials,
        `[default]\naws_access_key_id=${env.s3.accessKeyId}\naws_secret_access_key=${env.s3.secretAccessKey}\n`,
      );
      const r = await skiffOk([
        ...['install', '-n', ns, '--rbac', mode, '--wait', '--use-volume-snapshots=false'],
        ...['--provider', 'aws', '--bucket', env.s3.bucket, '--prefix', prefix, '--secret-file', credentials],
        ...['--backup-location-config', `region=${env.s3.region},s3ForcePathStyle=true,s3Url=${env.s3.endpoint}`],
        ...['--pod-labels', 'team=storage', '--velero-pod-mem-limit', '1Gi'],
      ]);
      assert.match(r.stdout, /Deployment\/velero: created/);
      assert.match(r.stdout, /its server is running/);
      const pods = await cluster.client.request<{ items: { metadata: { labels: Record<string, string> } }[] }>({
        method: 'GET',
        path: `/api/v1/namespaces/${ns}/pods?labelSelector=deploy%3Dvelero`,
      });
      assert.equal(pods.items[0]?.metadata.labels.team, 'storage');
      const rbacName = `velero-${ns}`;
      assert.ok(await cluster.find(rbac('clusterrolebindings'), rbacName));
      assert.equal(Boolean(await cluster.find(rbac('clusterroles'), rbacName)), mode === 'least-privilege');
      // A file of an earlier backup in the bucket: uninstall must leave it.
      const key = `${prefix}/backups/kept/velero-backup.json`;
      await testS3Client().send(new PutObjectCommand({ Bucket: env.s3.bucket, Key: key, Body: '{}' }));

      // Installing again leaves what exists alone.
      const again = await skiffOk([
        'install',
        '-n',
        ns,
        '--rbac',
        mode,
        '--use-volume-snapshots=false',
        '--provider',
        'aws',
        '--bucket',
        env.s3.bucket,
        '--prefix',
        prefix,
        '--secret-file',
        credentials,
      ]);
      assert.match(again.stdout, /Deployment\/velero: already exists, left unchanged/);

      // No terminal and no --force: refused, nothing deleted.
      const refused = await skiff(['uninstall', '-n', ns]);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /--confirm|--force/);
      assert.ok(await cluster.find(core('namespaces'), ns));

      // The CRDs stay (--keep-crds): other tests share this cluster. Their deletion is in the unit test of uninstallTargets.
      const u = await skiffOk(['uninstall', '-n', ns, '--force', '--wait', '--keep-crds']);
      assert.match(u.stdout, /Deployment\/velero: deleted/);
      assert.equal(await cluster.find(apps('deployments'), 'velero', ns), undefined);
      assert.equal(await cluster.find(core('namespaces'), ns), undefined);
      assert.equal(await cluster.find(rbac('clusterrolebindings'), rbacName), undefined);
      assert.equal(await cluster.find(rbac('clusterroles'), rbacName), undefined);
      assert.ok(await cluster.find(CRDS, 'backups.velero.io'), '--keep-crds kept them');
      const kept = await testS3Client().send(new GetObjectCommand({ Bucket: env.s3.bucket, Key: key }));
      assert.equal(await kept.Body?.transformToString(), '{}', 'the bucket is untouched');
    });
  }
});
