/**
 * The pod volume part of `skiff restore describe`, as Velero's describer shows it: per
 * uploader, how many PodVolumeRestores are in each phase, and with --details which pod
 * volumes (and, for a failure, why).
 */
import type { KubeObject } from '../../kube/object.ts';
import type { RestoreSpec } from '../../api/restore.ts';

const PHASE_ORDER = ['New', 'Accepted', 'Prepared', 'InProgress', 'Canceling', 'Canceled', 'Failed', 'Completed'];

export function podVolumeRestoreLines(pvrs: readonly KubeObject[], details: boolean): string[] {
  if (pvrs.length === 0) return [];
  const byUploader = new Map<string, Map<string, string[]>>();
  for (const pvr of pvrs) {
    const spec = (pvr.spec ?? {}) as {
      uploaderType?: string;
      volume?: string;
      pod?: { namespace?: string; name?: string };
    };
    const status = (pvr.status ?? {}) as { phase?: string; message?: string };
    const phases = byUploader.get(spec.uploaderType || 'restic') ?? new Map<string, string[]>();
    byUploader.set(spec.uploaderType || 'restic', phases);
    const phase = status.phase || 'New';
    const entry = `${spec.pod?.namespace ?? ''}/${spec.pod?.name ?? ''}: ${spec.volume ?? ''}`;
    phases.set(phase, [...(phases.get(phase) ?? []), status.message ? `${entry} (${status.message})` : entry]);
  }
  const out: string[] = [];
  for (const [uploader, phases] of [...byUploader].sort(([a], [b]) => a.localeCompare(b))) {
    out.push('', details ? `${uploader} Restores:` : `${uploader} Restores (specify --details for more information):`);
    const ordered = [...phases].sort(([a], [b]) => PHASE_ORDER.indexOf(a) - PHASE_ORDER.indexOf(b));
    for (const [phase, entries] of ordered) {
      if (!details) out.push(`  ${`${phase}:`.padEnd(12)}${entries.length}`);
      else out.push(`  ${phase}:`, ...entries.sort().map((e) => `    ${e}`));
    }
  }
  return out;
}

/** `spec.uploaderConfig`, when set. */
export function uploaderConfigLines(spec: RestoreSpec): string[] {
  const config = spec.uploaderConfig;
  if (!config || (config.writeSparseFiles == null && config.parallelFilesDownload == null)) return [];
  return [
    '',
    'Uploader config:',
    ...(config.writeSparseFiles != null ? [`  Write Sparse Files:       ${String(config.writeSparseFiles)}`] : []),
    ...(config.parallelFilesDownload != null ? [`  Parallel Files Download:  ${config.parallelFilesDownload}`] : []),
  ];
}
