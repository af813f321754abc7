import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildRestoreRequest,
  defaultRestoreName,
  parseNamespaceMappings,
} from '../../../src/cli/restore/create-options.ts';
import { planDocument } from '../../../src/cli/restore/create.ts';
import { restoreDeleteSelectionProblems } from '../../../src/cli/restore/delete.ts';
import { describeRestore } from '../../../src/cli/restore/describe-format.ts';
import { formatGetTable } from '../../../src/cli/get-command.ts';
import { RESTORE_TABLE } from '../../../src/cli/restore/get.ts';
import type { Restore } from '../../../src/api/index.ts';
import { item, obj, planFor } from '../../helpers/restore-fixtures.ts';

describe('restore create flags → RestoreSpec', () => {
  test('--from-backup alone gives a spec with only the backup; everything else is left to the server', () => {
    const { request, problems } = buildRestoreRequest({ fromBackup: 'web-daily' });
    assert.deepEqual(problems, []);
    assert.deepEqual(request.spec, { backupName: 'web-daily' });
    assert.deepEqual(request.labels, {});
  });

  test('--from-schedule sets scheduleName; naming both sources, or neither, is refused', () => {
    assert.deepEqual(buildRestoreRequest({ fromSchedule: 'nightly' }).request.spec, { scheduleName: 'nightly' });
    assert.match(buildRestoreRequest({ fromBackup: 'a', fromSchedule: 'b' }).problems.join(), /not both/);
    assert.match(buildRestoreRequest({}).problems.join(), /--from-backup BACKUP or --from-schedule/);
  });

  test('filters accept commas and repetition', () => {
    const { request, problems } = buildRestoreRequest({
      fromBackup: 'b',
      includeNamespaces: ['web,db', 'cache'],
      excludeNamespaces: ['kube-*'],
      includeResources: ['configmaps, deployments.apps'],
      excludeResources: ['secrets'],
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(request.spec.includedNamespaces, ['web', 'db', 'cache']);
    assert.deepEqual(request.spec.excludedNamespaces, ['kube-*']);
    assert.deepEqual(request.spec.includedResources, ['configmaps', 'deployments.apps']);
    assert.deepEqual(request.spec.excludedResources, ['secrets']);
  });

  test('--namespace-mappings a:b,c:d becomes namespaceMapping; malformed and contradictory pairs are named', () => {
    const { request } = buildRestoreRequest({ fromBackup: 'b', namespaceMappings: ['a:b,c:d', 'e:f'] });
    assert.deepEqual(request.spec.namespaceMapping, { a: 'b', c: 'd', e: 'f' });
    assert.deepEqual(parseNamespaceMappings(['a:b', 'a:b']), { a: 'b' });
    assert.throws(() => parseNamespaceMappings(['a']), /"a" is not source:target/);
    assert.throws(() => parseNamespaceMappings(['a:b:c']), /"a:b:c" is not source:target/);
    assert.throws(() => parseNamespaceMappings([':b']), /not source:target/);
    assert.throws(() => parseNamespaceMappings(['a:b,a:c']), /mapped twice/);
  });

  test('--existing-resource-policy takes none or update only', () => {
    assert.equal(
      buildRestoreRequest({ fromBackup: 'b', existingResourcePolicy: 'update' }).request.spec.existingResourcePolicy,
      'update',
    );
    assert.equal(
      buildRestoreRequest({ fromBackup: 'b', existingResourcePolicy: 'none' }).request.spec.existingResourcePolicy,
      'none',
    );
    const bad = buildRestoreRequest({ fromBackup: 'b', existingResourcePolicy: 'sometimes' });
    assert.match(bad.problems.join(), /--existing-resource-policy: "sometimes" is not a policy/);
  });

  test('optional bools keep three states: bare flag, =false, absent', () => {
    const { request, problems } = buildRestoreRequest({
      fromBackup: 'b',
      restoreVolumes: 'false',
      preserveNodeports: true,
      includeClusterResources: 'true',
    });
    assert.deepEqual(problems, []);
    assert.equal(request.spec.restorePVs, false);
    assert.equal(request.spec.preserveNodePorts, true);
    assert.equal(request.spec.includeClusterResources, true);
    assert.equal(buildRestoreRequest({ fromBackup: 'b' }).request.spec.restorePVs, undefined);
    assert.match(buildRestoreRequest({ fromBackup: 'b', restoreVolumes: 'maybe' }).problems.join(), /not a boolean/);
  });

  test('status include/exclude lists become restoreStatus', () => {
    const { request } = buildRestoreRequest({
      fromBackup: 'b',
      statusIncludeResources: ['deployments.apps,configmaps'],
      statusExcludeResources: ['pods'],
    });
    assert.deepEqual(request.spec.restoreStatus, {
      includedResources: ['deployments.apps', 'configmaps'],
      excludedResources: ['pods'],
    });
  });

  test('--selector and --or-selector become label selectors, and cannot be combined', () => {
    const sel = buildRestoreRequest({ fromBackup: 'b', selector: 'app=web,tier!=db' });
    assert.deepEqual(sel.request.spec.labelSelector, {
      matchLabels: { app: 'web' },
      matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }],
    });
    const or = buildRestoreRequest({ fromBackup: 'b', orSelector: 'app=web or app=db' });
    assert.deepEqual(or.request.spec.orLabelSelectors, [
      { matchLabels: { app: 'web' } },
      { matchLabels: { app: 'db' } },
    ]);
    assert.match(
      buildRestoreRequest({ fromBackup: 'b', selector: 'a=b', orSelector: 'c=d' }).problems.join(),
      /not both/,
    );
  });

  test('--labels go on the Restore; every bad flag is reported at once', () => {
    assert.deepEqual(buildRestoreRequest({ fromBackup: 'b', labels: ['team=web'] }).request.labels, { team: 'web' });
    const { problems } = buildRestoreRequest({
      fromBackup: 'b',
      labels: ['bad key=x'],
      namespaceMappings: ['x'],
      existingResourcePolicy: 'replace',
    });
    assert.equal(problems.length, 3, problems.join('\n'));
  });

  test('selection problems the server would refuse are caught here', () => {
    const { problems } = buildRestoreRequest({ fromBackup: 'b', includeResources: ['nodes'] });
    assert.match(problems.join(), /non-restorable/);
  });
});

describe('restore create: names and printing', () => {
  test('the default name is <backup or schedule>-<YYYYMMDDhhmmss>', () => {
    const now = new Date('2025-01-31T14:05:09.123Z');
    assert.equal(defaultRestoreName({ fromBackup: 'web-daily' }, now), 'web-daily-20250131140509');
    assert.equal(defaultRestoreName({ fromSchedule: 'nightly' }, now), 'nightly-20250131140509');
    assert.equal(defaultRestoreName({}, now), '');
  });

  test('restore delete takes names, --all or a selector, one way only', () => {
    assert.match(restoreDeleteSelectionProblems([], false, undefined).join(), /name the restores/);
    assert.match(restoreDeleteSelectionProblems(['a'], true, undefined).join(), /only one/);
    assert.deepEqual(restoreDeleteSelectionProblems([], true, undefined), []);
  });

  test('the plan as data keeps actions, targets and totals but no object bodies', async () => {
    const plan = await planFor({ items: [item('configmaps', obj('v1', 'ConfigMap', 'cfg', 'app', { data: {} }))] });
    const doc = planDocument(plan) as { totals: { create: number }; tiers: { operations: object[] }[] };
    assert.equal(doc.totals.create, 2);
    const ops = doc.tiers.flatMap((t) => t.operations);
    assert.ok(ops.some((o) => JSON.stringify(o).includes('"action":"create"')));
    assert.ok(!JSON.stringify(doc).includes('"object"'));
  });

  const restore: Restore = {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name: 'r1', namespace: 'velero', creationTimestamp: '2025-01-31T14:05:09Z' },
    spec: { backupName: 'b1', namespaceMapping: { web: 'web-copy' }, existingResourcePolicy: 'update' },
    status: {
      phase: 'Completed',
      startTimestamp: '2025-01-31T14:05:10Z',
      completionTimestamp: '2025-01-31T14:05:20Z',
      warnings: 2,
      progress: { totalItems: 5, itemsRestored: 5 },
    },
  };

  test('get prints Velero’s columns', () => {
    const text = formatGetTable(RESTORE_TABLE, [restore], new Date());
    assert.match(text, /^NAME +BACKUP +STATUS +STARTED +COMPLETED +ERRORS +WARNINGS +CREATED +SELECTOR$/m);
    assert.match(text, /^r1 +b1 +Completed +2025-01-31 14:05:10 \+0000 UTC .* 0 +2 +2025-01-31 14:05:09 .*<none>$/m);
  });

  test('describe shows the spec, progress and, with details, results and the resource list', () => {
    const text = describeRestore(restore, {
      results: { warnings: { namespaces: { web: ['could not restore'] } }, errors: {} },
      resourceList: { 'v1/ConfigMap': ['web-copy/cfg(created)'] },
    });
    assert.match(text, /^Phase: +Completed$/m);
    assert.match(text, /^Items restored: +5$/m);
    assert.match(text, /^Namespace mappings: +web=web-copy$/m);
    assert.match(text, /^Existing Resource Policy: +update$/m);
    assert.match(text, /^ {2}Namespace web: could not restore$/m);
    assert.match(text, /^Errors: <none>$/m);
    assert.match(text, /^ {4}- web-copy\/cfg\(created\)$/m);
  });
});

describe('restore resource modifier flag and describe', () => {
  test('--resource-modifier-configmap names the ConfigMap in spec.resourceModifier; describe shows it', () => {
    const restore: Restore = {
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: { name: 'r2', namespace: 'velero' },
      spec: { backupName: 'b1', resourceModifier: { kind: 'configmap', name: 'staging-tweaks' } },
    };
    const { request, problems } = buildRestoreRequest({
      fromBackup: 'b1',
      resourceModifierConfigmap: 'staging-tweaks',
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(request.spec, restore.spec);
    const text = describeRestore(restore);
    assert.match(text, /^Resource modifier:\n {2}Type: {2}configmap\n {2}Name: {2}staging-tweaks$/m);
    assert.doesNotMatch(describeRestore({ ...restore, spec: { backupName: 'b1' } }), /Resource modifier/);
  });
});
