/**
 * What the in-cluster server runs with, read from the args of the Deployment `skiff install`
 * created. A client-side dry run plans as the server would: with EnableAPIGroupVersions a
 * restore may pick another version of a resource, and a backup reads the server's volume defaults.
 */
import { UploaderType } from '../api/index.ts';
import { Names } from '../api/labels.ts';
import type { DryRunVolumeDefaults } from '../backup/volumes/dry-run.ts';
import type { Cluster } from '../kube/cluster.ts';
import { parseOptionalBool, splitList } from './flags.ts';
import { INSTALL_REFS } from './install/object-refs.ts';

/** `--features=a,b` or `--features a,b` in a container's args (pure). */
export function featuresInArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  args.forEach((arg, i) => {
    if (arg.startsWith('--features=')) out.push(...(splitList([arg.slice('--features='.length)]) ?? []));
    else if (arg === '--features' && args[i + 1] !== undefined) out.push(...(splitList([args[i + 1] ?? '']) ?? []));
  });
  return out;
}

/**
 * The value of `flag` in args (pure): `--flag=v`, `--flag v`, or a bare `--flag` (`true`, for a
 * boolean flag followed by another flag or nothing). The last one wins, as on a command line.
 */
export function flagInArgs(args: readonly string[], flag: string): string | undefined {
  let value: string | undefined;
  args.forEach((arg, i) => {
    if (arg.startsWith(`${flag}=`)) value = arg.slice(flag.length + 1);
    else if (arg === flag) {
      const next = args[i + 1];
      value = next === undefined || next.startsWith('-') ? 'true' : next;
    }
  });
  return value;
}

/** The args of the server Deployment's containers, or undefined when there is no such Deployment (a server run by hand). */
export async function serverDeploymentArgs(cluster: Cluster, namespace: string): Promise<string[] | undefined> {
  const deployment = await cluster.find(INSTALL_REFS.Deployment, Names.Deployment, namespace);
  if (!deployment) return undefined;
  const containers =
    (deployment.spec as { template?: { spec?: { containers?: { args?: string[] }[] } } } | undefined)?.template?.spec
      ?.containers ?? [];
  return containers.flatMap((c) => c.args ?? []);
}

/** The server Deployment's features, or undefined when there is no such Deployment (a server run by hand). */
export async function serverFeatures(cluster: Cluster, namespace: string): Promise<string[] | undefined> {
  const args = await serverDeploymentArgs(cluster, namespace);
  return args && featuresInArgs(args);
}

/**
 * The server's `--default-volumes-to-fs-backup` and `--uploader-type`, as the Deployment runs
 * it; undefined without a Deployment (a server run by hand), whose defaults are not known.
 */
export async function serverVolumeDefaults(
  cluster: Cluster,
  namespace: string,
): Promise<DryRunVolumeDefaults | undefined> {
  const args = await serverDeploymentArgs(cluster, namespace);
  if (!args) return undefined;
  const uploader = flagInArgs(args, '--uploader-type');
  return {
    // A value the server would refuse keeps it from starting: nothing to plan for then.
    defaultVolumesToFsBackup: parseOptionalBoolOr(flagInArgs(args, '--default-volumes-to-fs-backup'), false),
    uploaderType: uploader === UploaderType.Restic ? UploaderType.Restic : UploaderType.Kopia,
  };
}

function parseOptionalBoolOr(value: string | undefined, fallback: boolean): boolean {
  try {
    return parseOptionalBool(value, '') ?? fallback;
  } catch {
    return fallback;
  }
}
