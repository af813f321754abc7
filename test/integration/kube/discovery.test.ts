import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeClient, KubeRequest } from '../../../src/kube/client.ts';
import { discover, type Discovery } from '../../../src/kube/discovery.ts';
import { installCrds } from '../../../src/api/install.ts';
import { adminCluster, waitFor } from '../../helpers/cluster.ts';

/** The same client, but every request asks for plain JSON: what a server without aggregated discovery answers. */
function legacyOnly(client: KubeClient): KubeClient {
  return {
    request: ({ accept: _ignored, ...req }: KubeRequest) => client.request(req),
  } as unknown as KubeClient;
}

function summary(d: Discovery): { types: string[]; preferred: string[] } {
  return {
    types: d.all
      .map(
        (rt) =>
          `${rt.group}/${rt.version}/${rt.resource} ${rt.kind} ${String(rt.namespaced)} ${[...rt.verbs].sort().join(',')}`,
      )
      .sort(),
    preferred: [...d.preferredVersions].map(([g, v]) => `${g}=${v}`).sort(),
  };
}

describe('discovery against the real API server', () => {
  test('aggregated discovery sees exactly what one request per group-version sees', async () => {
    // Skiff's CRDs, which a server another file started would otherwise have installed: run alone, or first in
    // a fresh environment, this file would find no velero.io.
    const cluster = adminCluster();
    await installCrds(cluster);
    const client = cluster.client;
    const aggregated = await waitFor('velero.io in aggregated discovery', async () => {
      const d = await discover(client);
      return d.resolve('backups') ? d : undefined;
    });
    const legacy = await discover(legacyOnly(client));
    assert.deepEqual(summary(aggregated), summary(legacy));
    const backups = aggregated.resolve('backups');
    assert.equal(backups?.group, 'velero.io');
    assert.equal(backups.kind, 'Backup');
    assert.equal(aggregated.resolve('deploy')?.resource, 'deployments');
    assert.equal(aggregated.preferredVersions.get('autoscaling'), 'v2');
  });
});
