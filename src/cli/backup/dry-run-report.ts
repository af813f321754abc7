/** The text of `backup create --dry-run`: what would be backed up, grouped and counted. */
import type { BackupDryRun } from '../../backup/dry-run.ts';
import { formatHookDryRun } from '../../backup/hooks/dry-run-hooks.ts';
import { methodText } from '../../backup/volumes/dry-run.ts';
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
  if (report.appLeftOut.length > 0) {
    out.push(
      '',
      'Left out, but the application uses them (take them with --include-app-cluster-resources):',
      ...report.appLeftOut.map((a) => `  - ${a.ref}: ${a.reason} (rule ${a.rule})`),
    );
  }
  if (report.volumes && report.volumes.length > 0) {
    out.push(
      '',
      'Pod volumes:',
      formatTable(
        ['POD', 'VOLUME', 'METHOD', 'RULE'],
        report.volumes.map((v) => [
          v.pod,
          v.volume,
          v.reason ? `${methodText(v)}: ${v.reason}` : methodText(v),
          v.rule,
        ]),
      ),
    );
  }
  out.push(...formatHookDryRun(report.hooks ?? []));
  out.push(...section('Warnings', report.warnings), ...section('Errors', report.errors));
  const explained = [...report.explained.map(explainLine), ...[...unseen].map(([asked, why]) => `  ${asked}: ${why}`)];
  if (explained.length > 0) out.push('', 'Explain:', ...explained);
  return out.join('\n') + '\n';
}

function explainLine(e: BackupDryRun['explained'][number]): string {
  if (e.included && e.rule)
    return `  ${e.ref}: included, as the application uses it: ${e.reason ?? ''} (rule ${e.rule})`;
  if (e.included)
    return `  ${e.ref}: included${e.origin === 'additional' ? ' (as an item related to another included item)' : ''}`;
  if (e.appLeftOut) return `  ${e.ref}: ${e.reason ?? ''} (rule ${e.rule ?? ''})`;
  return `  ${e.ref}: excluded: ${e.reason ?? 'no reason recorded'}`;
}

function section(title: string, lines: readonly string[]): string[] {
  if (lines.length === 0) return [];
  return ['', `${title}:`, ...lines.map((l) => `  - ${l}`)];
}
