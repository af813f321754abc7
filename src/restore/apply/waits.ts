import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeObject } from '../../kube/object.ts';
import type { ResourceRef } from '../../kube/resource.ts';
import { asArray, asRecord, getPath } from '../actions/types.ts';
import type { RestoreTargetCluster } from './target-cluster.ts';

export interface WaitOptions {
  timeoutMs: number;
  pollMs: number;
}

/** Polls `check` until it returns true; false when the time is up. Errors from `check` count as "not yet". */
export async function pollUntil(check: () => Promise<boolean>, opts: WaitOptions): Promise<boolean> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(opts.pollMs);
  }
}

export function crdEstablished(crd: KubeObject | undefined): boolean {
  return asArray(getPath(crd, 'status', 'conditions')).some((c) => {
    const cond = asRecord(c);
    return cond?.type === 'Established' && cond.status === 'True';
  });
}

/** Reference §4.2 pass 1: each created CRD is waited for until Established (poll 1 s, up to the resource timeout). */
export function waitForCrd(
  cluster: RestoreTargetCluster,
  type: ResourceRef,
  name: string,
  opts: WaitOptions,
): Promise<boolean> {
  return pollUntil(async () => crdEstablished(await cluster.find(type, name)), opts);
}

export function waitForGone(
  cluster: RestoreTargetCluster,
  type: ResourceRef,
  name: string,
  opts: WaitOptions,
): Promise<boolean> {
  return pollUntil(async () => (await cluster.find(type, name)) === undefined, opts);
}

export function waitForNamespaceActive(
  cluster: RestoreTargetCluster,
  type: ResourceRef,
  name: string,
  opts: WaitOptions,
): Promise<boolean> {
  return pollUntil(async () => getPath(await cluster.find(type, name), 'status', 'phase') === 'Active', opts);
}
