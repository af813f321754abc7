import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { repositoryCarry, snapshotsIn, withCopiedSnapshots } from '../../../src/tenant/exec/adoption-repositories.ts';

const kopiaRepo = { type: 'kopia' as const, volumeNamespace: 'team-a' };
const resticRepo = { type: 'restic' as const, volumeNamespace: 'team-a' };

function record(name: string, extra: { uploaderType?: string; snapshotID?: string; dirTimes?: string; ns?: string }) {
  return {
    kind: 'PodVolumeBackup',
    metadata: {
      name,
      annotations: {
        'velero.io/pvc-name': 'data',
        ...(extra.dirTimes ? { 'skiff.io/dir-times-snapshot': extra.dirTimes } : {}),
      },
    },
    spec: { pod: { namespace: extra.ns ?? 'team-a', name: 'app' }, uploaderType: extra.uploaderType ?? 'kopia' },
    status: { phase: 'Completed', ...(extra.snapshotID ? { snapshotID: extra.snapshotID } : {}) },
  };
}

const records = [
  record('a', { snapshotID: 'k1', dirTimes: 'k1-times' }),
  record('b', { snapshotID: 'k2', dirTimes: 'inline:H4sI' }),
  record('c', { uploaderType: 'restic', snapshotID: 'r1' }),
  record('d', { snapshotID: 'k3', ns: 'team-b' }),
  record('e', {}),
];

describe('repositoryCarry', () => {
  const marker = Buffer.from('format-1');
  test('no old repository: missing; none at the new prefix: copied whole; the same one: nothing to copy', () => {
    assert.deepEqual(repositoryCarry({ new: marker }, kopiaRepo, records), { kind: 'missing' });
    assert.deepEqual(repositoryCarry({ old: marker }, kopiaRepo, records), { kind: 'copy-whole' });
    assert.deepEqual(repositoryCarry({ old: marker, new: Buffer.from('format-1') }, kopiaRepo, records), {
      kind: 'same',
    });
  });
  test('a repository of the new namespace’s own: the backup’s snapshots in it are copied, directory times included', () => {
    assert.deepEqual(repositoryCarry({ old: marker, new: Buffer.from('format-2') }, kopiaRepo, records), {
      kind: 'copy-snapshots',
      snapshotIDs: ['k1', 'k1-times', 'k2'],
    });
    assert.deepEqual(snapshotsIn(records, resticRepo), ['r1']);
  });
  test('the data-mover uploads’ snapshots in that repository are copied along, once each', () => {
    const own = Buffer.from('format-2');
    assert.deepEqual(repositoryCarry({ old: marker, new: own }, kopiaRepo, records, ['m1', 'k1', 'a0']), {
      kind: 'copy-snapshots',
      snapshotIDs: ['a0', 'k1', 'k1-times', 'k2', 'm1'],
    });
    // Moved data alone (no records): only its snapshots; a whole copy needs none named.
    assert.deepEqual(repositoryCarry({ old: marker, new: own }, kopiaRepo, [], ['m2', 'm1']), {
      kind: 'copy-snapshots',
      snapshotIDs: ['m1', 'm2'],
    });
    assert.deepEqual(repositoryCarry({ old: marker }, kopiaRepo, [], ['m1']), { kind: 'copy-whole' });
  });
});

describe('withCopiedSnapshots', () => {
  test('the repository’s records name the copies; other records and the input are unchanged', () => {
    const copies = new Map([
      ['k1', 'n1'],
      ['k1-times', 'n1-times'],
      ['k2', 'n2'],
      ['k3', 'wrong'],
    ]);
    const out = withCopiedSnapshots(records, kopiaRepo, copies) as ReturnType<typeof record>[];
    assert.deepEqual(
      out.map((r) => [r.status.snapshotID, r.metadata.annotations['skiff.io/dir-times-snapshot']]),
      [
        ['n1', 'n1-times'],
        ['n2', 'inline:H4sI'],
        ['r1', undefined],
        ['k3', undefined],
        [undefined, undefined],
      ],
    );
    assert.equal(out[0]?.metadata.annotations['velero.io/pvc-name'], 'data');
    assert.equal(records[0]?.status.snapshotID, 'k1', 'the input is left alone');
  });
});
