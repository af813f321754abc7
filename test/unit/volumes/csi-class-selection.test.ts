import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectSnapshotClass, type ClassSelectionInput } from '../../../src/volumes/csi/class-selection.ts';
import { backupVolumeSnapshot, restoredSnapshotName } from '../../../src/volumes/csi/snapshot-objects.ts';
import type { KubeObject } from '../../../src/kube/object.ts';

const DRIVER = 'hostpath.csi.skiff.dev';

function cls(name: string, driver: string, labels?: Record<string, string>, annotations?: Record<string, string>) {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotClass',
    metadata: { name, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
    driver,
    deletionPolicy: 'Delete',
  } as KubeObject;
}

const plain = cls('plain', DRIVER);
const labelled = cls('labelled', DRIVER, { 'velero.io/csi-volumesnapshot-class': 'true' });
const byDefault = cls('by-default', DRIVER, undefined, { 'snapshot.storage.kubernetes.io/is-default-class': 'true' });
const notDefault = cls('not-default', DRIVER, undefined, {
  'snapshot.storage.kubernetes.io/is-default-class': 'false',
});
const other = cls('other', 'other.csi.example.com', { 'velero.io/csi-volumesnapshot-class': 'true' });

function pick(over: Partial<ClassSelectionInput>): ReturnType<typeof selectSnapshotClass> {
  return selectSnapshotClass({
    claim: 'app/data',
    claimAnnotations: {},
    driver: DRIVER,
    backupAnnotations: {},
    classes: [plain, labelled, byDefault, other],
    ...over,
  });
}

describe('VolumeSnapshotClass selection (reference §7.2)', () => {
  it('1. the claim annotation wins over everything', () => {
    const got = pick({
      claimAnnotations: { 'velero.io/csi-volumesnapshot-class': 'plain' },
      backupAnnotations: { [`velero.io/csi-volumesnapshot-class_${DRIVER}`]: 'by-default' },
    });
    assert.deepEqual(got, { name: 'plain', rule: 'annotation velero.io/csi-volumesnapshot-class on the claim' });
  });

  it('1. a claim annotation naming a missing class or another driver is an error naming both', () => {
    const missing = pick({ claimAnnotations: { 'velero.io/csi-volumesnapshot-class': 'nope' } });
    assert.ok('error' in missing);
    assert.match(missing.error, /VolumeSnapshotClass nope .* does not exist \(claim app\/data\)/);
    const wrong = pick({ claimAnnotations: { 'velero.io/csi-volumesnapshot-class': 'other' } });
    assert.ok('error' in wrong);
    assert.match(wrong.error, /is for driver other\.csi\.example\.com, but claim app\/data uses driver hostpath/);
  });

  it('2. the backup annotation per driver, matched lower-case', () => {
    const got = pick({ backupAnnotations: { [`Velero.io/CSI-VolumeSnapshot-Class_${DRIVER}`]: 'plain' } });
    assert.ok('name' in got);
    assert.equal(got.name, 'plain');
    assert.match(got.rule, /on the backup/);
    // Another driver's annotation does not apply.
    const otherDriver = pick({ backupAnnotations: { 'velero.io/csi-volumesnapshot-class_x.example.com': 'plain' } });
    assert.ok('name' in otherDriver);
    assert.equal(otherDriver.name, 'labelled');
  });

  it('3. the labelled class of the driver, before the default one', () => {
    assert.deepEqual(pick({}), { name: 'labelled', rule: 'label velero.io/csi-volumesnapshot-class' });
  });

  it('3. the default-class annotation ("true") when none is labelled', () => {
    const got = pick({ classes: [plain, notDefault, byDefault, other] });
    assert.ok('name' in got);
    assert.equal(got.name, 'by-default');
  });

  it("3. the driver's only class", () => {
    const got = pick({ classes: [plain, other] });
    assert.ok('name' in got);
    assert.equal(got.name, 'plain');
    assert.match(got.rule, /only VolumeSnapshotClass/);
  });

  it('no class: an error naming the claim and the driver', () => {
    const none = pick({ classes: [other] });
    assert.ok('error' in none);
    assert.match(none.error, /no VolumeSnapshotClass for driver hostpath\.csi\.skiff\.dev \(claim app\/data\)/);
    const several = pick({ classes: [plain, notDefault] });
    assert.ok('error' in several);
    assert.match(several.error, /2 VolumeSnapshotClasses for driver hostpath\.csi\.skiff\.dev .*claim app\/data/);
  });
});

describe('CSI snapshot object names', () => {
  it("a backup's VolumeSnapshot: velero-<pvc>- prefix, the claim's labels plus the backup name", () => {
    const pvc = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data-web-0', namespace: 'shop', labels: { app: 'web' } },
    } as KubeObject;
    const vs = backupVolumeSnapshot(pvc, 'nightly', 'snapclass');
    assert.deepEqual(vs.metadata, {
      generateName: 'velero-data-web-0-',
      namespace: 'shop',
      labels: { app: 'web', 'velero.io/backup-name': 'nightly' },
    });
    assert.deepEqual(vs.spec, {
      source: { persistentVolumeClaimName: 'data-web-0' },
      volumeSnapshotClassName: 'snapclass',
    });
    const long = backupVolumeSnapshot(pvc, 'b'.repeat(70), 'c');
    assert.equal(long.metadata.labels?.['velero.io/backup-name']?.length, 63);
  });

  it("a restored snapshot's name is sha256hex(restoreUID/name)", () => {
    // sha256 of "uid-1/velero-data-abcde", computed with sha256sum.
    assert.equal(
      restoredSnapshotName('uid-1', 'velero-data-abcde'),
      'c67f1c7b8b8c63622cbbdcf18a505146cf7cd48fd7d1b7fa599f622f8b6de277',
    );
    assert.notEqual(restoredSnapshotName('uid-1', 'a'), restoredSnapshotName('uid-2', 'a'));
  });
});
