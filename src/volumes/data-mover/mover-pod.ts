/**
 * The data mover's claim and pod (reference §7.4 step 1, §7.5; DATAMOVER-CONTRACT "Shared code"): in the
 * server namespace, a PVC (from a snapshot for a backup, empty for a restore) and a pod mounting it, so that
 * the cluster provisions the volume and the kubelet of the node the pod lands on mounts it. The node agent of
 * that node then reads or writes the volume's directory under its host root. Both objects are owned by the
 * DataUpload or DataDownload (garbage-collected with it) and labelled `skiff.io/data-mover=<owner>`.
 *
 * `moverObjects` decides (pure); `createMover`, `waitForMoverPlacement`, `moverVolumeDir` and `deleteMover` do.
 */
import { isAlreadyExists, waitForObject, type Cluster, type KubeObject, type ResourceType } from '../../kube/index.ts';
import { validLabelValue } from '../../util/label-value.ts';
import { waitForMountPoint } from '../node-agent/mount-point.ts';
import { getPod, volumePathOf, type HostLayout } from '../node-agent/pod-volume.ts';

/** `=<DataUpload or DataDownload name>` on the mover's PVC and pod. */
export const DATA_MOVER_LABEL = 'skiff.io/data-mover';
/** The mover pod's only volume (and mount). */
export const MOVER_VOLUME = 'data';

const core = (resource: string, kind: string, namespaced = true): ResourceType => ({
  group: '',
  version: 'v1',
  resource,
  kind,
  namespaced,
  verbs: [],
});
export const PODS = core('pods', 'Pod');
export const PVCS = core('persistentvolumeclaims', 'PersistentVolumeClaim');
export const PVS = core('persistentvolumes', 'PersistentVolume', false);
const EVENTS = core('events', 'Event');

/** The node a claim of a WaitForFirstConsumer class is to be provisioned for (set by kube-scheduler, or by us). */
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';

/** The claim the mover provisions. */
export interface MoverVolumeSpec {
  storageClassName: string;
  /** Requested size, a quantity (`1Gi`, `268435456`). */
  size: string;
  /** Default `["ReadWriteOnce"]`. */
  accessModes?: string[] | undefined;
  volumeMode?: string | undefined;
  /** e.g. `{ apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name }` for a backup. */
  dataSource?: { apiGroup?: string; kind: string; name: string } | undefined;
  /** Mount the volume read-only in the pod (a backup only reads it). */
  readOnly?: boolean | undefined;
}

/** The object the mover works for: its claim and pod are named after it and owned by it. */
export interface MoverOwner {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

export interface MoverRequest {
  /** The server namespace. */
  namespace: string;
  owner: MoverOwner;
  volume: MoverVolumeSpec;
  /**
   * Node selector terms the pod must satisfy (`requiredDuringScheduling…`), e.g. the source PV's
   * `spec.nodeAffinity.required.nodeSelectorTerms`: a snapshot of node-local storage can only be provisioned
   * on the node that holds it, so the scheduler must put the pod there.
   */
  nodeSelectorTerms?: unknown[] | undefined;
  /**
   * The node to provision the claim for (`volume.kubernetes.io/selected-node`), when the caller knows one that
   * the volume can be used on: the provisioner then starts at once, and the pod is created once the claim is
   * bound, so kube-scheduler need not bind the claim itself (it checks such a binding once a second).
   */
  selectedNode?: string | undefined;
  /** Extra labels on both objects (e.g. `velero.io/data-upload=<du>`). */
  labels?: Record<string, string> | undefined;
  /** Image of the pod's container; a node agent never runs it (the agent reads the mounted directory). */
  image?: string | undefined;
}

/** Where the mover's volume landed. */
export interface MoverPlacement {
  node: string;
  podUid: string;
  pvName: string;
}

/** … and its directory under the node's host root, as the node agent of that node resolves it. */
export interface MoverVolume extends MoverPlacement {
  dir: string;
}

/** The name of the mover's claim and pod: the owner's name. */
export function moverName(owner: { name: string }): string {
  return owner.name;
}

/** The mover's PVC and pod. Pure. */
export function moverObjects(req: MoverRequest): { pvc: KubeObject; pod: KubeObject } {
  const name = moverName(req.owner);
  const labels = { ...(req.labels ?? {}), [DATA_MOVER_LABEL]: validLabelValue(req.owner.name) };
  const ownerReferences = [
    {
      apiVersion: req.owner.apiVersion,
      kind: req.owner.kind,
      name: req.owner.name,
      uid: req.owner.uid,
      controller: true,
    },
  ];
  const v = req.volume;
  const pvc: KubeObject = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name,
      namespace: req.namespace,
      labels,
      ownerReferences,
      ...(req.selectedNode ? { annotations: { [SELECTED_NODE_ANNOTATION]: req.selectedNode } } : {}),
    },
    spec: {
      storageClassName: v.storageClassName,
      accessModes: v.accessModes && v.accessModes.length > 0 ? v.accessModes : ['ReadWriteOnce'],
      resources: { requests: { storage: v.size } },
      ...(v.volumeMode ? { volumeMode: v.volumeMode } : {}),
      ...(v.dataSource ? { dataSource: v.dataSource } : {}),
    },
  };
  const terms = req.nodeSelectorTerms ?? [];
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: req.namespace, labels, ownerReferences },
    spec: {
      restartPolicy: 'Never',
      ...(terms.length > 0
        ? {
            affinity: {
              nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
            },
          }
        : {}),
      containers: [
        {
          name: 'data-mover',
          image: req.image ?? 'skiff-data-mover',
          volumeMounts: [{ name: MOVER_VOLUME, mountPath: '/data', ...(v.readOnly ? { readOnly: true } : {}) }],
        },
      ],
      volumes: [
        { name: MOVER_VOLUME, persistentVolumeClaim: { claimName: name, ...(v.readOnly ? { readOnly: true } : {}) } },
      ],
    },
  };
  return { pvc, pod };
}

/**
 * Creates the mover's PVC and pod; objects already there (a retry) are kept. With a selected node, the pod is
 * created only once the claim is bound (or its provisioner gave that node up, removing the annotation, or
 * `opts.timeoutMs` passed), so the scheduler finds it bound and places the pod at once.
 */
export async function createMover(cluster: Cluster, req: MoverRequest, opts?: WaitOptions): Promise<void> {
  const { pvc, pod } = moverObjects(req);
  await createIfMissing(cluster, PVCS, pvc);
  if (req.selectedNode && opts) {
    const ref = { namespace: req.namespace, name: moverName(req.owner) };
    // Not settled in time: the pod is made anyway, and the placement wait names what the cluster says.
    await waitForObject(cluster, PVCS, ref, (obj) => (!obj || pinnedClaimSettled(obj) ? true : undefined), opts);
  }
  await createIfMissing(cluster, PODS, pod);
}

/**
 * Whether a mover claim made with a selected node needs no more waiting before its pod is made: it is bound, or
 * its provisioner removed the annotation (it cannot provision there: the scheduler is to choose). Pure.
 */
export function pinnedClaimSettled(pvc: KubeObject): boolean {
  const phase = (pvc.status as { phase?: string } | undefined)?.phase;
  return phase === 'Bound' || !pvc.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
}

async function createIfMissing(cluster: Cluster, rt: ResourceType, obj: KubeObject): Promise<void> {
  try {
    await cluster.create(rt, obj);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

export interface WaitOptions {
  signal?: AbortSignal | undefined;
  /** Give up after this long, naming what the cluster said (provisioning errors, scheduling). */
  timeoutMs: number;
  /** When the wait for the volume began (epoch ms), if before this call: the error says how long it has been. */
  since?: number | undefined;
}

/**
 * Waits (watching) until the mover's pod is scheduled and its claim bound; returns the node, the pod's UID and
 * the PV. On timeout (or when the pod or claim is gone) throws with the latest reason the cluster gave (a
 * ProvisioningFailed event of the claim, the pod's scheduling message).
 */
export async function waitForMoverPlacement(
  cluster: Cluster,
  ref: { namespace: string; name: string },
  opts: WaitOptions,
): Promise<MoverPlacement> {
  const deadline = Date.now() + opts.timeoutMs;
  const waitedMs = (): number => Date.now() - (opts.since ?? deadline - opts.timeoutMs);
  const gone = (what: string): Error => new Error(`the data mover's ${what} ${ref.namespace}/${ref.name} is gone`);
  const wait = (rt: ResourceType, done: (obj: KubeObject) => boolean): Promise<KubeObject | null | undefined> =>
    waitForObject(cluster, rt, ref, (obj) => (!obj ? null : done(obj) ? obj : undefined), {
      timeoutMs: Math.max(0, deadline - Date.now()),
      signal: opts.signal,
    });
  // The claim of a WaitForFirstConsumer class binds once the pod is scheduled: wait for the pod first.
  const pod = await wait(PODS, (p) => Boolean((p.spec as { nodeName?: string } | undefined)?.nodeName));
  if (pod === null) throw gone('pod');
  const pvc = pod
    ? await wait(PVCS, (c) => {
        const pvName = (c.spec as { volumeName?: string } | undefined)?.volumeName;
        return Boolean(pvName) && (c.status as { phase?: string } | undefined)?.phase === 'Bound';
      })
    : undefined;
  if (pvc === null) throw gone('claim');
  if (pod && pvc) {
    return {
      node: (pod.spec as { nodeName: string }).nodeName,
      podUid: pod.metadata.uid ?? '',
      pvName: (pvc.spec as { volumeName: string }).volumeName,
    };
  }
  const [lastPod, lastPvc] = await Promise.all([
    cluster.find(PODS, ref.name, ref.namespace),
    cluster.find(PVCS, ref.name, ref.namespace),
  ]);
  const pvName = (lastPvc?.spec as { volumeName?: string } | undefined)?.volumeName;
  const why = lastPod ? await pendingReason(cluster, ref, lastPod) : '';
  throw new Error(
    `the data mover's volume ${ref.namespace}/${ref.name} was not ${pvName ? 'mounted' : 'provisioned'} within ` +
      `${Math.round(waitedMs() / 1000)}s${why ? `: ${why}` : ''}`,
  );
}

/** The latest reason the cluster gives for a pending mover: the claim's newest warning event, else the pod's. */
async function pendingReason(
  cluster: Cluster,
  ref: { namespace: string; name: string },
  pod: KubeObject,
): Promise<string> {
  const warnings: { time: string; message: string }[] = [];
  try {
    for await (const e of cluster.list(EVENTS, { namespace: ref.namespace })) {
      const ev = e as KubeObject & {
        involvedObject?: { name?: string; kind?: string };
        type?: string;
        message?: string;
        reason?: string;
        lastTimestamp?: string;
        eventTime?: string;
      };
      if (ev.involvedObject?.name !== ref.name || ev.type !== 'Warning') continue;
      warnings.push({
        time: ev.lastTimestamp ?? ev.eventTime ?? '',
        message: `${ev.involvedObject.kind ?? ''} ${ev.reason ?? ''}: ${ev.message ?? ''}`.trim(),
      });
    }
  } catch {
    // Events are a hint only.
  }
  warnings.sort((a, b) => a.time.localeCompare(b.time));
  const last = warnings.at(-1)?.message;
  if (last) return last;
  const status = pod.status as { conditions?: { type?: string; status?: string; message?: string }[] } | undefined;
  const conditions = status?.conditions;
  return conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')?.message ?? '';
}

/** How long the mover volume's folder may exist before the CSI driver has mounted it. */
const MOUNT_WAIT_MS = 60_000;

/**
 * The mover volume's directory on this node (the caller is the node agent of `placement.node`), resolved as
 * for any pod volume (pod-volume.ts), once the CSI driver has mounted the volume there.
 */
export async function moverVolumeDir(
  cluster: Cluster,
  host: HostLayout,
  ref: { namespace: string; name: string },
  placement: MoverPlacement,
  signal?: AbortSignal,
): Promise<MoverVolume> {
  const pod = await getPod(cluster, { namespace: ref.namespace, name: ref.name, uid: placement.podUid });
  const { path } = await volumePathOf(cluster, host, pod, MOVER_VOLUME, signal);
  await waitForMountPoint(path, MOUNT_WAIT_MS, signal);
  return { ...placement, dir: path };
}

/**
 * `waitForMoverPlacement` then `moverVolumeDir`, for a caller that can see every node's root (`hostOf`), or
 * that is the node agent the pod landed on.
 */
export async function waitForMoverVolume(
  cluster: Cluster,
  hostOf: (node: string) => HostLayout,
  ref: { namespace: string; name: string },
  opts: WaitOptions,
): Promise<MoverVolume> {
  const placement = await waitForMoverPlacement(cluster, ref, opts);
  return moverVolumeDir(cluster, hostOf(placement.node), ref, placement, opts.signal);
}

/**
 * Deletes the mover's pod and claim (idempotent). With `waitMs`, waits until both are gone (the claim waits
 * for the pod because of its protection finalizer) and returns whether they are.
 */
export async function deleteMover(
  cluster: Cluster,
  ref: { namespace: string; name: string },
  waitMs = 0,
): Promise<boolean> {
  await Promise.all([cluster.delete(PODS, ref.name, ref.namespace), cluster.delete(PVCS, ref.name, ref.namespace)]);
  return moverGone(cluster, ref, waitMs);
}

/** Waits up to `waitMs` until the mover's pod and claim are gone; returns whether they are. */
export async function moverGone(
  cluster: Cluster,
  ref: { namespace: string; name: string },
  waitMs: number,
): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (const rt of [PODS, PVCS]) {
    const gone = await waitForObject(cluster, rt, ref, (obj) => (obj ? undefined : true), {
      timeoutMs: Math.max(0, deadline - Date.now()),
    });
    if (!gone) return false;
  }
  return true;
}
