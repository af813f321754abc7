/** The text of `backup create --dry-run`: what would be backed up, grouped and counted. */
import type { BackupDryRun } from '../../backup/dry-run.ts';
import { formatTable } from '../output.ts';

/** Validation errors stop a backup before it starts; the server would mark it FailedValidation. */
export function formatValidationErrors(name: string, errors: readonly string[]): string {
  return [
    `Backup ${name} would fail validation (the server would mark it FailedValidation):`,
    ...errors.map((e) => `  - ${e.replaceAll('\n', '\n    ')}`),
    '',
  ].join('\n');
}

export function formatDryRun(name: string, report: BackupDryRun, unseen: ReadonlyMap<string, string>): string {
  const rows: string[][] = [];
  for (const [resource, byNs] of [...report.included].sort(([a], [b]) => a.localeCompare(b))) {
    for (const [ns, n] of [...byNs].sort(([a], [b]) => a.localeCompare(b))) {
      rows.push([resource, ns === '' ? '<cluster>' : ns, String(n)]);
    }
  }
  const out: string[] = [`Dry run of backup ${name}: nothing was written.`, ''];
  if (rows.length > 0) out.push(formatTable(['RESOURCE', 'NAMESPACE', 'ITEMS'], rows));
  out.push(
    `Total: ${report.totalIncluded} item(s) would be backed up; ${report.totalExcluded} listed item(s) left out.`,
  );
  out.push(...section('Warnings', report.warnings), ...section('Errors', report.errors));
  const explained = [
    ...report.explained.map((e) =>
      e.included
        ? `  ${e.ref}: included${e.origin === 'additional' ? ' (as an item related to another included item)' : ''}`
        : `  ${e.ref}: excluded: ${e.reason ?? 'no reason recorded'}`,
    ),
    ...[...unseen].map(([asked, why]) => `  ${asked}: ${why}`),
  ];
  if (explained.length > 0) out.push('', 'Explain:', ...explained);
  return out.join('\n') + '\n';
}

function section(title: string, lines: readonly string[]): string[] {
  if (lines.length === 0) return [];
  return ['', `${title}:`, ...lines.map((l) => `  - ${l}`)];
}
