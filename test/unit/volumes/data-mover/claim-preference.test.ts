/**
 * Which agent claims a new DataUpload first: the source PV's required node affinity, matched against a node's
 * name and labels as the scheduler matches it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeSelectorTermsMatch } from '../../../../src/volumes/data-mover/claim-preference.ts';

const node = (name: string, labels: Record<string, string> = {}) => ({ name, labels });
const topology = (value: string) => ({
  matchExpressions: [{ key: 'topology.hostpath.csi.skiff.dev/node', operator: 'In', values: [value] }],
});

test('a node-local volume reaches only its node; no affinity reaches every node', () => {
  const labels = (n: string) => ({ 'topology.hostpath.csi.skiff.dev/node': n, 'kubernetes.io/hostname': n });
  assert.equal(nodeSelectorTermsMatch([topology('n1')], node('n1', labels('n1'))), true);
  assert.equal(nodeSelectorTermsMatch([topology('n1')], node('n2', labels('n2'))), false);
  assert.equal(nodeSelectorTermsMatch([topology('n1')], node('n3')), false, 'a node without the label');
  assert.equal(nodeSelectorTermsMatch(undefined, node('n2')), true);
  assert.equal(nodeSelectorTermsMatch([], node('n2')), true);
});

test('terms are ORed, the requirements of one term ANDed; fields match the node name', () => {
  const zone = { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] };
  const named = { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n9'] }] };
  assert.equal(nodeSelectorTermsMatch([zone, named], node('n9')), true);
  assert.equal(nodeSelectorTermsMatch([zone, named], node('n1', { zone: 'b' })), true);
  assert.equal(nodeSelectorTermsMatch([zone, named], node('n1', { zone: 'c' })), false);
  const both = {
    matchExpressions: [
      { key: 'zone', operator: 'NotIn', values: ['c'] },
      { key: 'ssd', operator: 'Exists' },
      { key: 'gpu', operator: 'DoesNotExist' },
      { key: 'cores', operator: 'Gt', values: ['4'] },
    ],
  };
  assert.equal(nodeSelectorTermsMatch([both], node('n1', { zone: 'a', ssd: '', cores: '8' })), true);
  assert.equal(nodeSelectorTermsMatch([both], node('n1', { zone: 'a', ssd: '', cores: '2' })), false);
  assert.equal(nodeSelectorTermsMatch([both], node('n1', { zone: 'a', cores: '8' })), false);
  assert.equal(nodeSelectorTermsMatch([both], node('n1', { zone: 'a', ssd: '', gpu: '1', cores: '8' })), false);
  assert.equal(nodeSelectorTermsMatch([{}], node('n1')), false, 'an empty term matches no node');
});
