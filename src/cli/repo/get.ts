/** `skiff repo get [NAMES...]`: the BackupRepositories of the server namespace (reference §8.2). */
import type { BackupRepository } from '../../api/backup-repository.ts';
import { Kinds } from '../../api/kinds.ts';
import { byName, getCommand } from '../get-command.ts';
import { formatTable, formatTimestamp } from '../output.ts';

export function formatRepositoryTable(repositories: readonly BackupRepository[]): string {
  return formatTable(
    ['NAME', 'STATUS', 'LAST MAINTENANCE'],
    repositories.map((r) => [
      r.metadata.name ?? '',
      r.status?.phase ?? 'New',
      r.status?.lastMaintenanceTime ? formatTimestamp(r.status.lastMaintenanceTime) : '<never>',
    ]),
  );
}

export function repoGetCommand() {
  return getCommand<BackupRepository>({
    kind: Kinds.BackupRepository,
    plural: 'repositories',
    description: 'Get backup repositories: where the volume data of one namespace goes, per location',
    examples: [
      'skiff repo get',
      'skiff repo get -l velero.io/volume-namespace=shop',
      'skiff repo get shop-default-kopia -o yaml',
    ],
    order: byName,
    table: formatRepositoryTable,
  });
}
