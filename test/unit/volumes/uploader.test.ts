import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKopiaProgress, parseKopiaRestoreProgress } from '../../../src/volumes/uploader/kopia.ts';
import {
  parseBackupSettings,
  parseRestoreSettings,
  UploaderSettingKeys,
} from '../../../src/volumes/uploader/settings.ts';
import { volumeServerOptions } from '../../../src/volumes/server-flags.ts';

test('kopia progress lines: done is hashed + cached, total the estimate, and the bytes uploaded', () => {
  assert.deepEqual(
    parseKopiaProgress(
      ' | 1 hashing, 10 hashed (50 MB), 2 cached (1.5 MB), uploaded 20 MB, estimated 100 MB (51.5%) 3s left',
    ),
    { bytesDone: 51_500_000, totalBytes: 100_000_000, uploadedBytes: 20_000_000 },
  );
  assert.deepEqual(
    parseKopiaProgress(' * 0 hashing, 3 hashed (2 KiB), 0 cached (0 B), uploaded 1 KiB, estimating...'),
    {
      bytesDone: 2048,
      totalBytes: 2048,
      uploadedBytes: 1024,
    },
  );
  assert.equal(parseKopiaProgress('Snapshotting default@default:/ns/vol ...'), undefined);
  assert.equal(
    parseKopiaRestoreProgress('Processed 3 (1.2 GB) of 5 (2 GB) 100 MB/s (60.0%) remaining 8s.'),
    1_200_000_000,
  );
  assert.equal(parseKopiaRestoreProgress('Restoring to local filesystem'), undefined);
});

test("uploader settings: Velero's keys, each checked, and a key for the other direction refused", () => {
  assert.deepEqual(parseBackupSettings({ [UploaderSettingKeys.ParallelFilesUpload]: '4' }), { parallelFiles: 4 });
  assert.deepEqual(parseBackupSettings(null), {});
  assert.deepEqual(parseRestoreSettings({ WriteSparseFiles: 'true', ParallelFilesDownload: '2' }), {
    writeSparseFiles: true,
    parallelFiles: 2,
  });
  assert.deepEqual(parseRestoreSettings(undefined), { writeSparseFiles: false });
  assert.throws(
    () => parseBackupSettings({ ParallelFilesUpload: 'many' }),
    /ParallelFilesUpload "many" is not a whole number/,
  );
  assert.throws(
    () => parseBackupSettings({ WriteSparseFiles: 'true' }),
    /WriteSparseFiles applies to the other direction/,
  );
  assert.throws(() => parseRestoreSettings({ Turbo: '1' }), /uploaderSettings.Turbo is not a setting/);
  assert.throws(() => parseRestoreSettings({ WriteSparseFiles: 'yes' }), /is not "true" or "false"/);
});

test('server flags: --uploader-type kopia|restic, --default-repo-maintain-frequency a positive duration', () => {
  assert.deepEqual(volumeServerOptions({ uploaderType: 'restic', defaultRepoMaintainFrequency: '24h' }), {
    options: { uploaderType: 'restic', defaultRepoMaintainFrequency: '24h' },
    problems: [],
  });
  assert.deepEqual(volumeServerOptions({ uploaderType: 'rsync' }).problems, [
    '--uploader-type "rsync" is not one of kopia, restic',
  ]);
  assert.match(
    volumeServerOptions({ defaultRepoMaintainFrequency: 'weekly' }).problems[0] ?? '',
    /--default-repo-maintain-frequency/,
  );
  assert.match(volumeServerOptions({ defaultRepoMaintainFrequency: '0' }).problems[0] ?? '', /longer than 0/);
});
