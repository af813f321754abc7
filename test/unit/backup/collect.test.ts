import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BackupActionRegistry, defaultBackupActions } from '../../../src/backup/actions/registry.ts';
import type { BackupItemAction } from '../../../src/backup/actions/types.ts';
import { collectBackupItems, type CollectedEvent } from '../../../src/backup/collect/collect-items.ts';
import type { ItemSource } from '../../../src/backup/collect/item-source.ts';
import { KubeApiError } from '../../../src/kube/errors.ts';
import { summarizeDryRun } from '../../../src/backup/dry-run.ts';
import { planBackup } from '../../../src/backup/plan/backup-plan.ts';
import type { BackupSpec } from '../../../src/api/index.ts';
import { wholeObject, type KubeObject } from '../../../src/kube/index.ts';
import { memorySource, obj, resolve, rt, typeOf, TYPES } from './fixtures.ts';

const T = (r: string, g = ''): ReturnType<typeof rt> => typeOf(g, r) ?? rt(g, r, r);
const world: KubeObject[] = [
  obj(T('namespaces'), 'shop'),
  obj(T('namespaces'), 'blog'),
  obj(T('configmaps'), 'settings', 'shop', { metadata: { labels: { app: 'web' } } }),
  obj(T('configmaps'), 'theme', 'blog'),
  obj(T('secrets'), 'token', 'shop', { metadata: { labels: { 'velero.io/exclude-from-backup': 'true' } } }),
  obj(T('pods'), 'web-1', 'shop', {
    metadata: { labels: { app: 'web' } },
    spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] },
  }),
  obj(T('persistentvolumeclaims'), 'data', 'shop', {
    spec: { volumeName: 'pv-data', dataSource: { kind: 'VolumeSnapshot', name: 's' } },
    status: { phase: 'Bound' },
    metadata: { labels: { 'velero.io/restore-name': 'old' } },
  }),
  obj(T('persistentvolumes'), 'pv-data'),
  obj(T('persistentvolumes'), 'pv-other'),
  obj(T('serviceaccounts'), 'robot', 'shop'),
  obj(T('clusterrolebindings', 'rbac.authorization.k8s.io'), 'robot-admin', undefined, {
    roleRef: { kind: 'ClusterRole', name: 'admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'robot', namespace: 'shop' }],
  }),
  obj(T('clusterroles', 'rbac.authorization.k8s.io'), 'admin'),
  obj(T('nodes'), 'node-1'),
  obj(T('widgets', 'example.com'), 'w1', 'shop'),
  obj(T('customresourcedefinitions', 'apiextensions.k8s.io'), 'widgets.example.com'),
];

async function collect(spec: BackupSpec): Promise<CollectedEvent[]> {
  const plan = planBackup({ spec, resourceTypes: TYPES, resolve, namespaces: [{ name: 'shop' }, { name: 'blog' }] });
  const out: CollectedEvent[] = [];
  for await (const ev of collectBackupItems(plan, {
    backupName: 'b1',
    source: memorySource(world),
    actions: defaultBackupActions(),
    typeOf,
  }))
    out.push(ev);
  return out;
}
const included = (evs: CollectedEvent[]): string[] =>
  evs
    .flatMap((e) =>
      e.kind === 'included'
        ? [
            `${e.type.resource}/${e.item.metadata.namespace ? `${e.item.metadata.namespace}/` : ''}${e.item.metadata.name ?? ''}`,
          ]
        : [],
    )
    .sort();

describe('collecting backup items', () => {
  test('a namespace backup takes its items, the PVC and PV a pod uses, the SA bindings, and the CRD of its custom resources', async () => {
    const got = included(await collect({ includedNamespaces: ['shop'] }));
    assert.deepEqual(got, [
      'clusterrolebindings/robot-admin',
      'clusterroles/admin',
      'configmaps/shop/settings',
      'customresourcedefinitions/widgets.example.com',
      'namespaces/shop',
      'persistentvolumeclaims/shop/data',
      'persistentvolumes/pv-data',
      'pods/shop/web-1',
      'serviceaccounts/shop/robot',
      'widgets/shop/w1',
    ]);
  });

  test('each item is taken once even when several paths lead to it', async () => {
    const evs = await collect({ includedNamespaces: ['shop'] });
    const pvcs = evs.filter((e) => e.kind === 'included' && e.type.resource === 'persistentvolumeclaims');
    assert.equal(pvcs.length, 1);
  });

  test('the PVC is cleaned: no data source, no stale restore label', async () => {
    const evs = await collect({ includedNamespaces: ['shop'] });
    const pvc = evs.find((e) => e.kind === 'included' && e.type.resource === 'persistentvolumeclaims');
    assert.ok(pvc && pvc.kind === 'included');
    assert.equal((wholeObject(pvc.item).spec as { dataSource?: unknown }).dataSource, undefined);
    assert.equal(pvc.item.metadata.labels?.['velero.io/restore-name'], undefined);
  });

  test('an excluded item says why; the exclude-from-backup label wins', async () => {
    const evs = await collect({ includedNamespaces: ['shop'] });
    const secret = evs.find((e) => e.kind === 'excluded' && e.item.metadata.name === 'token');
    assert.ok(secret && secret.kind === 'excluded');
    assert.match(secret.reason, /exclude-from-backup/);
  });

  test('with includeClusterResources=false related cluster-scoped items stay out', async () => {
    const got = included(await collect({ includedNamespaces: ['shop'], includeClusterResources: false }));
    assert.ok(
      !got.some(
        (g) =>
          g.startsWith('persistentvolumes/') ||
          g.startsWith('clusterroles') ||
          g.startsWith('customresourcedefinitions'),
      ),
    );
    assert.ok(got.includes('persistentvolumeclaims/shop/data'));
  });

  test('a label selector is applied to listed items, not to the related items of a selected pod', async () => {
    const got = included(await collect({ labelSelector: { matchLabels: { app: 'web' } } }));
    assert.ok(got.includes('pods/shop/web-1'));
    assert.ok(got.includes('persistentvolumeclaims/shop/data'), 'the PVC has no app label but comes with its pod');
    assert.ok(!got.includes('configmaps/blog/theme'));
  });

  test('a related item that does not exist is a warning, not a failure', async () => {
    const plan = planBackup({ spec: {}, resourceTypes: TYPES, resolve, namespaces: [{ name: 'shop' }] });
    const broken = world.map((o) => (o.metadata.name === 'pv-data' ? obj(T('configmaps'), 'unrelated', 'blog') : o));
    const evs: CollectedEvent[] = [];
    for await (const ev of collectBackupItems(plan, {
      backupName: 'b1',
      source: memorySource(broken),
      actions: defaultBackupActions(),
      typeOf,
    }))
      evs.push(ev);
    assert.ok(evs.some((e) => e.kind === 'warning' && /persistentvolumes pv-data not found/.test(e.message)));
  });

  test('spec.orderedResources: listed names go first in order; each name no listing returned is a warning naming it', async () => {
    const evs = await collect({
      orderedResources: {
        configmaps: 'blog/ghost,blog/theme,shop/settings',
        pods: 'web-1',
        persistentvolumes: 'pv-other,shop/pv-data',
      },
    });
    const names = (resource: string): string[] =>
      evs.flatMap((e) =>
        e.kind === 'included' && e.type.resource === resource && e.origin === 'listed'
          ? [e.item.metadata.name ?? '']
          : [],
      );
    assert.deepEqual(names('configmaps'), ['theme', 'settings']);
    assert.equal(names('persistentvolumes')[0], 'pv-other');
    const warnings = evs.flatMap((e) => (e.kind === 'warning' ? [e.message] : []));
    assert.deepEqual(warnings, [
      'spec.orderedResources configmaps entry "blog/ghost" matches no listed object ' +
        "(not in the cluster, or outside the backup's namespaces or label selector); it is not ordered",
      'spec.orderedResources pods entry "web-1" matches no listed object ' +
        "(not in the cluster, or outside the backup's namespaces or label selector): pods are namespaced, give them as namespace/name; it is not ordered",
      'spec.orderedResources persistentvolumes entry "shop/pv-data" matches no listed object ' +
        "(not in the cluster, or outside the backup's namespaces or label selector): persistentvolumes are cluster-scoped, give them by name alone; it is not ordered",
    ]);
  });

  test('spec.orderedResources: no name is warned about for a resource whose listing failed', async () => {
    const plan = planBackup({
      spec: { orderedResources: { secrets: 'shop/token', configmaps: 'shop/nope' } },
      resourceTypes: TYPES,
      resolve,
      namespaces: [{ name: 'shop' }],
    });
    const source = memorySource(world);
    const denied: ItemSource = {
      list: (type, opts) => {
        if (type.resource === 'secrets')
          throw new KubeApiError(403, 'Forbidden', 'secrets is forbidden', { method: 'GET', path: '/api/v1/secrets' });
        return source.list(type, opts);
      },
      find: (ref, name, ns) => source.find(ref, name, ns),
    };
    const warnings: string[] = [];
    for await (const ev of collectBackupItems(plan, {
      backupName: 'b1',
      source: denied,
      actions: defaultBackupActions(),
      typeOf,
    }))
      if (ev.kind === 'warning') warnings.push(ev.message);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0] ?? '', /^spec\.orderedResources configmaps entry "shop\/nope" matches no listed object/);
  });

  test('a kind the server may not list is an error naming it; the other kinds are still backed up', async () => {
    const plan = planBackup({ spec: {}, resourceTypes: TYPES, resolve, namespaces: [{ name: 'shop' }] });
    const source = memorySource(world);
    const denied: ItemSource = {
      list: (type, opts) => {
        if (type.resource === 'secrets') {
          throw new KubeApiError(
            403,
            'Forbidden',
            'secrets is forbidden: User "system:serviceaccount:velero:velero" cannot list resource "secrets"',
            {
              method: 'GET',
              path: '/api/v1/namespaces/shop/secrets',
            },
          );
        }
        return source.list(type, opts);
      },
      find: (ref, name, ns) => source.find(ref, name, ns),
    };
    const evs: CollectedEvent[] = [];
    for await (const ev of collectBackupItems(plan, {
      backupName: 'b1',
      source: denied,
      actions: defaultBackupActions(),
      typeOf,
    }))
      evs.push(ev);
    const errors = evs.filter((e) => e.kind === 'error');
    assert.equal(errors.length, 1);
    assert.match(
      errors[0]?.kind === 'error' ? errors[0].message : '',
      /cannot list secrets: 403 Forbidden: .*cannot list resource "secrets"/,
    );
    assert.ok(included(evs).includes('configmaps/blog/theme'));
  });

  test('a cluster-wide LIST standing in for many namespaces takes exactly their items, and falls back per namespace when refused', async () => {
    const nss = Array.from({ length: 60 }, (_, i) => `ns-${i}`);
    const objects = nss.flatMap((ns) => [obj(T('namespaces'), ns), obj(T('configmaps'), 'cm', ns)]);
    const plan = planBackup({
      spec: { includedNamespaces: nss.slice(0, 55), includedResources: ['configmaps'] },
      resourceTypes: TYPES,
      resolve,
      namespaces: nss.map((name) => ({ name })),
    });
    const expected = nss
      .slice(0, 55)
      .map((ns) => `configmaps/${ns}/cm`)
      .sort();
    const run = async (source: ItemSource): Promise<string[]> => {
      const evs: CollectedEvent[] = [];
      for await (const ev of collectBackupItems(plan, {
        backupName: 'b1',
        source,
        actions: defaultBackupActions(),
        typeOf,
      }))
        evs.push(ev);
      assert.deepEqual(
        evs.filter((e) => e.kind === 'error' || e.kind === 'excluded'),
        [],
      );
      return included(evs).sort();
    };
    const wide = memorySource(objects);
    assert.deepEqual(await run(wide), expected);
    assert.deepEqual(wide.lists, ['configmaps']);

    // Rights granted per namespace only: the cluster-wide LIST is refused, each namespace is listed.
    const perNamespace = memorySource(objects);
    const refused: ItemSource = {
      list(type, opts) {
        if (!opts.namespace)
          throw new KubeApiError(403, 'Forbidden', 'configmaps is forbidden', {
            method: 'GET',
            path: '/api/v1/configmaps',
          });
        return perNamespace.list(type, opts);
      },
      find: (ref, name, ns) => perNamespace.find(ref, name, ns),
    };
    assert.deepEqual(await run(refused), expected);
    assert.equal(perNamespace.lists.length, 55);
  });

  test('an item listed twice (two OR selectors) is taken once; one added by an undeclared action is an error', async () => {
    const twice = included(
      await collect({
        includedNamespaces: ['shop'],
        // Both select the same objects: each LIST returns them, the backup must hold them once.
        orLabelSelectors: [{ matchLabels: { app: 'web' } }, { matchLabels: { app: 'web' } }],
      }),
    );
    assert.ok(twice.includes('configmaps/shop/settings'));
    assert.equal(new Set(twice).size, twice.length, `duplicates in ${twice.join(', ')}`);

    const sneaky: BackupItemAction = {
      name: 'test/sneaky',
      appliesTo: ['configmaps'],
      mayAdd: [],
      execute: (item) => ({
        item,
        additionalItems: [{ group: '', resource: 'secrets', namespace: 'shop', name: 's' }],
      }),
    };
    const plan = planBackup({ spec: {}, resourceTypes: TYPES, resolve, namespaces: [{ name: 'shop' }] });
    const evs: CollectedEvent[] = [];
    for await (const ev of collectBackupItems(plan, {
      backupName: 'b1',
      source: memorySource(world),
      actions: new BackupActionRegistry([sneaky]),
      typeOf,
    }))
      evs.push(ev);
    assert.ok(evs.some((e) => e.kind === 'error' && /secrets without declaring it in mayAdd/.test(e.message)));
  });

  test('the dry-run summary counts by resource and namespace and explains a named item', async () => {
    const spec: BackupSpec = { includedNamespaces: ['shop'] };
    const plan = planBackup({ spec, resourceTypes: TYPES, resolve, namespaces: [{ name: 'shop' }, { name: 'blog' }] });
    const events = collectBackupItems(plan, {
      backupName: 'b1',
      source: memorySource(world),
      actions: defaultBackupActions(),
      typeOf,
    });
    const summary = await summarizeDryRun(events, plan, ['secret/shop/token', 'node/node-1']);
    assert.equal(summary.included.get('configmaps')?.get('shop'), 1);
    assert.equal(summary.totalIncluded, 10);
    const token = summary.explained.find((e) => e.ref.includes('token'));
    assert.equal(token?.included, false);
    assert.match(token?.reason ?? '', /exclude-from-backup/);
    assert.match(summary.explained.find((e) => e.ref.startsWith('nodes'))?.reason ?? '', /only backed up when related/);
  });
});
