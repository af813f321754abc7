/** `skiff backup describe NAME... [--details]` (reference §8.2). */
import { Command } from '@commander-js/extra-typings';
import type { Backup } from '../../api/backup.ts';
import { Kinds } from '../../api/kinds.ts';
import { Labels } from '../../api/labels.ts';
import type { PodVolumeBackup } from '../../api/pod-volume.ts';
import { veleroListType } from '../../controllers/velero-types.ts';
import { validLabelValue } from '../../util/label-value.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { errorMessage } from '../../util/errors.ts';
import { CliContext } from '../context.ts';
import { describeOptions } from '../describe-options.ts';
import { downloadText, type DownloadTls } from '../download-request.ts';
import { downloadTlsOptions } from '../download-flags.ts';
import { formatObjects } from '../output.ts';
import { getNamedOrSelected, newestFirst } from '../resources.ts';
import { describeBackup, parseResourceList, parseResultsFile, type BackupDetails } from './describe-format.ts';

/** Only a finished backup has its resource list and results in the bucket. */
const HAS_FILES = new Set(['Completed', 'PartiallyFailed', 'Failed']);

async function fetchDetails(
  cluster: Cluster,
  namespace: string,
  backup: Backup,
  download: { timeoutMs: number; tls: DownloadTls },
): Promise<BackupDetails> {
  const name = backup.metadata.name ?? '';
  if (!HAS_FILES.has(backup.status?.phase ?? '')) {
    const why = 'not available until the backup has finished';
    return { resourceList: why, results: why };
  }
  const get = async <T>(kind: 'BackupResourceList' | 'BackupResults', parse: (t: string) => T): Promise<T | string> => {
    try {
      return parse(await downloadText({ cluster, namespace, kind, name, ...download }));
    } catch (err) {
      return `error getting ${kind}: ${errorMessage(err)}`;
    }
  };
  const [resourceList, results] = await Promise.all([
    get('BackupResourceList', parseResourceList),
    get('BackupResults', parseResultsFile),
  ]);
  return { resourceList, results };
}

/** The backup's PodVolumeBackups, as Velero's describe lists them (label velero.io/backup-name). */
async function podVolumeBackupsOf(cluster: Cluster, namespace: string, backup: Backup): Promise<PodVolumeBackup[]> {
  const out: PodVolumeBackup[] = [];
  const labelSelector = `${Labels.BackupName}=${validLabelValue(backup.metadata.name ?? '')}`;
  try {
    for await (const o of cluster.list(veleroListType(Kinds.PodVolumeBackup), { namespace, labelSelector }))
      out.push(o as PodVolumeBackup);
  } catch {
    // A cluster without the PodVolumeBackup CRD has none to show.
  }
  return out;
}

export function backupDescribeCommand() {
  return downloadTlsOptions(
    new Command('describe')
      .description('Describe backups')
      .argument('[names...]', 'backups to describe (default: all)')
      .option('-l, --selector <selector>', 'only backups whose labels match this selector')
      .option('--details', 'also show the resource list and the warnings and errors (needs a running server)')
      .option(
        '--timeout <duration>',
        'with --details: how long to wait for the server to serve each file (default 1m; a plain number is seconds)',
      )
      .option('-o, --output <format>', 'json or yaml instead of text'),
  )
    .addHelpText(
      'after',
      `
Examples:
  skiff backup describe web-daily
  skiff backup describe web-daily --details`,
    )
    .action(async (names, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const { output, details } = describeOptions(flags);
      const cluster = ctx.cluster();
      const backups = newestFirst(
        await getNamedOrSelected<Backup>(cluster, Kinds.Backup, ctx.namespace, names, flags.selector),
      );
      if (output) {
        process.stdout.write(formatObjects(backups, output, names.length !== 1));
        return;
      }
      const texts: string[] = [];
      for (const b of backups) {
        const fetched = details ? await fetchDetails(cluster, ctx.namespace, b, details) : undefined;
        texts.push(describeBackup(b, fetched, await podVolumeBackupsOf(cluster, ctx.namespace, b)));
      }
      process.stdout.write(texts.join('\n\n'));
    });
}
