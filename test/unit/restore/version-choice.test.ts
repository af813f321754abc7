/**
 * The restore's version order under EnableAPIGroupVersions (reference §2.4): each rule on its
 * own, the ConfigMap's text, Kubernetes version priority, and the choice applied while a
 * tarball is read.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compareKubeVersions } from '../../../src/kube/version-priority.ts';
import { readBackupCatalogue } from '../../../src/restore/read/read-backup.ts';
import {
  parseVersionPriorities,
  VersionPriority,
  VersionRule,
  versionedCopyChooser,
  type TargetVersions,
} from '../../../src/restore/read/version-choice.ts';
import { aBackupArchive } from '../../helpers/archive-builder.ts';

const GR = 'rockbands.music.example.io';

function priority(target: TargetVersions, user: Record<string, string[]> = {}): VersionPriority {
  return new VersionPriority(
    (gr) => (gr === GR ? target : { served: [], preferred: undefined }),
    new Map(Object.entries(user)),
  );
}

describe('choosing the version to restore (reference §2.4, in order)', () => {
  test('1. the user priority: its first version both clusters have, ahead of every other rule', () => {
    const p = priority({ served: ['v1', 'v2', 'v2beta1'], preferred: 'v1' }, { [GR]: ['v3', 'v2beta1', 'v2'] });
    const choice = p.choose(GR, ['v1', 'v2', 'v2beta1'], 'v1');
    assert.equal(choice?.version, 'v2beta1', 'v3 is not served by the target, so the next one is used');
    assert.equal(choice?.rule, VersionRule.UserPriority);
  });

  test('a user version the backup does not hold is passed over', () => {
    const p = priority({ served: ['v1', 'v2'], preferred: 'v1' }, { [GR]: ['v2'] });
    assert.equal(p.choose(GR, ['v1'], 'v1')?.rule, VersionRule.TargetPreferred);
  });

  test('2. the target cluster preferred version, if the backup holds it, before the source preferred one', () => {
    const p = priority({ served: ['v1', 'v2'], preferred: 'v2' });
    const choice = p.choose(GR, ['v1', 'v2'], 'v1');
    assert.deepEqual([choice?.version, choice?.rule], ['v2', VersionRule.TargetPreferred]);
  });

  test('3. the source preferred version, if the target serves it', () => {
    const p = priority({ served: ['v1', 'v3'], preferred: 'v3' });
    const choice = p.choose(GR, ['v1', 'v2'], 'v1');
    assert.deepEqual([choice?.version, choice?.rule], ['v1', VersionRule.SourcePreferred]);
  });

  test('4. the highest common version by Kubernetes version priority', () => {
    const p = priority({ served: ['v1alpha1', 'v1beta1', 'v1beta2', 'v3'], preferred: 'v3' });
    const choice = p.choose(GR, ['v2', 'v1alpha1', 'v1beta2', 'v1beta1'], 'v2');
    assert.deepEqual([choice?.version, choice?.rule], ['v1beta2', VersionRule.HighestCommon]);
  });

  test('5. no version in common: the source preferred version, which the target does not serve', () => {
    const p = priority({ served: ['v3'], preferred: 'v3' });
    const choice = p.choose(GR, ['v1', 'v2'], 'v2');
    assert.deepEqual([choice?.version, choice?.rule], ['v2', VersionRule.SourcePreferredFallback]);
    assert.deepEqual(choice?.targetVersions, ['v3']);
  });

  test('a group the target does not serve yet (its CRD comes with the restore) is restored at the source preferred version', () => {
    const p = priority({ served: [], preferred: undefined }, { [GR]: ['v2'] });
    assert.equal(p.choose(GR, ['v1', 'v2'], 'v1')?.version, 'v1');
  });

  test('a non-preferred copy at a version the target does not serve is never restored', () => {
    const p = priority({ served: ['v1'], preferred: 'v1' });
    assert.equal(p.rank(GR, 'v2', false), undefined);
  });
});

describe('Kubernetes version priority', () => {
  test('GA before beta before alpha, higher major then higher minor first, others last in string order', () => {
    const sorted = ['v1alpha1', 'foo', 'v1beta1', 'v11alpha2', 'v2', 'v1', 'v10beta3', 'v1beta2', 'bar', 'v12'].sort(
      compareKubeVersions,
    );
    assert.deepEqual(sorted, [
      'v12',
      'v2',
      'v1',
      'v10beta3',
      'v1beta2',
      'v1beta1',
      'v11alpha2',
      'v1alpha1',
      'bar',
      'foo',
    ]);
  });
});

describe('the ConfigMap enableapigroupversions, key restoreResourcesVersionPriority', () => {
  test('one line per group-resource, versions in the user order; blank lines and spaces are fine', () => {
    const { priorities, problems } = parseVersionPriorities(
      `rockbands.music.example.io=v2beta1,v2beta2\n\n  orchestras.music.example.io = v2, v3alpha1 \n`,
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(
      [...priorities],
      [
        ['rockbands.music.example.io', ['v2beta1', 'v2beta2']],
        ['orchestras.music.example.io', ['v2', 'v3alpha1']],
      ],
    );
  });

  test('a line that cannot be used is named, and the others still count', () => {
    const { priorities, problems } = parseVersionPriorities(
      'rockbands.music.example.io v2\nbands.x.io=v1,,v2\nok.x.io=v1',
    );
    assert.deepEqual([...priorities.keys()], ['ok.x.io']);
    assert.equal(problems.length, 2);
    assert.match(problems[0] ?? '', /line 1 "rockbands.music.example.io v2" is not "<resource>.<group>=<version>/);
    assert.match(problems[1] ?? '', /line 2 "bands.x.io=v1,,v2"/);
  });
});

describe('reading a tarball with EnableAPIGroupVersions', () => {
  let dir = '';
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'skiff-versions-test-'))));
  after(async () => rm(dir, { recursive: true, force: true }));

  const band = (name: string, version: string) => ({
    apiVersion: `music.example.io/${version}`,
    kind: 'RockBand',
    metadata: { name, namespace: 'ns' },
    spec: { at: version },
  });
  const twoVersions = () =>
    aBackupArchive()
      .item({
        group: 'music.example.io',
        version: 'v1',
        resource: 'rockbands',
        namespace: 'ns',
        name: 'a',
        object: band('a', 'v1'),
      })
      .item({
        group: 'music.example.io',
        version: 'v1',
        resource: 'rockbands',
        namespace: 'ns',
        name: 'b',
        object: band('b', 'v1'),
      })
      .item({
        group: 'music.example.io',
        version: 'v2',
        resource: 'rockbands',
        namespace: 'ns',
        name: 'a',
        preferred: false,
        object: band('a', 'v2'),
      });

  test('each item comes from the chosen version; an item missing there falls back to its legacy copy', async () => {
    const copies = versionedCopyChooser(priority({ served: ['v1', 'v2'], preferred: 'v2' }));
    const cat = await readBackupCatalogue(await twoVersions().stream(), { tempDir: dir, copies });
    try {
      const entries = [...cat.entries(GR)];
      const read = await Promise.all(entries.map((e) => cat.read(e)));
      assert.deepEqual(
        read.map((o) => [o.metadata.name, o.apiVersion]),
        [
          ['a', 'music.example.io/v2'],
          ['b', 'music.example.io/v1'],
        ],
      );
      assert.ok(
        cat.notes.includes(
          `${GR}: restoring version v2 of v2, v1 in the backup (the target cluster's preferred version)`,
        ),
        cat.notes.join('\n'),
      );
    } finally {
      await cat.dispose();
    }
  });

  test('a target that prefers the source version restores the legacy copies', async () => {
    const copies = versionedCopyChooser(priority({ served: ['v1', 'v2'], preferred: 'v1' }));
    const cat = await readBackupCatalogue(await twoVersions().stream(), { tempDir: dir, copies });
    try {
      const read = await Promise.all([...cat.entries(GR)].map((e) => cat.read(e)));
      assert.deepEqual(
        read.map((o) => o.apiVersion),
        ['music.example.io/v1', 'music.example.io/v1'],
      );
    } finally {
      await cat.dispose();
    }
  });

  test('without the feature the other version folder is left out, and the log says why', async () => {
    const cat = await readBackupCatalogue(await twoVersions().stream(), { tempDir: dir });
    try {
      const read = await Promise.all([...cat.entries(GR)].map((e) => cat.read(e)));
      assert.deepEqual(
        read.map((o) => o.apiVersion),
        ['music.example.io/v1', 'music.example.io/v1'],
      );
      assert.ok(cat.notes.some((n) => n.includes('without the EnableAPIGroupVersions feature')));
    } finally {
      await cat.dispose();
    }
  });
});
