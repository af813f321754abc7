import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  kopiaCopies,
  kopiaSourcesToMigrate,
  resticCopies,
  type KopiaSnapshotListing,
} from '../../../src/volumes/repository/snapshot-copies.ts';

describe('resticCopies', () => {
  test('a copy is found by its original; a source that was itself a copy is found by its own original', () => {
    const source = [{ id: 'a1' }, { id: 'a2', original: 'z9' }, { id: 'a3' }];
    const target = [{ id: 'own' }, { id: 'b1', original: 'a1' }, { id: 'b2', original: 'z9' }];
    const found = resticCopies(source, target, ['a1', 'a2', 'a3', 'gone']);
    assert.deepEqual(
      [...found.copies],
      [
        ['a1', 'b1'],
        ['a2', 'b2'],
      ],
    );
    assert.deepEqual(found.missing, ['a3', 'gone']);
  });
});

function kopia(id: string, path: string, startTime: string): KopiaSnapshotListing {
  return { id, source: { host: 'default', userName: 'default', path }, startTime };
}

describe('kopia snapshot migrate', () => {
  const source = [
    kopia('k-old1', '/team-a/data', '2026-12-01T10:00:00.123456Z'),
    kopia('k-old2', '/team-a/data', '2026-12-02T10:00:00.5Z'),
    kopia('k-times', '/team-a/data.skiff-dir-times', '2026-12-02T10:00:01Z'),
    kopia('k-other', '/team-a/logs', '2026-12-02T10:00:02Z'),
  ];

  test('the sources given are those of the wanted snapshots; a snapshot the source lacks is named', () => {
    assert.deepEqual(kopiaSourcesToMigrate(source, ['k-old2', 'k-times', 'k-missing']), {
      sources: ['default@default:/team-a/data', 'default@default:/team-a/data.skiff-dir-times'],
      missing: ['k-missing'],
    });
  });

  test('copies match by source and start time; copies of the other snapshots are extras; what the target held before never is', () => {
    const before = [
      kopia('n-own', '/team-a/data', '2026-12-05T08:00:00Z'),
      // An earlier adoption's copy of k-old1 (kopia's migrate skipped it this time).
      kopia('n-adopted', '/team-a/data', '2026-12-01T10:00:00.123456Z'),
    ];
    const after = [
      ...before,
      // kopia may spell the time with trailing zeros.
      kopia('n-old2', '/team-a/data', '2026-12-02T10:00:00.500000Z'),
      kopia('n-times', '/team-a/data.skiff-dir-times', '2026-12-02T10:00:01Z'),
      // Taken by a schedule of the new namespace meanwhile: not a copy.
      kopia('n-new', '/team-a/data', '2026-12-06T12:00:00Z'),
    ];
    const found = kopiaCopies(source, before, after, ['k-old2', 'k-times']);
    assert.deepEqual(
      [...found.copies],
      [
        ['k-old2', 'n-old2'],
        ['k-times', 'n-times'],
      ],
    );
    assert.deepEqual(found.missing, []);
    assert.deepEqual(found.extras, []);

    const fresh = kopiaCopies(
      source,
      [],
      [...after, kopia('n-old1', '/team-a/data', '2026-12-01T10:00:00.123456Z')],
      ['k-old2'],
    );
    assert.deepEqual(fresh.extras, ['n-adopted', 'n-old1', 'n-times'], 'every copy not wanted goes, sorted');
  });

  test('a wanted snapshot kopia did not copy is missing', () => {
    const found = kopiaCopies(source, [], [], ['k-old1']);
    assert.deepEqual(found.missing, ['k-old1']);
    assert.equal(found.copies.size, 0);
  });
});
