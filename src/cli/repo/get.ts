/** `skiff repo get [NAMES...]`: the BackupRepositories of the server namespace (reference §8.2). */
import type { BackupRepository } from '../../api/backup-repository.ts';
import { Kinds } from '../../api/kinds.ts';
import { byName, getCommand } from '../get-command.ts';
import { formatTimestamp } from '../output.ts';

const REPOSITORY_COLUMNS = ['NAME', 'STATUS', 'LAST MAINTENANCE'] as const;

function repositoryRow(r: BackupRepository): string[] {
  return [
    r.metadata.name ?? '',
    r.status?.phase ?? 'New',
    r.status?.lastMaintenanceTime ? formatTimestamp(r.status.lastMaintenanceTime) : '<never>',
  ];
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
    columns: REPOSITORY_COLUMNS,
    row: repositoryRow,
  });
}
