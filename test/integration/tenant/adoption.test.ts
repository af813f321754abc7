// test-lane: tenant — this file's server executes every TenantBackup and TenantRestore in the cluster, so it must not run beside another file's (other files' servers run with tenant operations off)
/**
 * Issue 17 acceptance 9: team-a deleted and recreated (a new UID) for dave, a certificate user.
 * The old backups stay under `tenants/<old UID>/` and are invisible to him until an admin adopts
 * them with `skiff tenant adopt`; the server copies each under the new UID and seals it for it,
 * and refuses one whose old seal no longer holds. A tenant cannot adopt by himself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef } from '../../../src/api/index.ts';
import type { KubeObject } from '../../../src/kube/index.ts';
import { collect } from '../../../src/storage/object-store.ts';
import { tenantPrefix } from '../../../src/storage/index.ts';
import { AdoptionAnnotations } from '../../../src/tenant/exec/adoption.ts';
import { TenantLabels, TenantTypes } from '../../../src/tenant/exec/resources.ts';
import { adminCluster, core, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { startTestServer, storeAtPrefix, type TestServer } from '../../helpers/skiff-server.ts';
import {
  certTenant,
  createTenantBackup,
  createTenantPolicy,
  waitForTenantOutcome,
  type TestTenant,
} from '../../helpers/tenant-exec.ts';
import { installTenantApi } from '../../helpers/tenant.ts';
import { tenantUser } from '../../helpers/tenant-users.ts';
import { skiff } from '../cli/run-skiff.ts';

const TB = TenantTypes.TenantBackup;
const TR = TenantTypes.TenantRestore;
const BACKUPS = resourceRef(Kinds.Backup);

describe('adoption of a recreated namespace’s backups (issue 17 acceptance 9)', () => {
  const admin = adminCluster();
  const dave = tenantUser('dave');
  let server: TestServer;
  let policy: string;
  let before1: TestTenant;
  let now: TestTenant;

  before(async () => {
    await installTenantApi(admin);
    server = await startTestServer(admin, { tenantOperations: true });
    policy = await createTenantPolicy(admin, 'default');
    before1 = await certTenant(admin, policy, 'team-a', dave);
  });
  after(async () => {
    await server.stop();
    await admin.delete(core('namespaces'), before1.namespace);
    await admin.delete(TenantTypes.TenantPolicy, policy);
  });

  const tenantStore = (uid: string) => storeAtPrefix(server, tenantPrefix(server.prefix, uid));

  test('old backups are invisible until an admin adopts them; adopted ones are re-sealed under the new UID and restore', async () => {
    const ns = before1.namespace;
    await admin.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: ns },
      data: { kept: 'yes' },
    });
    const veleroNames: Record<string, string> = {};
    for (const name of ['kept', 'edited', 'with-volumes']) {
      await createTenantBackup(before1, name);
      const done = await waitForTenantOutcome(admin, TB, ns, name);
      assert.equal((done.status as { phase?: string }).phase, 'Completed', JSON.stringify(done.status));
      veleroNames[name] = `tenant-${done.metadata.uid ?? ''}`;
    }

    await deleteNamespaceAndWait(admin, ns);
    now = await certTenant(admin, policy, 'team-a', dave, { namespace: ns });
    assert.notEqual(now.uid, before1.uid);

    // dave sees nothing of the old namespace's backups, and cannot adopt one himself.
    assert.deepEqual(await listNames(now), []);
    await now.asUser.create(TB, {
      apiVersion: 'tenant.skiff.dev/v1alpha1',
      kind: 'TenantBackup',
      metadata: {
        name: 'self-adopted',
        namespace: ns,
        annotations: { [AdoptionAnnotations.adoptedFrom]: veleroNames.kept ?? '' },
      },
      spec: { requester: now.user },
    });
    const forged = await waitForTenantOutcome(admin, TB, ns, 'self-adopted');
    assert.equal((forged.status as { phase?: string }).phase, 'FailedValidation');
    assert.match(JSON.stringify(forged.status), /no admin has approved adopting/);
    const oldStore = await tenantStore(before1.uid);
    assert.ok(await oldStore.backupExists(veleroNames.kept ?? ''), 'the old backup is untouched');

    // A tarball edited in the bucket while the namespace was gone is not adopted.
    await oldStore.putBackupContents(veleroNames.edited ?? '', Buffer.from('not what was sealed'));
    // A backup with file-system volume data: its PodVolumeBackups' snapshots sit in the old
    // prefix's repository and name the old backup, which adoption does not carry over. (The
    // record is written here as a node agent would; the seal covers metadata and tarball only.)
    await oldStore.putBackupFile(veleroNames['with-volumes'] ?? '', 'podVolumeBackups', [
      {
        apiVersion: 'velero.io/v1',
        kind: 'PodVolumeBackup',
        metadata: { name: 'pvb-1', namespace: server.namespace },
        spec: { volume: 'data', pod: { kind: 'Pod', namespace: ns, name: 'app' }, uploaderType: 'kopia' },
        status: { phase: 'Completed', snapshotID: 'k0123' },
      },
    ]);

    const adopted = await skiff([
      ...['tenant', 'adopt', '-n', ns, '--from-uid', before1.uid, '--server-namespace', server.namespace, '--wait'],
    ]);
    assert.notEqual(adopted.code, 0, 'one backup could not be adopted');
    assert.match(adopted.stderr, /tarball was changed/, adopted.stderr);

    const kept = await waitForTenantOutcome(admin, TB, ns, 'kept');
    const status = kept.status as { phase?: string; contentDigest?: string };
    assert.equal(status.phase, 'Completed', JSON.stringify(status));
    assert.match(status.contentDigest ?? '', /^[0-9a-f]{64}$/);
    const edited = await waitForTenantOutcome(admin, TB, ns, 'edited');
    assert.equal((edited.status as { phase?: string }).phase, 'Failed');
    // Refused, naming the volume data, rather than adopted without it.
    const withVolumes = await waitForTenantOutcome(admin, TB, ns, 'with-volumes');
    assert.equal((withVolumes.status as { phase?: string }).phase, 'Failed');
    assert.match(
      String((withVolumes.status as { failureReason?: string }).failureReason),
      /holds volume data \(1 PodVolumeBackups\), which adoption does not copy/,
    );

    // Ownership is the index's: the copy is a Backup of the new UID, stored and sealed under its prefix.
    const copyName = `tenant-${kept.metadata.uid ?? ''}`;
    const copy = await admin.get(BACKUPS, copyName, server.namespace);
    assert.equal(copy.metadata.labels?.[TenantLabels.namespaceUid], now.uid);
    const newStore = await tenantStore(now.uid);
    assert.ok(await newStore.getBackupFile(copyName, 'tenantSeal'), 'the copy is sealed');
    assert.deepEqual(await newStore.listBackups(), [copyName]);
    const oldIndex = await admin.get(BACKUPS, veleroNames.kept ?? '', server.namespace);
    assert.equal(oldIndex.metadata.annotations?.[AdoptionAnnotations.adoptedAs], kept.metadata.uid);

    // dave restores the adopted backup into the recreated namespace.
    await now.asUser.create(TR, {
      apiVersion: 'tenant.skiff.dev/v1alpha1',
      kind: 'TenantRestore',
      metadata: { name: 'back', namespace: ns },
      spec: { requester: now.user, backupRef: { namespace: ns, name: 'kept' } },
    });
    const restored = await waitForTenantOutcome(admin, TR, ns, 'back');
    assert.equal((restored.status as { phase?: string }).phase, 'Completed', JSON.stringify(restored.status));
    const cm = await admin.get(core('configmaps'), 'settings', ns);
    assert.deepEqual(cm.data, { kept: 'yes' });

    // Deleting the adopted backup deletes the copy, not the old one.
    await now.asUser.delete(TB, 'kept', ns);
    await waitForGone(now, 'kept');
    assert.deepEqual(await collect(newStore.objectStore.listObjects(newStore.layout.backupDir(copyName))), []);
  });

  async function listNames(t: TestTenant): Promise<string[]> {
    const out: string[] = [];
    for await (const o of t.asUser.list(TB, { namespace: t.namespace })) out.push(o.metadata.name ?? '');
    return out;
  }

  async function waitForGone(t: TestTenant, name: string): Promise<void> {
    await waitFor(`TenantBackup ${name} to be gone`, async (): Promise<boolean> => {
      const found: KubeObject | undefined = await admin.find(TB, name, t.namespace);
      return !found;
    });
  }
});
