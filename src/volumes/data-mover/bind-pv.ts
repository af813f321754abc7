/**
 * Hands the volume a DataDownload filled over to the user's claim (reference §7.5 step 5,
 * DATAMOVER-CONTRACT "Restore side"): the PV is made Retain so that deleting the mover's claim
 * keeps it, the mover's pod and claim go, the PV is pre-bound to the user's claim (claimRef
 * without uid) and labelled with the claim's `velero.io/dynamic-pv-restore` selector, the PV
 * controller binds them, and the PV gets its reclaim policy back. Deciding the PV's new binding
 * is pure (`reboundVolumePatch`); `handOverVolume` does it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Labels } from '../../api/labels.ts';
import type { Cluster, KubeObject } from '../../kube/index.ts';
import { deleteMover, PVCS, PVS } from './mover-pod.ts';

/** The user's claim a restored volume goes to. */
export interface TargetClaim {
  namespace: string;
  name: string;
}

/** The selector labels the user's claim asks its PV to carry (its dynamic-restore label, reference §7.5). */
export function claimSelectorLabels(pvc: KubeObject | undefined): Record<string, string> {
  const matchLabels = (pvc?.spec as { selector?: { matchLabels?: Record<string, unknown> } } | undefined)?.selector
    ?.matchLabels;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(matchLabels ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * The JSON patch that pre-binds `pv` to the target claim: claimRef names only the claim (no uid,
 * so the PV controller binds it to the claim of that name), and the PV carries the claim's
 * selector labels. Throws when the claim has no dynamic-restore label: without it the claim
 * was not restored for a DataDownload and could bind to any volume.
 */
export function reboundVolumePatch(pv: KubeObject, target: TargetClaim, selector: Record<string, string>): unknown[] {
  if (!selector[Labels.DynamicPVRestore]) {
    throw new Error(
      `claim ${target.namespace}/${target.name} has no ${Labels.DynamicPVRestore} selector label: it was not restored for a data download`,
    );
  }
  const labels = { ...(pv.metadata.labels ?? {}), ...selector };
  return [
    { op: 'add', path: '/metadata/labels', value: labels },
    {
      op: 'add',
      path: '/spec/claimRef',
      value: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: target.namespace, name: target.name },
    },
  ];
}

function reclaimPolicyOf(pv: KubeObject): string {
  return (pv.spec as { persistentVolumeReclaimPolicy?: string } | undefined)?.persistentVolumeReclaimPolicy ?? 'Delete';
}

async function setReclaimPolicy(cluster: Cluster, pv: string, policy: string): Promise<void> {
  await cluster.patch(PVS, { name: pv }, 'merge', { spec: { persistentVolumeReclaimPolicy: policy } });
}

export interface HandOverInput {
  /** The mover's pod and claim (server namespace, the DataDownload's name). */
  mover: { namespace: string; name: string };
  pvName: string;
  target: TargetClaim;
  /** How long to wait for the mover's objects to go and for the PV to bind. */
  timeoutMs: number;
  signal?: AbortSignal;
  pollMs?: number;
}

/**
 * Moves the PV from the mover's claim to the target claim and waits until they are bound; the PV
 * ends with the reclaim policy it was provisioned with.
 */
export async function handOverVolume(cluster: Cluster, input: HandOverInput): Promise<void> {
  const { target, pvName } = input;
  const deadline = Date.now() + input.timeoutMs;
  const pv = await cluster.get(PVS, pvName);
  const policy = reclaimPolicyOf(pv);
  if (policy !== 'Retain') await setReclaimPolicy(cluster, pvName, 'Retain');
  if (!(await deleteMover(cluster, input.mover, input.timeoutMs))) {
    throw new Error(`the data mover's pod and claim ${input.mover.namespace}/${input.mover.name} did not go`);
  }
  const claim = await cluster.find(PVCS, target.name, target.namespace);
  if (!claim) throw new Error(`claim ${target.namespace}/${target.name} is gone`);
  const released = await cluster.get(PVS, pvName);
  await cluster.patch(PVS, { name: pvName }, 'json', reboundVolumePatch(released, target, claimSelectorLabels(claim)));
  for (;;) {
    input.signal?.throwIfAborted();
    const now = await cluster.get(PVS, pvName);
    const phase = (now.status as { phase?: string } | undefined)?.phase;
    const uid = (now.spec as { claimRef?: { uid?: string } } | undefined)?.claimRef?.uid;
    if (phase === 'Bound' && uid === claim.metadata.uid) break;
    if (Date.now() >= deadline) {
      throw new Error(
        `PersistentVolume ${pvName} did not bind to claim ${target.namespace}/${target.name} (phase ${phase ?? 'unknown'})`,
      );
    }
    await sleep(input.pollMs ?? 500, undefined, input.signal ? { signal: input.signal } : {});
  }
  if (policy !== 'Retain') await setReclaimPolicy(cluster, pvName, policy);
}
