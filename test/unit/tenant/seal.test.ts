import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  canonicalJson,
  makeSeal,
  SEALED_COMPANIONS,
  sealProblem,
  tenantKey,
  type SealedCompanion,
  type SealedContent,
} from '../../../src/tenant/exec/seal.ts';
import { tenantPrefix } from '../../../src/storage/layout.ts';

const secret = Buffer.alloc(32, 7);
const content: SealedContent = {
  backup: 'nightly',
  namespaceUid: 'uid-team-a',
  metadataSha256: 'a'.repeat(64),
  contentSha256: 'b'.repeat(64),
  companionsSha256: {
    ...(Object.fromEntries(SEALED_COMPANIONS.map((f) => [f, null])) as Record<SealedCompanion, null>),
    podVolumeBackups: 'd'.repeat(64),
    resourceList: 'e'.repeat(64),
  },
};

function withCompanion(file: SealedCompanion, digest: string | null): SealedContent {
  return { ...content, companionsSha256: { ...content.companionsSha256, [file]: digest } };
}

describe('tenant backup seal', () => {
  test('a seal verifies for the content and namespace it was made for', () => {
    assert.equal(sealProblem(secret, content, makeSeal(secret, content)), undefined);
  });

  test('an edited tarball or metadata is named', () => {
    const seal = makeSeal(secret, content);
    assert.match(sealProblem(secret, { ...content, contentSha256: 'c'.repeat(64) }, seal) ?? '', /tarball was changed/);
    assert.match(
      sealProblem(secret, { ...content, metadataSha256: 'c'.repeat(64) }, seal) ?? '',
      /metadata was changed/,
    );
  });

  test('a volume record edited, removed or planted after the backup is named', () => {
    const seal = makeSeal(secret, content);
    assert.match(
      sealProblem(secret, withCompanion('podVolumeBackups', 'f'.repeat(64)), seal) ?? '',
      /podVolumeBackups record was changed/,
    );
    assert.match(
      sealProblem(secret, withCompanion('podVolumeBackups', null), seal) ?? '',
      /podVolumeBackups record was removed/,
    );
    assert.match(
      sealProblem(secret, withCompanion('csiVolumeSnapshotContents', 'f'.repeat(64)), seal) ?? '',
      /csiVolumeSnapshotContents record was added/,
    );
  });

  test('rewriting the digests in the seal does not help without the secret', () => {
    const planted = withCompanion('podVolumeBackups', 'f'.repeat(64));
    const forged = { ...makeSeal(secret, content), companionsSha256: planted.companionsSha256 };
    assert.match(sealProblem(secret, planted, forged) ?? '', /not made by this server/);
  });

  test('a version 1 seal, which did not cover the volume records, is refused with the reason', () => {
    const old = { ...makeSeal(secret, content), version: 1 };
    assert.match(sealProblem(secret, content, old) ?? '', /version 1.*volume records/);
  });

  test("another namespace's backup planted under this prefix fails, even with its digest fields rewritten", () => {
    const bobs = makeSeal(secret, { ...content, namespaceUid: 'uid-team-b' });
    assert.match(sealProblem(secret, content, bobs) ?? '', /another namespace/);
    assert.match(
      sealProblem(secret, content, { ...bobs, namespaceUid: content.namespaceUid }) ?? '',
      /not made by this server/,
    );
  });

  test('a seal made with another secret, a renamed backup or no seal at all fails', () => {
    assert.match(sealProblem(secret, content, makeSeal(Buffer.alloc(32, 8), content)) ?? '', /not made by this server/);
    assert.match(
      sealProblem(secret, { ...content, backup: 'other' }, makeSeal(secret, content)) ?? '',
      /another backup name/,
    );
    assert.match(sealProblem(secret, content, undefined) ?? '', /no tenant seal/);
    assert.match(sealProblem(secret, content, { mac: 1 }) ?? '', /not readable/);
  });

  test('per-namespace keys differ from each other and from the secret', () => {
    const a = tenantKey(secret, 'uid-a');
    assert.notDeepEqual(a, tenantKey(secret, 'uid-b'));
    assert.notDeepEqual(a, secret);
  });

  test('canonical JSON does not depend on key order', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }));
  });
});

describe('tenant prefix', () => {
  test("sits under the location's prefix, named by the namespace UID", () => {
    assert.equal(tenantPrefix('/velero/', '1234'), 'velero/tenants/1234');
    assert.equal(tenantPrefix(undefined, '1234'), 'tenants/1234');
  });
  test('a UID that would escape its directory is refused', () => {
    assert.throws(() => tenantPrefix('v', '../x'), /cannot be used/);
  });
});
