/**
 * The `skiff` command run as a user runs it, against the real API server, for the verbs
 * that need no running Skiff server: install, backup create --dry-run / --explain, flag
 * validation, and the backup-location round trip.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CRD_RESOURCE, Kinds, resourceRef, type BackupStorageLocation } from '../../../src/api/index.ts';
import type { KubeObject } from '../../../src/kube/index.ts';
import { adminCluster, core, createNamespace } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { skiff, skiffOk } from './run-skiff.ts';

const cluster = adminCluster();
const serverNs = uniqueName('skiff-cli');
const appNs = uniqueName('cli-app');

async function countIn(resource: string, namespace: string): Promise<number> {
  let n = 0;
  for await (const _ of cluster.list({ ...core(resource), kind: '', namespaced: true, verbs: [] }, { namespace })) n++;
  return n;
}

async function backupsIn(namespace: string): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  const type = { ...resourceRef(Kinds.Backup), kind: 'Backup', namespaced: true, verbs: [] };
  for await (const b of cluster.list(type, { namespace })) out.push(b);
  return out;
}

describe('skiff CLI against the cluster', { concurrency: false }, () => {
  before(async () => {
    await skiffOk(['install', '--crds-only']);
    await createNamespace(cluster, serverNs);
    await createNamespace(cluster, appNs);
    for (const name of ['web-config', 'db-config']) {
      await cluster.create(core('configmaps'), {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: appNs, labels: { app: name.split('-')[0] ?? '' } },
        data: { k: 'v' },
      });
    }
    await cluster.create(core('secrets'), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db-password', namespace: appNs },
      stringData: { password: 'x' },
    });
  });
  after(async () => {
    await cluster.delete(core('namespaces'), appNs);
    await cluster.delete(core('namespaces'), serverNs);
  });

  test('install --crds-only leaves every velero.io CRD Established', async () => {
    const r = await skiffOk(['install', '--crds-only']);
    assert.match(r.stdout, /CRDs \(and the tenant admission policies and roles\) are installed and established/);
    for (const name of ['backups.velero.io', 'backupstoragelocations.velero.io', 'downloadrequests.velero.io']) {
      const crd = await cluster.get(CRD_RESOURCE, name);
      const conditions = (crd.status as { conditions?: { type: string; status: string }[] }).conditions ?? [];
      assert.ok(
        conditions.some((c) => c.type === 'Established' && c.status === 'True'),
        `${name}: ${JSON.stringify(conditions)}`,
      );
    }
  });

  test('install --dry-run -o yaml prints the objects and creates nothing', async () => {
    const ns = uniqueName('never');
    const r = await skiffOk([
      'install',
      '-n',
      ns,
      '--provider',
      'filesystem',
      '--bucket',
      'skiff',
      '--backup-location-config',
      'path=/tmp/skiff-never',
      '--dry-run',
      '-o',
      'yaml',
    ]);
    assert.match(r.stdout, /^apiVersion: v1\nkind: List\n/);
    assert.match(r.stdout, /kind: BackupStorageLocation/);
    assert.equal(await cluster.find(core('namespaces'), ns), undefined);
  });

  test('backup create --dry-run counts items by resource and namespace and writes nothing', async () => {
    const r = await skiffOk([
      '-n',
      serverNs,
      'backup',
      'create',
      'preview',
      '--include-namespaces',
      appNs,
      '--dry-run',
    ]);
    const configmaps = await countIn('configmaps', appNs);
    assert.match(r.stdout, /nothing was written/);
    assert.match(r.stdout, new RegExp(`^configmaps +${appNs} +${configmaps}$`, 'm'));
    assert.match(r.stdout, new RegExp(`^secrets +${appNs} +1$`, 'm'));
    assert.match(r.stdout, /^namespaces +<cluster> +1$/m);
    assert.match(r.stdout, /^Total: \d+ item\(s\) would be backed up/m);
    assert.deepEqual(await backupsIn(serverNs), []);

    const json = await skiffOk([
      '-n',
      serverNs,
      'backup',
      'create',
      'preview',
      '--include-namespaces',
      appNs,
      '-l',
      'app=web',
      '--dry-run',
      '-o',
      'json',
    ]);
    const report = JSON.parse(json.stdout) as { included: Record<string, Record<string, number>> };
    assert.deepEqual(report.included.configmaps, { [appNs]: 1 });
    assert.equal(report.included.secrets, undefined);
    assert.deepEqual(await backupsIn(serverNs), []);
  });

  test('--explain says why an excluded item is out, and that an included one is in', async () => {
    const r = await skiffOk([
      ...['-n', serverNs, 'backup', 'create', 'why', '--include-namespaces', appNs],
      ...['--exclude-resources', 'secrets', '--dry-run'],
      ...['--explain', `secrets/${appNs}/db-password`, '--explain', `configmaps/${appNs}/web-config`],
    ]);
    assert.match(r.stdout, new RegExp(`secrets/${appNs}/db-password: excluded: .*excludedResources`));
    assert.match(r.stdout, new RegExp(`configmaps/${appNs}/web-config: included`));

    const bySelector = await skiffOk([
      ...['-n', serverNs, 'backup', 'create', 'why', '--include-namespaces', appNs, '-l', 'app=web'],
      ...['--dry-run', '--explain', `configmaps/${appNs}/db-config`],
    ]);
    assert.match(bySelector.stdout, new RegExp(`configmaps/${appNs}/db-config: excluded: labels do not match`));
  });

  test('a dry run whose spec would fail validation exits non-zero and lists the errors', async () => {
    const r = await skiff([
      '-n',
      serverNs,
      'backup',
      'create',
      'bad',
      '--include-resources',
      'nosuchkinds',
      '--dry-run',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /would fail validation/);
    assert.match(r.stdout, /nosuchkinds/);
  });

  test('backup create with a bad selector fails before creating anything', async () => {
    const r = await skiff(['-n', serverNs, 'backup', 'create', 'bad-sel', '--selector', 'app in (web', '--ttl', '2x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--selector: invalid label selector "app in \(web"/);
    assert.match(r.stderr, /--ttl: invalid duration "2x"/);
    assert.deepEqual(await backupsIn(serverNs), []);
  });

  test('backup create without --dry-run creates the Backup CR with the spec from the flags', async () => {
    const r = await skiffOk([
      ...['-n', serverNs, 'backup', 'create', 'real', '--include-namespaces', appNs],
      ...['--or-selector', 'app=web or app=db', '--ttl', '24h', '--labels', 'team=web'],
    ]);
    assert.match(r.stdout, /Backup request "real" submitted successfully/);
    const b = await cluster.get(resourceRef(Kinds.Backup), 'real', serverNs);
    assert.deepEqual(b.metadata.labels, { team: 'web' });
    assert.deepEqual(b.spec, {
      includedNamespaces: [appNs],
      orLabelSelectors: [{ matchLabels: { app: 'web' } }, { matchLabels: { app: 'db' } }],
      ttl: '24h0m0s',
    });
    const get = await skiffOk(['-n', serverNs, 'backup', 'get', 'real']);
    assert.match(get.stdout, /^real +New +0 +0 .* app=web or app=db$/m);

    const again = await skiff(['-n', serverNs, 'backup', 'create', 'real', '--include-namespaces', 'other']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`backup real already exists in namespace ${serverNs}: choose another name`));
    const kept = await cluster.get(resourceRef(Kinds.Backup), 'real', serverNs);
    assert.deepEqual(kept.spec, b.spec, 'the Backup already there is left as it was');
    await cluster.delete(resourceRef(Kinds.Backup), 'real', serverNs);
  });

  test('backup-location create, get, set and delete round-trip', async () => {
    const loc = ['-n', serverNs, 'backup-location'];
    await skiffOk([
      ...loc,
      'create',
      'one',
      '--provider',
      'aws',
      '--bucket',
      'b1',
      '--config',
      'region=x',
      '--default',
    ]);
    await skiffOk([
      ...loc,
      ...['create', 'two', '--provider', 'filesystem', '--bucket', 'b2', '--prefix', 'p'],
      ...['--config', 'path=/tmp/skiff-two', '--credential', 'creds=cloud', '--access-mode', 'ReadOnly'],
    ]);
    const dup = await skiff([...loc, 'create', 'one', '--provider', 'aws', '--bucket', 'b1']);
    assert.equal(dup.code, 1);
    assert.match(
      dup.stderr,
      /backup storage location one already exists in namespace .*: use skiff backup-location set/,
    );

    const table = await skiffOk([...loc, 'get']);
    assert.match(table.stdout, /^NAME +PROVIDER +BUCKET\/PREFIX +PHASE +LAST VALIDATED +ACCESS MODE +DEFAULT$/m);
    assert.match(table.stdout, /^one +aws +b1 +\S+ +\S+.* +ReadWrite +true$/m);
    assert.match(table.stdout, /^two +filesystem +b2\/p .* ReadOnly$/m);

    const two = JSON.parse((await skiffOk([...loc, 'get', 'two', '-o', 'json'])).stdout) as BackupStorageLocation;
    assert.deepEqual(two.spec.credential, { name: 'creds', key: 'cloud' });

    await skiffOk([...loc, 'set', 'two', '--default', '--access-mode', 'ReadWrite']);
    const list = JSON.parse((await skiffOk([...loc, 'get', '-o', 'json'])).stdout) as {
      items: BackupStorageLocation[];
    };
    const byName = new Map(list.items.map((l) => [l.metadata.name ?? '', l.spec]));
    assert.equal(byName.get('one')?.default, false);
    assert.equal(byName.get('two')?.default, true);
    assert.equal(byName.get('two')?.accessMode, 'ReadWrite');

    const refused = await skiff([...loc, 'delete', 'one']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--confirm/);
    assert.ok(await cluster.find(resourceRef(Kinds.BackupStorageLocation), 'one', serverNs));

    await skiffOk([...loc, 'delete', 'one', 'two', '--confirm']);
    assert.equal(await cluster.find(resourceRef(Kinds.BackupStorageLocation), 'one', serverNs), undefined);
    assert.equal(await cluster.find(resourceRef(Kinds.BackupStorageLocation), 'two', serverNs), undefined);
  });
});
