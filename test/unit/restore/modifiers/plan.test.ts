/**
 * Resource modifiers in the restore planner (reference §4.4 step 5, §4.8): the plan carries
 * the modified objects, the dry run shows each changed field, a rule that cannot apply
 * fails the item.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseResourceModifiers, type ModifierEvent } from '../../../../src/restore/modifiers/index.ts';
import { formatRestorePlan } from '../../../../src/restore/plan/format-plan.ts';
import type { CreateOperation } from '../../../../src/restore/plan/types.ts';
import { item, obj, opFor, planFor } from '../../../helpers/restore-fixtures.ts';

const cm = obj('v1', 'ConfigMap', 'settings', 'shop', { metadata: { labels: { app: 'web' } }, data: { mode: 'dev' } });
const other = obj('v1', 'ConfigMap', 'other', 'shop', { data: { mode: 'dev' } });
const deploy = obj('apps/v1', 'Deployment', 'web', 'shop', {
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } },
});
const items = [item('configmaps', cm), item('configmaps', other), item('deployments.apps', deploy)];

const RULES = `version: v1
resourceModifierRules:
- conditions:
    groupResource: configmaps
    resourceNameRegex: "^settings$"
    namespaces: [shop]
    labelSelector: {matchLabels: {app: web}}
  patches:
  - {operation: replace, path: /data/mode, value: prod}
- conditions:
    groupResource: "*.apps"
  strategicPatches:
  - patchData: '{"metadata": {"labels": {"tier": "frontend"}}}'
`;

function modifiers(text = RULES, events?: ModifierEvent[]) {
  return {
    ...parseResourceModifiers(text, 'ConfigMap velero/mods'),
    ...(events ? { report: (e: ModifierEvent) => events.push(e) } : {}),
  };
}

describe('restore planner: resource modifiers', () => {
  test('the planned objects carry the changes, only where the conditions hold', async () => {
    const events: ModifierEvent[] = [];
    const plan = await planFor({ items, input: { resourceModifiers: modifiers(RULES, events) } });
    const settings = opFor(plan, 'ConfigMap', 'settings') as CreateOperation;
    assert.equal(settings.kind, 'create');
    assert.deepEqual(settings.object.data, { mode: 'prod' });
    assert.deepEqual((opFor(plan, 'ConfigMap', 'other') as CreateOperation).object.data, { mode: 'dev' });
    const web = opFor(plan, 'Deployment', 'web') as CreateOperation;
    assert.equal(web.object.metadata.labels?.tier, 'frontend');
    assert.deepEqual(
      events.map((e) => [e.rule, e.object, e.outcome]),
      [
        ['resourceModifierRules[0]', 'ConfigMap shop/settings', 'modified'],
        ['resourceModifierRules[1]', 'Deployment shop/web', 'modified'],
      ],
    );
  });

  test('the dry run shows each modified field and the rule that changed it', async () => {
    const plan = await planFor({ items, input: { resourceModifiers: modifiers() } });
    const text = formatRestorePlan(plan);
    assert.match(
      text,
      /rewrite \/data\/mode: "dev" -> "prod" \(resourceModifierRules\[0\] of ConfigMap velero\/mods\)/,
    );
    assert.match(text, /rewrite \/metadata\/labels\/tier: "\(none\)" -> "frontend" \(resourceModifierRules\[1\]/);
  });

  test('rules see the source namespace and no restore labels; the object still gets both', async () => {
    const text = `version: v1
resourceModifierRules:
- conditions:
    groupResource: configmaps
    namespaces: [shop]
    labelSelector: {matchExpressions: [{key: velero.io/restore-name, operator: DoesNotExist}]}
    matches: [{path: /metadata/namespace, value: shop}]
  mergePatches:
  - patchData: '{"metadata": {"namespace": "elsewhere", "labels": {"velero.io/restore-name": "fake"}}, "data": {"seen": "yes"}}'
`;
    const plan = await planFor({
      items,
      spec: { namespaceMapping: { shop: 'shop-copy' } },
      input: { resourceModifiers: modifiers(text) },
    });
    const settings = opFor(plan, 'ConfigMap', 'settings') as CreateOperation;
    assert.equal((settings.object.data as Record<string, string>).seen, 'yes');
    assert.equal(settings.object.metadata.namespace, 'shop-copy');
    assert.equal(settings.target.namespace, 'shop-copy');
    assert.equal(settings.object.metadata.labels?.['velero.io/restore-name'], 'r1');
    assert.equal(settings.object.metadata.labels?.['velero.io/backup-name'], 'b1');
  });

  test('against a live object, the changed-fields diff includes the modification', async () => {
    const live = obj('v1', 'ConfigMap', 'settings', 'shop', {
      metadata: { labels: { app: 'web' } },
      data: { mode: 'dev' },
    });
    const plan = await planFor({
      items,
      live: [live],
      spec: { existingResourcePolicy: 'update' },
      input: { resourceModifiers: modifiers() },
    });
    const op = opFor(plan, 'ConfigMap', 'settings');
    assert.equal(op.kind, 'update');
    assert.ok(
      op.kind === 'update' &&
        op.changes.some((c) => c.path === '/data/mode' && c.live === 'dev' && c.desired === 'prod'),
      JSON.stringify(op),
    );
  });

  test('a rule that cannot apply fails the item with a message naming the rule; other items go on', async () => {
    const text = `version: v1
resourceModifierRules:
- conditions: {groupResource: configmaps, resourceNameRegex: settings}
  patches: [{operation: replace, path: /spec/replicas, value: "3"}]
`;
    const plan = await planFor({ items, input: { resourceModifiers: modifiers(text) } });
    const op = opFor(plan, 'ConfigMap', 'settings');
    assert.equal(op.kind, 'fail');
    assert.equal(
      op.kind === 'fail' && op.error,
      'resource modifiers in ConfigMap velero/mods: resourceModifierRules[0]: patches[0] (replace /spec/replicas): the path does not exist',
    );
    assert.equal(opFor(plan, 'ConfigMap', 'other').kind, 'create');
  });

  test('without modifiers the plan is unchanged', async () => {
    const plan = await planFor({ items });
    const settings = opFor(plan, 'ConfigMap', 'settings') as CreateOperation;
    assert.deepEqual(settings.object.data, { mode: 'dev' });
    assert.equal(settings.rewrites, undefined);
  });
});

test('a rule that changes apiVersion or kind fails the item, saying so', async () => {
  const text = `version: v1
resourceModifierRules:
- conditions: {groupResource: configmaps, resourceNameRegex: settings}
  patches: [{operation: replace, path: /kind, value: Secret}]
`;
  const plan = await planFor({ items, input: { resourceModifiers: modifiers(text) } });
  const op = opFor(plan, 'ConfigMap', 'settings');
  assert.equal(op.kind, 'fail');
  assert.match(
    op.kind === 'fail' ? op.error : '',
    /change ConfigMap v1 into Secret v1: a rule may not change apiVersion or kind/,
  );
});
