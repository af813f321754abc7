import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveVolumeFields, type ServerVolumeDefaults } from '../../../src/backup/volumes/settings.ts';

const server: ServerVolumeDefaults = { defaultVolumesToFsBackup: false, uploaderType: 'kopia' };

describe('backup volume fields', () => {
  it('defaultVolumesToFsBackup: the spec, else the deprecated restic field when true, else the server flag', () => {
    assert.equal(resolveVolumeFields({ defaultVolumesToFsBackup: true }, {}, server).defaultVolumesToFsBackup, true);
    const restic = resolveVolumeFields({ defaultVolumesToRestic: true, defaultVolumesToFsBackup: false }, {}, server);
    assert.equal(restic.spec.defaultVolumesToFsBackup, true);
    assert.match(restic.defaultSource, /defaultVolumesToRestic/);
    const fromServer = resolveVolumeFields({}, {}, { ...server, defaultVolumesToFsBackup: true });
    assert.equal(fromServer.spec.defaultVolumesToFsBackup, true);
    assert.equal(fromServer.defaultSource, 'server --default-volumes-to-fs-backup');
    assert.equal(
      resolveVolumeFields({ defaultVolumesToFsBackup: false }, {}, { ...server, defaultVolumesToFsBackup: true })
        .defaultVolumesToFsBackup,
      false,
    );
  });

  it('the wait: --fs-backup-timeout (240m by default), overridden by velero.io/pod-volume-timeout', () => {
    assert.equal(resolveVolumeFields({}, {}, server).timeoutMs, 240 * 60_000);
    assert.equal(resolveVolumeFields({}, {}, { ...server, fsBackupTimeout: '10m' }).timeoutMs, 600_000);
    assert.equal(resolveVolumeFields({}, { 'velero.io/pod-volume-timeout': '90s' }, server).timeoutMs, 90_000);
    const bad = resolveVolumeFields({}, { 'velero.io/pod-volume-timeout': 'soon' }, server);
    assert.match(bad.validationErrors[0] ?? '', /velero\.io\/pod-volume-timeout "soon"/);
  });

  it('warns about each field it cannot act on, naming it', () => {
    const r = resolveVolumeFields(
      {
        volumeSnapshotLocations: ['aws'],
        datamover: 'other',
        csiSnapshotTimeout: '5m',
        uploaderConfig: { parallelFilesUpload: 4 },
      },
      {},
      { ...server, uploaderType: 'restic' },
    );
    const text = r.warnings.join('\n');
    for (const field of ['volumeSnapshotLocations', 'datamover', 'parallelFilesUpload'])
      assert.match(text, new RegExp(`spec\\.(uploaderConfig\\.)?${field}`), field);
    assert.deepEqual(
      resolveVolumeFields(
        { csiSnapshotTimeout: '0s', datamover: 'velero', uploaderConfig: { parallelFilesUpload: 4 } },
        {},
        server,
      ).warnings,
      [],
    );
  });

  it('acts on csiSnapshotTimeout: 10m by default, the spec otherwise, a bad value refused', () => {
    assert.equal(resolveVolumeFields({}, {}, server).csiSnapshotTimeoutMs, 600_000);
    assert.equal(resolveVolumeFields({ csiSnapshotTimeout: '0s' }, {}, server).csiSnapshotTimeoutMs, 600_000);
    const r = resolveVolumeFields({ csiSnapshotTimeout: '5m' }, {}, server);
    assert.equal(r.csiSnapshotTimeoutMs, 300_000);
    assert.deepEqual(r.warnings, []);
    assert.match(
      resolveVolumeFields({ csiSnapshotTimeout: 'soon' }, {}, server).validationErrors[0] ?? '',
      /spec\.csiSnapshotTimeout/,
    );
  });

  it('refuses spec.volumeGroupSnapshotLabelKey, naming it: Skiff takes no volume group snapshots', () => {
    const refused = resolveVolumeFields({ volumeGroupSnapshotLabelKey: 'velero.io/volume-group' }, {}, server);
    assert.deepEqual(refused.validationErrors, [
      'spec.volumeGroupSnapshotLabelKey "velero.io/volume-group" cannot be honoured: Skiff does not support CSI volume ' +
        'group snapshots (VolumeGroupSnapshot); remove the field to snapshot each claim on its own',
    ]);
    // Unset or empty is Velero's "use the server default", which only matters for group snapshots.
    assert.deepEqual(resolveVolumeFields({ volumeGroupSnapshotLabelKey: '' }, {}, server).validationErrors, []);
    assert.deepEqual(resolveVolumeFields({}, {}, server).validationErrors, []);
  });

  it('acts on snapshotMoveData with the built-in data mover and refuses any other, naming it', () => {
    for (const datamover of [undefined, '', 'velero'])
      assert.deepEqual(resolveVolumeFields({ snapshotMoveData: true, datamover }, {}, server), {
        ...resolveVolumeFields({ snapshotMoveData: true, datamover }, {}, server),
        warnings: [],
        validationErrors: [],
      });
    const refused = resolveVolumeFields({ snapshotMoveData: true, datamover: 'acme' }, {}, server);
    assert.match(refused.validationErrors.join('\n'), /spec\.datamover "acme" is not a data mover Skiff runs/);
  });
});
