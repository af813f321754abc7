import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { planDocument, planJsonPieces, planYamlPieces } from '../../../src/cli/restore/plan-output.ts';
import { formatRestorePlan, formatRestorePlanStream } from '../../../src/restore/plan/format-plan.ts';
import { streamOfPlan, type RestorePlan } from '../../../src/restore/plan/types.ts';
import { item, obj, planFor } from '../../helpers/restore-fixtures.ts';

async function text(pieces: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const piece of pieces) out += piece;
  return out;
}

async function aPlan(): Promise<RestorePlan> {
  const plan = await planFor({
    items: [
      item('configmaps', obj('v1', 'ConfigMap', 'cfg', 'app', { data: { a: 'multi\nline' } })),
      item('configmaps', obj('v1', 'ConfigMap', 'same', 'app', { data: {} })),
      item('secrets', obj('v1', 'Secret', 'other', 'elsewhere', { data: {} })),
      item('events', obj('v1', 'Event', 'ev', 'app', {})),
    ],
    spec: { excludedNamespaces: ['elsewhere'] },
    live: [obj('v1', 'ConfigMap', 'same', 'app', { data: { changed: 'yes' } })],
  });
  // A tier with nothing in it, as a filter can leave one.
  plan.tiers.push({ resources: ['widgets.example.com'], operations: [] });
  return plan;
}

describe('the restore dry run, written as the plan is made', () => {
  test('-o json is the same text as the whole document printed at once', async () => {
    const plan = await aPlan();
    const streamed = await text(planJsonPieces(streamOfPlan(plan)));
    assert.equal(streamed, `${JSON.stringify(planDocument(plan), null, 2)}\n`);
  });

  test('-o yaml reads back as the same document', async () => {
    const plan = await aPlan();
    const streamed = await text(planYamlPieces(streamOfPlan(plan)));
    assert.deepEqual(parse(streamed), planDocument(plan));
  });

  test('the text is the same as the plan formatted at once', async () => {
    const plan = await aPlan();
    assert.equal(await text(formatRestorePlanStream(streamOfPlan(plan))), formatRestorePlan(plan));
    const explained = await text(formatRestorePlanStream(streamOfPlan(plan), { showExcluded: true }));
    assert.equal(explained, formatRestorePlan(plan, { showExcluded: true }));
  });
});
