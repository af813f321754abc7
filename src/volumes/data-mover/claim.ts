/**
 * One node agent takes a new DataUpload or DataDownload (reference §7.4 step 2): every agent sees it, the
 * first status write wins. The write carries the `resourceVersion` the agent saw, so the API server refuses
 * (409 Conflict) every later writer; they leave the object to the winner.
 */
import { DataPathPhase } from '../../api/index.ts';
import { isConflict, type Cluster, type KubeObject, type ResourceRef } from '../../kube/index.ts';

/** The status a claim writes. Pure. */
export function acceptedStatus(node: string, now: string): Record<string, string> {
  return { phase: DataPathPhase.Accepted, acceptedByNode: node, acceptedTimestamp: now };
}

/**
 * Claims `obj` (as last seen, phase New or empty) for `node`. Returns the accepted object, or undefined when
 * another agent (or anyone) changed it first.
 */
export async function claimDataMover(
  cluster: Cluster,
  ref: ResourceRef,
  obj: KubeObject,
  node: string,
  now: string,
): Promise<KubeObject | undefined> {
  const phase = (obj.status as { phase?: string } | undefined)?.phase ?? '';
  if (phase !== '' && phase !== DataPathPhase.New) return undefined;
  try {
    return await cluster.patch(
      ref,
      { name: obj.metadata.name ?? '', namespace: obj.metadata.namespace, subresource: 'status' },
      'merge',
      { metadata: { resourceVersion: obj.metadata.resourceVersion }, status: acceptedStatus(node, now) },
    );
  } catch (err) {
    if (isConflict(err)) return undefined;
    throw err;
  }
}
