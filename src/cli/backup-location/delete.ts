/**
 * `skiff backup-location delete NAME...`: deletes the locations and, as Velero does, the
 * Backup CRs and BackupRepositories that reference them; the bucket data stays (reference §5.5).
 */
import { Command } from '@commander-js/extra-typings';
import type { BackupStorageLocation } from '../../api/backup-storage-location.ts';
import { Kinds, resourceRef, type KindInfo } from '../../api/kinds.ts';
import { Labels } from '../../api/labels.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { validLabelValue } from '../../util/label-value.ts';
import { deleteSelectionProblems } from '../backup/delete.ts';
import { CliContext } from '../context.ts';
import { throwIfProblems } from '../errors.ts';
import { confirmed } from '../prompt.ts';
import { getNamedOrSelected, listVelero } from '../resources.ts';

async function deleteLabelled(cluster: Cluster, kind: KindInfo, namespace: string, location: string): Promise<number> {
  const selector = `${Labels.StorageLocation}=${validLabelValue(location)}`;
  const objects = await listVelero(cluster, kind, namespace, selector);
  for (const o of objects) await cluster.delete(resourceRef(kind), o.metadata.name ?? '', namespace);
  return objects.length;
}

export function backupLocationDeleteCommand() {
  return new Command('delete')
    .description('Delete backup storage locations, and the Backup objects that reference them (not the stored data)')
    .argument('[names...]', 'locations to delete')
    .option('--all', 'delete all locations')
    .option('-l, --selector <selector>', 'delete the locations whose labels match this selector')
    .option('--confirm', 'do not ask for confirmation')
    .addHelpText(
      'after',
      `
Examples:
  skiff backup-location delete old-minio --confirm`,
    )
    .action(async (names, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      throwIfProblems(deleteSelectionProblems(names, flags.all ?? false, flags.selector));
      const cluster = ctx.cluster();
      const locations = await getNamedOrSelected<BackupStorageLocation>(
        cluster,
        Kinds.BackupStorageLocation,
        ctx.namespace,
        names,
        flags.selector,
      );
      if (locations.length === 0) {
        console.log('No backup storage locations found.');
        return;
      }
      const list = locations.map((l) => l.metadata.name ?? '').join(', ');
      if (!(await confirmed(`Deleting backup storage location(s) ${list} and their Backup objects.`, flags.confirm))) {
        console.log('Cancelled.');
        return;
      }
      for (const name of locations.map((l) => l.metadata.name ?? '')) {
        await cluster.delete(resourceRef(Kinds.BackupStorageLocation), name, ctx.namespace);
        const backups = await deleteLabelled(cluster, Kinds.Backup, ctx.namespace, name);
        const repos = await deleteLabelled(cluster, Kinds.BackupRepository, ctx.namespace, name);
        console.log(
          `Backup storage location "${name}" deleted (with ${backups} backup object(s) and ${repos} repository object(s); the data in object storage is kept).`,
        );
      }
    });
}
