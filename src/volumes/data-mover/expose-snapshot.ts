/**
 * Exposing a DataUpload's CSI snapshot to the data mover (reference §7.4 step 1): a claim cannot use another
 * namespace's VolumeSnapshot, so the snapshot is cloned into the server namespace (a static content with the
 * same storage snapshot handle, deletionPolicy Retain, and a VolumeSnapshot bound to it), then a claim is made
 * from the clone with a pod mounting it read-only (mover-pod.ts), placed where the source volume could be used,
 * as the source PV's node affinity says. `unexposeSnapshot` removes all of it and never the storage snapshot.
 */
import type { DataUpload } from '../../api/index.ts';
import { isAlreadyExists, waitForObject, type Cluster, type KubeObject } from '../../kube/index.ts';
import {
  SNAPSHOT_GROUP,
  VOLUME_SNAPSHOT_CONTENTS,
  VOLUME_SNAPSHOTS,
  vscView,
  vsView,
} from '../csi/snapshot-objects.ts';
import {
  createMover,
  deleteMover,
  moverGone,
  PVCS,
  PVS,
  waitForMoverPlacement,
  type MoverPlacement,
} from './mover-pod.ts';
import { parseQuantity } from '../policy/quantity.ts';
import { nodeMatches } from './claim-preference.ts';
import { cloneSnapshotObjects } from './upload-objects.ts';

export interface ExposeOptions {
  signal?: AbortSignal | undefined;
  /** The DataUpload's `operationTimeout`: how long the snapshot may take to be usable by the mover. */
  timeoutMs: number;
  /**
   * The exposing agent's node: when the source volume can be used there (the source PV's node affinity), the
   * mover's claim is provisioned for it at once (`selectedNode`, mover-pod.ts) and the pod lands there, so
   * this agent, already connected to the repository, uploads.
   */
  node?: string | undefined;
  /** Told each step as it is done (the agent logs them at debug level: where the seconds before kopia go). */
  step?: ((what: string) => void) | undefined;
}

/** Clones the snapshot, creates the mover's claim and pod, and waits until they are placed and bound. */
export async function exposeSnapshot(cluster: Cluster, du: DataUpload, opts: ExposeOptions): Promise<MoverPlacement> {
  const deadline = Date.now() + opts.timeoutMs;
  const namespace = du.metadata.namespace ?? '';
  const name = du.metadata.name ?? '';
  const srcNs = du.spec.sourceNamespace;
  const vsName = du.spec.csiSnapshot?.volumeSnapshot ?? '';
  const vs = await cluster.find(VOLUME_SNAPSHOTS, vsName, srcNs);
  if (!vs) throw new Error(`VolumeSnapshot ${srcNs}/${vsName} not found`);
  const contentName = vsView(vs).status?.boundVolumeSnapshotContentName ?? '';
  const vsc = contentName ? await cluster.find(VOLUME_SNAPSHOT_CONTENTS, contentName) : undefined;
  if (!vsc) throw new Error(`VolumeSnapshot ${srcNs}/${vsName} has no VolumeSnapshotContent`);
  const clone = cloneSnapshotObjects({ name, namespace, uid: du.metadata.uid ?? '' }, { vs, vsc });
  await createIfMissing(cluster, VOLUME_SNAPSHOT_CONTENTS, clone.vsc);
  await createIfMissing(cluster, VOLUME_SNAPSHOTS, clone.vs);
  const step = opts.step ?? ((): void => undefined);
  step('clone created');
  // What the mover's claim needs is read while the clone becomes ready.
  const reading = sourceClaim(cluster, srcNs, du.spec.sourcePVC).then(async (claim) => ({
    claim,
    selectedNode:
      opts.node && (await nodeMatches(cluster, opts.node, claim.nodeSelectorTerms, false)) ? opts.node : undefined,
  }));
  reading.catch(() => undefined);
  await waitCloneReady(cluster, namespace, name, deadline, opts.signal);
  step('clone ready');
  const { claim: source, selectedNode } = await reading;
  step('source claim read');
  const size = snapshotSize(vs, vsc, source.requested);
  const wait = { signal: opts.signal, timeoutMs: Math.max(1000, deadline - Date.now()), since: Date.now() };
  await createMover(
    cluster,
    {
      namespace,
      owner: { apiVersion: 'velero.io/v2alpha1', kind: 'DataUpload', name, uid: du.metadata.uid ?? '' },
      volume: {
        storageClassName: du.spec.csiSnapshot?.storageClass ?? '',
        size: biggest(size, source.requested),
        accessModes: source.accessModes,
        volumeMode: source.volumeMode,
        dataSource: { apiGroup: SNAPSHOT_GROUP, kind: 'VolumeSnapshot', name },
        readOnly: true,
      },
      nodeSelectorTerms: source.nodeSelectorTerms,
      selectedNode,
      labels: { 'velero.io/data-upload': name },
    },
    wait,
  );
  step(selectedNode ? 'mover claim bound, pod created' : 'mover claim and pod created');
  const placement = await waitForMoverPlacement(
    cluster,
    { namespace, name },
    { ...wait, timeoutMs: Math.max(1000, deadline - Date.now()) },
  );
  step('mover pod placed');
  return placement;
}

/**
 * Removes the mover's pod and claim, the cloned VolumeSnapshot and its content (Retain: the storage snapshot
 * stays). The deletions are asked for at once; with `waitMs`, it then waits until the pod and claim are gone (the
 * claim waits for the pod, the kwok kubelet and the PV controller's finalizer) and returns whether they are.
 */
export async function unexposeSnapshot(
  cluster: Cluster,
  du: { namespace: string; name: string },
  waitMs = 0,
): Promise<boolean> {
  // Independent requests, sent together: this is on the way from kopia's end to the DataUpload's Completed.
  const clone = async (): Promise<void> => {
    const vs = await cluster.find(VOLUME_SNAPSHOTS, du.name, du.namespace);
    const content = vsView(vs).spec?.source?.volumeSnapshotContentName;
    await cluster.delete(VOLUME_SNAPSHOTS, du.name, du.namespace);
    if (content) await cluster.delete(VOLUME_SNAPSHOT_CONTENTS, content);
  };
  // The content may not be bound yet when the VolumeSnapshot went: find it by its label too.
  const labelled = async (): Promise<void> => {
    for await (const c of cluster.list(
      { ...VOLUME_SNAPSHOT_CONTENTS, kind: 'VolumeSnapshotContent', namespaced: false, verbs: [] },
      { labelSelector: `skiff.io/data-mover=${du.name}` },
    )) {
      if (vscView(c).spec?.volumeSnapshotRef?.namespace === du.namespace) {
        await cluster.delete(VOLUME_SNAPSHOT_CONTENTS, c.metadata.name ?? '');
      }
    }
  };
  await Promise.all([deleteMover(cluster, du), clone(), labelled()]);
  return waitMs > 0 ? moverGone(cluster, du, waitMs) : false;
}

interface SourceClaim {
  requested?: string | undefined;
  accessModes?: string[] | undefined;
  volumeMode?: string | undefined;
  /** The source PV's required node affinity: where a volume from its snapshot can be provisioned. */
  nodeSelectorTerms?: unknown[] | undefined;
}

async function sourceClaim(cluster: Cluster, namespace: string, name: string): Promise<SourceClaim> {
  const pvc = await cluster.find(PVCS, name, namespace);
  const spec = (pvc?.spec ?? {}) as {
    volumeName?: string;
    accessModes?: string[];
    volumeMode?: string;
    resources?: { requests?: { storage?: string } };
  };
  const pv = spec.volumeName ? await cluster.find(PVS, spec.volumeName) : undefined;
  const pvSpec = (pv?.spec ?? {}) as { nodeAffinity?: { required?: { nodeSelectorTerms?: unknown[] } } };
  return {
    requested: spec.resources?.requests?.storage,
    accessModes: spec.accessModes,
    volumeMode: spec.volumeMode,
    nodeSelectorTerms: pvSpec.nodeAffinity?.required?.nodeSelectorTerms,
  };
}

async function createIfMissing(cluster: Cluster, rt: typeof VOLUME_SNAPSHOTS, obj: KubeObject): Promise<void> {
  try {
    await cluster.create(rt, obj);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

async function waitCloneReady(
  cluster: Cluster,
  namespace: string,
  name: string,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  let last = '';
  const ready = await waitForObject(
    cluster,
    VOLUME_SNAPSHOTS,
    { name, namespace },
    (obj) => {
      const vs = vsView(obj);
      last = vs.status?.error?.message ?? last;
      return vs.status?.readyToUse === true ? true : undefined;
    },
    { timeoutMs: Math.max(0, deadline - Date.now()), signal },
  );
  if (!ready) {
    throw new Error(`the clone ${namespace}/${name} of the snapshot was not ready in time${last ? `: ${last}` : ''}`);
  }
}

/** The snapshot's size as the VolumeSnapshot, else its content, else the source claim says. */
function snapshotSize(vs: KubeObject, vsc: KubeObject, requested: string | undefined): string {
  return vsView(vs).status?.restoreSize ?? String(vscView(vsc).status?.restoreSize ?? requested ?? '1Gi');
}

/** The larger of two quantities (a claim from a snapshot asks for at least the snapshot's size). */
function biggest(a: string, b: string | undefined): string {
  if (!b) return a;
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  return x !== undefined && y !== undefined && y > x ? b : a;
}
