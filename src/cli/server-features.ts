/**
 * The features the in-cluster server runs with, read from the args of the Deployment
 * `skiff install` created. A client-side dry run plans as the server would: with
 * EnableAPIGroupVersions a restore may pick another version of a resource.
 */
import { Names } from '../api/labels.ts';
import type { Cluster } from '../kube/cluster.ts';
import { splitList } from './flags.ts';
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

/** The server Deployment's features, or undefined when there is no such Deployment (a server run by hand). */
export async function serverFeatures(cluster: Cluster, namespace: string): Promise<string[] | undefined> {
  const deployment = await cluster.find(INSTALL_REFS.Deployment, Names.Deployment, namespace);
  if (!deployment) return undefined;
  const containers =
    (deployment.spec as { template?: { spec?: { containers?: { args?: string[] }[] } } } | undefined)?.template?.spec
      ?.containers ?? [];
  return containers.flatMap((c) => featuresInArgs(c.args ?? []));
}
