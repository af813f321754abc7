import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackupDryRun } from '../../../src/backup/dry-run.ts';
import { formatDryRun } from '../../../src/cli/backup/dry-run-report.ts';

const report: BackupDryRun = {
  included: new Map([['pods', new Map([['app', 1]])]]),
  totalIncluded: 1,
  totalExcluded: 0,
  warnings: [],
  errors: [],
  appLeftOut: [],
  explained: [],
  volumes: [
    {
      pod: 'app/web',
      volume: 'data',
      method: 'fs-backup',
      rule: 'opt-in: listed in annotation backup.velero.io/backup-volumes',
    },
    {
      pod: 'app/web',
      volume: 'cfg',
      method: 'skipped',
      rule: 'volume type',
      reason: 'configMap volumes are not backed up',
    },
  ],
};

describe('backup create --dry-run: pod volumes', () => {
  it('lists each volume with its method and the rule that chose it', () => {
    const text = formatDryRun('b', report, new Map());
    const lines = text.split('\n');
    const at = lines.indexOf('Pod volumes:');
    assert.ok(at > 0, text);
    assert.match(lines[at + 1] ?? '', /^POD\s+VOLUME\s+METHOD\s+RULE$/);
    assert.match(
      lines[at + 2] ?? '',
      /^app\/web\s+data\s+fs-backup\s+opt-in: listed in annotation backup\.velero\.io\/backup-volumes$/,
    );
    assert.match(lines[at + 3] ?? '', /^app\/web\s+cfg\s+skipped: configMap volumes are not backed up\s+volume type$/);
  });

  it('has no section when no pod is taken', () => {
    assert.doesNotMatch(formatDryRun('b', { ...report, volumes: [] }, new Map()), /Pod volumes/);
  });
});
