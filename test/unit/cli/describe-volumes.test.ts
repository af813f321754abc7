import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodVolumeBackup } from '../../../src/api/pod-volume.ts';
import { podVolumeBackupLines } from '../../../src/cli/backup/describe-volumes.ts';

function pvb(pod: string, volume: string, phase: string, message?: string): PodVolumeBackup {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'PodVolumeBackup',
    metadata: { name: `b-${volume}` },
    spec: {
      node: 'n',
      pod: { kind: 'Pod', namespace: 'app', name: pod },
      volume,
      backupStorageLocation: 'default',
      uploaderType: 'kopia',
    },
    status: { phase: phase as 'Completed', ...(message ? { message } : {}) },
  };
}

const pvbs = [
  pvb('web-0', 'data', 'Completed'),
  pvb('web-0', 'logs', 'Completed'),
  pvb('web-1', 'data', 'Failed', 'disk on fire'),
];

describe('backup describe: pod volume backups', () => {
  it('counts them by phase without --details', () => {
    const text = podVolumeBackupLines(pvbs, false).join('\n');
    assert.match(
      text,
      /Pod Volume Backups - kopia \(specify --details for more information\):\n {4}Completed: {2}2\n {4}Failed: {2}1/,
    );
  });

  it('lists each pod volume with --details, a failed one with its message', () => {
    const text = podVolumeBackupLines(pvbs, true).join('\n');
    assert.match(text, /Completed:\n {6}app\/web-0: data, logs\n {4}Failed:\n {6}app\/web-1: data \(disk on fire\)/);
  });

  it('says when there are none', () => {
    assert.match(podVolumeBackupLines([], true).join('\n'), /Pod Volume Backups: {2}<none included>/);
  });
});

describe('backup describe: CSI snapshots', () => {
  it('counts the CSI snapshots the backup took, or says there are none', () => {
    assert.match(podVolumeBackupLines([], false).join('\n'), /CSI Snapshots: {2}<none included>/);
    assert.match(
      podVolumeBackupLines([], false, { attempted: 2, completed: 1 }).join('\n'),
      /CSI Snapshots: {2}1 of 2 completed/,
    );
  });
});
