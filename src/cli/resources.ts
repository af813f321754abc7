/** Reading velero.io objects of the server namespace, for listings and lookups. */
import { resourceRef, type KindInfo } from '../api/kinds.ts';
import type { Cluster } from '../kube/cluster.ts';
import { KubeApiError } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceType } from '../kube/resource.ts';
import { FlagError } from './errors.ts';

/** A velero.io kind as the list helper wants it; no discovery needed, the CRDs are ours. */
export function veleroType(kind: KindInfo): ResourceType {
  return { ...resourceRef(kind), kind: kind.kind, namespaced: true, verbs: ['list'] };
}

export async function listVelero<T extends KubeObject>(
  cluster: Cluster,
  kind: KindInfo,
  namespace: string,
  labelSelector?: string,
): Promise<T[]> {
  const out: T[] = [];
  const opts = { namespace, ...(labelSelector ? { labelSelector } : {}) };
  for await (const obj of cluster.list(veleroType(kind), opts)) out.push(obj as T);
  return out;
}

/**
 * One velero.io object, or undefined when it does not exist. Unlike `Cluster.find`, a kind the
 * API server does not serve (the CRDs are not installed yet) is an error, which the CLI turns
 * into "install Skiff first" (missing-kind.ts) instead of a misleading "not found".
 */
export async function findVelero<T extends KubeObject = KubeObject>(
  cluster: Cluster,
  kind: KindInfo,
  name: string,
  namespace: string,
): Promise<T | undefined> {
  try {
    return (await cluster.get(resourceRef(kind), name, namespace)) as T;
  } catch (err) {
    if (err instanceof KubeApiError && err.notFound && !err.typeNotServed) return undefined;
    throw err;
  }
}

/** Named objects, or all matching a selector; a missing name is an error naming the namespace. */
export async function getNamedOrSelected<T extends KubeObject>(
  cluster: Cluster,
  kind: KindInfo,
  namespace: string,
  names: readonly string[],
  selector?: string,
): Promise<T[]> {
  if (names.length === 0) return listVelero<T>(cluster, kind, namespace, selector);
  const out: T[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const obj = await findVelero(cluster, kind, name, namespace);
    if (obj) out.push(obj as T);
    else missing.push(name);
  }
  if (missing.length > 0) {
    throw new FlagError(missing.map((n) => `${kind.singular} ${n} not found in namespace ${namespace}`));
  }
  return out;
}

/** Newest first, as Velero lists backups. */
export function newestFirst<T extends KubeObject>(objects: readonly T[]): T[] {
  return [...objects].sort((a, b) =>
    (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
  );
}
