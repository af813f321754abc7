/**
 * The "Backup Volumes" part of `skiff backup describe`: the CSI snapshot counts, the
 * backup's PodVolumeBackups by uploader and phase, counted, or with --details each pod's volumes (failed ones with their
 * message), as Velero prints them. Pure.
 */
import type { PodVolumeBackup } from '../../api/pod-volume.ts';

export function podVolumeBackupLines(
  pvbs: readonly PodVolumeBackup[],
  details: boolean,
  csi: { attempted: number; completed: number } = { attempted: 0, completed: 0 },
): string[] {
  const out = [
    'Backup Volumes:',
    '  Native snapshots:  <none: Skiff takes no native volume snapshots>',
    '',
    csi.attempted === 0
      ? '  CSI Snapshots:  <none included>'
      : `  CSI Snapshots:  ${csi.completed} of ${csi.attempted} completed`,
    '',
  ];
  if (pvbs.length === 0) return [...out, '  Pod Volume Backups:  <none included>'];
  const byUploader = groupBy(pvbs, (p) => p.spec.uploaderType || 'kopia');
  for (const [uploader, ofUploader] of byUploader) {
    out.push(`  Pod Volume Backups - ${uploader}${details ? '' : ' (specify --details for more information)'}:`);
    for (const [phase, ofPhase] of groupBy(ofUploader, (p) => p.status?.phase || 'New')) {
      if (!details) {
        out.push(`    ${phase}:  ${ofPhase.length}`);
        continue;
      }
      out.push(`    ${phase}:`);
      for (const [pod, ofPod] of groupBy(ofPhase, (p) => `${p.spec.pod.namespace ?? ''}/${p.spec.pod.name ?? ''}`))
        out.push(
          `      ${pod}: ${ofPod
            .map((p) =>
              p.status?.message && phase !== 'Completed' ? `${p.spec.volume} (${p.status.message})` : p.spec.volume,
            )
            .join(', ')}`,
        );
    }
  }
  return out;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): [string, T[]][] {
  const m = new Map<string, T[]>();
  for (const t of items) m.set(key(t), [...(m.get(key(t)) ?? []), t]);
  return [...m].sort(([a], [b]) => a.localeCompare(b));
}
