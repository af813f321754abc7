/**
 * Installs or updates the velero.io CRDs in a cluster and waits until the API
 * server serves them. Callers that use the new kinds right after should
 * refresh discovery (`cluster.discover(true)`).
 */
import type { Cluster } from '../kube/cluster.ts';
import { isRecord, type KubeObject } from '../kube/object.ts';
import type { ResourceRef } from '../kube/resource.ts';
import { SkiffError } from '../util/errors.ts';
import { buildAllCrds } from './all-crds.ts';

export const CRD_RESOURCE: ResourceRef = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  resource: 'customresourcedefinitions',
};

/** The verbs installCrds needs; a `Cluster` has them, and tests pass a fake. */
export type CrdCluster = Pick<Cluster, 'find' | 'patch'>;

export interface InstallCrdsOptions {
  /** Ask the API server to validate the writes without persisting them; does not wait for Established. */
  dryRun?: boolean;
  /** How long to wait for each CRD to become Established. Default 60 s. */
  timeoutMs?: number;
  /** Poll interval while waiting. Default 250 ms. */
  pollMs?: number;
  /** Injected for tests; defaults to real time. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface CrdInstallResult {
  name: string;
  action: 'created' | 'updated' | 'unchanged';
}

/** A CRD the API server did not accept as Established in time (or rejected its names). */
export class CrdNotEstablishedError extends SkiffError {
  readonly code = 'CrdNotEstablished';
  override readonly transient = true;
  constructor(
    readonly crd: string,
    readonly reason: string,
  ) {
    super(`CustomResourceDefinition ${crd} is not established: ${reason}`);
  }
}

/**
 * Creates each CRD that is missing and updates each that differs, by
 * server-side apply with field manager `skiff` (forced, so we take over fields
 * another manager such as `velero install` set). A CRD whose live spec already
 * contains ours is left alone, so repeated installs do not bump generations.
 */
export async function installCrds(cluster: CrdCluster, opts: InstallCrdsOptions = {}): Promise<CrdInstallResult[]> {
  const results: CrdInstallResult[] = [];
  for (const crd of buildAllCrds()) {
    const name = crd.metadata.name ?? '';
    const live = await cluster.find(CRD_RESOURCE, name);
    if (live && containsDesired(live.spec, crd.spec) && containsDesired(live.metadata.labels, crd.metadata.labels)) {
      results.push({ name, action: 'unchanged' });
      continue;
    }
    // The apply content type is YAML, and JSON is YAML, so the object goes as JSON.
    await cluster.patch(CRD_RESOURCE, { name }, 'apply', crd, {
      fieldManager: 'skiff',
      force: true,
      dryRun: opts.dryRun ?? false,
    });
    results.push({ name, action: live ? 'updated' : 'created' });
  }
  if (!opts.dryRun) {
    for (const { name } of results) await waitEstablished(cluster, name, opts);
  }
  return results;
}

/**
 * Whether `live` holds everything in `desired`. The API server adds defaults
 * (e.g. `conversion.strategy`), so equality would always report a change;
 * arrays must match in length, element by element.
 */
export function containsDesired(live: unknown, desired: unknown): boolean {
  if (Array.isArray(desired)) {
    return (
      Array.isArray(live) && live.length === desired.length && desired.every((d, i) => containsDesired(live[i], d))
    );
  }
  if (isRecord(desired)) {
    return isRecord(live) && Object.entries(desired).every(([key, value]) => containsDesired(live[key], value));
  }
  return live === desired;
}

async function waitEstablished(cluster: CrdCluster, name: string, opts: InstallCrdsOptions): Promise<void> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = now() + timeoutMs;
  let lastReason = 'the API server has not reported it yet';
  for (;;) {
    const live = await cluster.find(CRD_RESOURCE, name);
    if (!live) {
      lastReason = 'it does not exist (deleted while installing?)';
    } else {
      const established = condition(live, 'Established');
      if (established?.status === 'True') return;
      // NamesAccepted=False is final: another CRD already owns a name.
      const names = condition(live, 'NamesAccepted');
      if (names?.status === 'False') throw new CrdNotEstablishedError(name, `names not accepted: ${names.message}`);
      if (established) lastReason = `Established=${established.status}: ${established.message}`;
    }
    if (now() >= deadline) {
      throw new CrdNotEstablishedError(name, `still not Established after ${timeoutMs / 1000}s (${lastReason})`);
    }
    await sleep(opts.pollMs ?? 250);
  }
}

interface CrdCondition {
  status: string;
  message: string;
}

function condition(crd: KubeObject, type: string): CrdCondition | undefined {
  const status = crd.status;
  if (!isRecord(status) || !Array.isArray(status.conditions)) return undefined;
  for (const c of status.conditions as unknown[]) {
    if (isRecord(c) && c.type === type) {
      return { status: String(c.status), message: typeof c.message === 'string' ? c.message : '' };
    }
  }
  return undefined;
}
