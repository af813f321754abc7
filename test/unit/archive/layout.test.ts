import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ArchiveErrorCode, isArchiveError } from '../../../src/archive/errors.ts';
import {
  itemEntryPath,
  itemEntryPaths,
  METADATA_VERSION_CONTENT,
  METADATA_VERSION_PATH,
  normalizeEntryName,
  parseEntryPath,
} from '../../../src/archive/layout.ts';

const pod = { group: '', version: 'v1', resource: 'pods', namespaced: true, namespace: 'ns1', name: 'p' };

describe('archive layout (reference §2.4)', () => {
  test('the version marker is metadata/version holding 1.1.0 and a newline', () => {
    assert.equal(METADATA_VERSION_PATH, 'metadata/version');
    assert.equal(METADATA_VERSION_CONTENT, '1.1.0\n');
  });

  test('a core-group item at the preferred version is written at the legacy path and under v1-preferredversion', () => {
    assert.deepEqual(itemEntryPaths({ ...pod, preferredVersion: true }), [
      'resources/pods/namespaces/ns1/p.json',
      'resources/pods/v1-preferredversion/namespaces/ns1/p.json',
    ]);
  });

  test('a non-core resource folder is plural.group', () => {
    assert.deepEqual(
      itemEntryPaths({
        group: 'apps',
        version: 'v1',
        resource: 'deployments',
        namespaced: true,
        namespace: 'web',
        name: 'frontend',
        preferredVersion: true,
      }),
      [
        'resources/deployments.apps/namespaces/web/frontend.json',
        'resources/deployments.apps/v1-preferredversion/namespaces/web/frontend.json',
      ],
    );
  });

  test('a cluster-scoped item goes under cluster/', () => {
    assert.deepEqual(
      itemEntryPaths({
        group: 'apiextensions.k8s.io',
        version: 'v1',
        resource: 'customresourcedefinitions',
        namespaced: false,
        name: 'rockbands.music.example.io',
        preferredVersion: true,
      }),
      [
        'resources/customresourcedefinitions.apiextensions.k8s.io/cluster/rockbands.music.example.io.json',
        'resources/customresourcedefinitions.apiextensions.k8s.io/v1-preferredversion/cluster/rockbands.music.example.io.json',
      ],
    );
  });

  test('an item at a non-preferred version is written only under its plain version directory', () => {
    assert.deepEqual(
      itemEntryPaths({
        group: 'music.example.io',
        version: 'v2beta1',
        resource: 'rockbands',
        namespaced: true,
        namespace: 'ns1',
        name: 'beatles',
        preferredVersion: false,
      }),
      ['resources/rockbands.music.example.io/v2beta1/namespaces/ns1/beatles.json'],
    );
  });

  test('a namespaced item without a namespace, or a cluster item with one, is refused', () => {
    assert.throws(
      () => itemEntryPath({ ...pod, namespace: '' }),
      (err) => isArchiveError(err, ArchiveErrorCode.InvalidPath),
    );
    assert.throws(
      () => itemEntryPath({ ...pod, namespaced: false }),
      (err) => isArchiveError(err, ArchiveErrorCode.InvalidPath),
    );
  });

  test('names that would escape their directory are refused when building paths', () => {
    for (const name of ['..', '.', '', 'a/b', 'x\u0000y']) {
      assert.throws(
        () => itemEntryPath({ ...pod, name }),
        (err) => isArchiveError(err, ArchiveErrorCode.InvalidPath),
        name,
      );
    }
  });

  test('parseEntryPath reads every path shape Velero writes', () => {
    assert.deepEqual(parseEntryPath('resources/pods/namespaces/ns1/p.json'), {
      groupResource: 'pods',
      resource: 'pods',
      group: '',
      namespace: 'ns1',
      name: 'p',
      preferred: false,
    });
    assert.deepEqual(parseEntryPath('resources/pods/v1-preferredversion/namespaces/ns1/p.json'), {
      groupResource: 'pods',
      resource: 'pods',
      group: '',
      namespace: 'ns1',
      name: 'p',
      version: 'v1',
      preferred: true,
    });
    assert.deepEqual(parseEntryPath('resources/storageclasses.storage.k8s.io/cluster/fast.v2.json'), {
      groupResource: 'storageclasses.storage.k8s.io',
      resource: 'storageclasses',
      group: 'storage.k8s.io',
      name: 'fast.v2',
      preferred: false,
    });
    assert.deepEqual(parseEntryPath('resources/rockbands.music.example.io/v2beta1/cluster/x.json'), {
      groupResource: 'rockbands.music.example.io',
      resource: 'rockbands',
      group: 'music.example.io',
      name: 'x',
      version: 'v2beta1',
      preferred: false,
    });
  });

  test('a namespace literally called "cluster" is still a namespace', () => {
    const parsed = parseEntryPath('resources/pods/namespaces/cluster/p.json');
    assert.equal(parsed.namespace, 'cluster');
    assert.equal(parsed.version, undefined);
  });

  test('parseEntryPath is the inverse of itemEntryPaths', () => {
    for (const preferredVersion of [true, false]) {
      for (const path of itemEntryPaths({ ...pod, preferredVersion })) {
        const parsed = parseEntryPath(path);
        assert.equal(parsed.name, 'p');
        assert.equal(parsed.namespace, 'ns1');
      }
    }
  });

  test('paths outside the item layout are InvalidPath errors', () => {
    for (const path of [
      'metadata/version',
      'resources/pods',
      'resources/pods/p.json',
      'resources/pods/namespaces/ns1/p.yaml',
      'resources/pods/namespaces/ns1/.json',
      'resources/pods/v1/v2/cluster/p.json',
      'resources/pods/-preferredversion/cluster/p.json',
      'resources/pods/cluster/a/b.json',
    ]) {
      assert.throws(
        () => parseEntryPath(path),
        (err) => isArchiveError(err, ArchiveErrorCode.InvalidPath),
        path,
      );
    }
  });

  test('hostile paths are UnsafePath errors', () => {
    for (const path of [
      'resources/../../etc/passwd',
      '/etc/passwd',
      '/resources/pods/cluster/p.json',
      'C:/windows/x.json',
      'resources/pods/namespaces/../p.json',
      'resources//pods/cluster/p.json',
      'resources/./pods/cluster/p.json',
      'resources\\..\\..\\etc\\passwd',
    ]) {
      assert.throws(
        () => parseEntryPath(path),
        (err) => isArchiveError(err, ArchiveErrorCode.UnsafePath),
        path,
      );
    }
  });

  test('an unsafe path names its first bad segment, split at / and \\', () => {
    const cases: [string, string][] = [
      ['resources/a/..', 'contains a ".." segment'],
      ['resources\\..\\x', 'contains a ".." segment'],
      ['resources/.x/../y', 'contains a ".." segment'],
      ['resources/./a/../b', 'contains an empty or "." segment'],
      ['resources/a\\\\b', 'contains an empty or "." segment'],
      ['resources/a/.', 'contains an empty or "." segment'],
    ];
    for (const [path, reason] of cases) {
      assert.throws(
        () => normalizeEntryName(path),
        (err) => isArchiveError(err, ArchiveErrorCode.UnsafePath) && err.message.endsWith(reason),
        path,
      );
    }
    for (const path of ['resources/..a/b..', 'resources/.a/a.', 'resources/a\\b'])
      assert.equal(normalizeEntryName(path), path);
  });

  test('a leading ./ and a trailing / are tolerated', () => {
    assert.equal(normalizeEntryName('./resources/pods/cluster/p.json'), 'resources/pods/cluster/p.json');
    assert.equal(normalizeEntryName('resources/'), 'resources');
  });
});
