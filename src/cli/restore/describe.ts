/** `skiff restore describe NAME... [--details]` (reference §8.2). */
import { Command } from '@commander-js/extra-typings';
import { Kinds } from '../../api/kinds.ts';
import type { Restore } from '../../api/restore.ts';
import type { Cluster } from '../../kube/cluster.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Labels } from '../../api/labels.ts';
import { veleroListType } from '../../controllers/velero-types.ts';
import { validLabelValue } from '../../util/label-value.ts';
import { errorMessage } from '../../util/errors.ts';
import { parseResourceList, parseResultsFile } from '../backup/describe-format.ts';
import { CliContext } from '../context.ts';
import { describeOptions } from '../describe-options.ts';
import { downloadText, type DownloadTls } from '../download-request.ts';
import { downloadTlsOptions } from '../download-flags.ts';
import { formatObjects } from '../output.ts';
import { getNamedOrSelected, newestFirst } from '../resources.ts';
import { describeRestore, type RestoreDetails } from './describe-format.ts';

/** Only a finished restore has its resource list and results in the bucket. */
const HAS_FILES = new Set(['Completed', 'PartiallyFailed', 'Failed']);

async function fetchDetails(
  cluster: Cluster,
  namespace: string,
  restore: Restore,
  download: { timeoutMs: number; tls: DownloadTls },
): Promise<RestoreDetails> {
  const name = restore.metadata.name ?? '';
  if (!HAS_FILES.has(restore.status?.phase ?? '')) {
    const why = 'not available until the restore has finished';
    return { resourceList: why, results: why };
  }
  const get = async <T>(
    kind: 'RestoreResourceList' | 'RestoreResults',
    parse: (t: string) => T,
  ): Promise<T | string> => {
    try {
      return parse(await downloadText({ cluster, namespace, kind, name, ...download }));
    } catch (err) {
      return `error getting ${kind}: ${errorMessage(err)}`;
    }
  };
  const [resourceList, results] = await Promise.all([
    get('RestoreResourceList', parseResourceList),
    get('RestoreResults', parseResultsFile),
  ]);
  return { resourceList, results };
}

/** The Restore's PodVolumeRestores (reference §6.5), by its name label. */
async function podVolumeRestoresOf(cluster: Cluster, namespace: string, restore: Restore): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  const labelSelector = `${Labels.RestoreName}=${validLabelValue(restore.metadata.name ?? '')}`;
  for await (const pvr of cluster.list(veleroListType(Kinds.PodVolumeRestore), { namespace, labelSelector })) {
    out.push(pvr);
  }
  return out;
}

export function restoreDescribeCommand() {
  return downloadTlsOptions(
    new Command('describe')
      .description('Describe restores')
      .argument('[names...]', 'restores to describe (default: all)')
      .option('-l, --selector <selector>', 'only restores whose labels match this selector')
      .option(
        '--details',
        'also show the warnings, errors, the resource list and each pod volume restore (needs a running server)',
      )
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
  skiff restore describe web-daily-20250131140509
  skiff restore describe web-daily-20250131140509 --details`,
    )
    .action(async (names, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const { output, details } = describeOptions(flags);
      const cluster = ctx.cluster();
      const restores = newestFirst(
        await getNamedOrSelected<Restore>(cluster, Kinds.Restore, ctx.namespace, names, flags.selector),
      );
      if (output) {
        process.stdout.write(formatObjects(restores, output, names.length !== 1));
        return;
      }
      const texts: string[] = [];
      for (const r of restores) {
        const fetched = details ? await fetchDetails(cluster, ctx.namespace, r, details) : undefined;
        texts.push(describeRestore(r, fetched, await podVolumeRestoresOf(cluster, ctx.namespace, r)));
      }
      process.stdout.write(texts.join('\n\n'));
    });
}
