/**
 * Stands in for the node agent's PodVolumeRestore handling (contract §4) where the real one
 * (`skiff node-agent`, test/helpers/node-agents.ts) is not the subject: it waits for each PVR's
 * pod to be scheduled with `restore-wait` running (unless the PVR is data-only), writes the
 * given files into the pod's volume directory under the kwok node's host root, writes the
 * `.velero/<restore-uid>` marker (not for data-only) and moves the PVR to Completed, or to
 * Failed for the volumes `fail` names. The restore itself and `restore-wait` are real.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kinds, resourceRef } from '../../src/api/kinds.ts';
import { veleroListType } from '../../src/controllers/velero-types.ts';
import type { Cluster, KubeObject } from '../../src/kube/index.ts';
import { core } from './cluster.ts';
import { testEnvRunDir } from './testenv.ts';

export interface FakeAgentOptions {
  /** Server namespace holding the PVRs. */
  namespace: string;
  /** Files to write per volume name: relative path → content. */
  files: Record<string, Record<string, string>>;
  /** Volume name → failure message. */
  fail?: Record<string, string>;
}

export interface HandledVolume {
  pvr: string;
  volume: string;
  /** The pod's phase when the data was written (Pending while restore-wait holds it). */
  podPhase: string;
  /** Whether the pod's own containers had started when the data was written. */
  containersStarted: boolean;
}

export function startFakeNodeAgent(
  cluster: Cluster,
  options: FakeAgentOptions,
): {
  handled: HandledVolume[];
  stop: () => Promise<void>;
} {
  const handled: HandledVolume[] = [];
  const done = new Set<string>();
  const controller = new AbortController();
  const loop = (async () => {
    while (!controller.signal.aborted) {
      for await (const pvr of cluster.list(veleroListType(Kinds.PodVolumeRestore), { namespace: options.namespace })) {
        const name = pvr.metadata.name ?? '';
        if (done.has(name)) continue;
        if (await handle(cluster, pvr, options, handled)) done.add(name);
      }
      await sleep(200, undefined, { signal: controller.signal }).catch(() => undefined);
    }
  })();
  return {
    handled,
    stop: async () => {
      controller.abort();
      await loop;
    },
  };
}

interface PodStatus {
  phase?: string;
  initContainerStatuses?: { name?: string; state?: { running?: unknown } }[];
  containerStatuses?: { state?: { running?: unknown } }[];
}

async function handle(
  cluster: Cluster,
  pvr: KubeObject,
  options: FakeAgentOptions,
  handled: HandledVolume[],
): Promise<boolean> {
  const spec = pvr.spec as { pod: { namespace: string; name: string; uid: string }; volume: string };
  const dataOnly = pvr.metadata.annotations?.['skiff.io/data-only'] === 'true';
  const pod = await cluster.find(core('pods'), spec.pod.name, spec.pod.namespace);
  if (!pod || pod.metadata.uid !== spec.pod.uid) return false;
  const node = (pod.spec as { nodeName?: string }).nodeName;
  const status = (pod.status ?? {}) as PodStatus;
  if (!node || (!dataOnly && !restoreWaitRunning(status))) return false;
  const dir = await volumeDir(cluster, pod, spec.volume);
  if (!dir) return false;
  await writeFiles(dir, options.files[spec.volume] ?? {});
  handled.push({
    pvr: pvr.metadata.name ?? '',
    volume: spec.volume,
    podPhase: status.phase ?? '',
    containersStarted: (status.containerStatuses ?? []).some((c) => !!c.state?.running),
  });
  const failure = options.fail?.[spec.volume];
  if (!dataOnly && !failure) {
    await mkdir(join(dir, '.velero'), { recursive: true });
    await writeFile(join(dir, '.velero', pvr.metadata.labels?.['velero.io/restore-uid'] ?? ''), '');
  }
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  await cluster.patch(
    resourceRef(Kinds.PodVolumeRestore),
    { name: pvr.metadata.name ?? '', namespace: pvr.metadata.namespace, subresource: 'status' },
    'merge',
    {
      status: failure
        ? { phase: 'Failed', message: failure, completionTimestamp: now, node }
        : { phase: 'Completed', completionTimestamp: now, node },
    },
  );
  return true;
}

function restoreWaitRunning(status: PodStatus): boolean {
  const first = status.initContainerStatuses?.[0];
  return first?.name === 'restore-wait' && !!first.state?.running;
}

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

/**
 * A pod volume's directory under the kwok node's host root, as the kubelet lays it out
 * (reference §6.3): `kubernetes.io~local-volume/<pv>` for a claim (undefined until it is
 * bound), `kubernetes.io~empty-dir/<volume>` otherwise.
 */
export async function volumeDir(cluster: Cluster, pod: KubeObject, volume: string): Promise<string | undefined> {
  const spec = pod.spec as {
    nodeName?: string;
    volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
  };
  const podDir = join(
    testEnvRunDir(),
    'nodes',
    spec.nodeName ?? '',
    'var/lib/kubelet/pods',
    pod.metadata.uid ?? '',
    'volumes',
  );
  const claim = spec.volumes?.find((v) => v.name === volume)?.persistentVolumeClaim?.claimName;
  if (!claim) return join(podDir, 'kubernetes.io~empty-dir', volume);
  const pvc = await cluster.find(core('persistentvolumeclaims'), claim, pod.metadata.namespace);
  const pv = (pvc?.spec as { volumeName?: string } | undefined)?.volumeName;
  return pv ? join(podDir, 'kubernetes.io~local-volume', pv) : undefined;
}
