/**
 * The kubelet's part in Skiff's restore-wait (reference §6.5 steps 3–4), for the pod agent:
 * a pod whose first init container is `restore-wait` reports that container running and its
 * own containers waiting, and really runs `skiff restore-helper` for it here, on a folder of
 * symlinks to the pod's volume directories under the kwok node's host root (standing in for
 * the container's `/restores/<volume>` mounts). Only when the helper exits 0 does the pod get
 * the annotation that lets kwok's pod-ready stage make it Running (restore-wait-hold.sed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, KubeObject } from '../../src/kube/index.ts';
import { resolveVolumePath, volumeDirName } from '../../src/volumes/host-path.ts';

/** Set on a held pod once its helper exited 0 (kwok's pod-ready stage waits for it). */
export const RELEASED_ANNOTATION = 'skiff.dev/restore-wait-released';
const RESTORE_WAIT = 'restore-wait';
const PODS = { group: '', version: 'v1', resource: 'pods' };
const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
const PVS = { group: '', version: 'v1', resource: 'persistentvolumes' };
const SKIFF = resolve(import.meta.dirname, '../../bin/skiff.mjs');
/** How long a volume directory may take to appear (the pod agent makes it) or a claim to bind. */
const SETUP_LIMIT_MS = 120_000;

interface Container {
  name?: string;
  args?: string[];
  volumeMounts?: { name?: string; mountPath?: string }[];
}
interface PodSpec {
  initContainers?: Container[];
  containers?: Container[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
}

/**
 * Holds a scheduled pod that starts with `restore-wait` until `skiff restore-helper` lets it
 * go; returns at once for any other pod. Call it once per pod, without awaiting it.
 */
export async function holdForRestoreWait(
  cluster: Cluster,
  run: string,
  pod: KubeObject,
  kubeletDir: string,
  log: (msg: string, err?: unknown) => void,
): Promise<void> {
  const spec = pod.spec as PodSpec | undefined;
  const wait = spec?.initContainers?.[0];
  const { name = '', namespace = '', uid = '' } = pod.metadata;
  if (!spec || wait?.name !== RESTORE_WAIT || pod.metadata.annotations?.[RELEASED_ANNOTATION] !== undefined) return;
  const where = `restore-wait of ${namespace}/${name}`;
  // <run>/nodes/<node>/var/lib/kubelet/pods/<uid> → the node's host root <run>/nodes/<node>.
  const hostRoot = resolve(kubeletDir, '../../../../..');
  try {
    await reportWaiting(cluster, pod, spec);
    const restores = join(run, 'restore-wait', uid);
    rmSync(restores, { recursive: true, force: true });
    mkdirSync(restores, { recursive: true });
    for (const mount of wait.volumeMounts ?? []) {
      const volume = mount.name ?? '';
      if (!mount.mountPath?.startsWith('/restores/')) continue;
      const dir = await volumeDirectory(cluster, pod, volume, hostRoot);
      symlinkSync(dir, join(restores, mount.mountPath.slice('/restores/'.length)));
    }
    const podExists = async (): Promise<boolean> => (await cluster.find(PODS, name, namespace))?.metadata.uid === uid;
    const logFile = join(run, 'logs', `restore-wait-${namespace}-${name}.log`);
    const code = await runHelper(restores, wait.args ?? [], logFile, podExists);
    if (code !== 0) {
      log(`${where}: skiff restore-helper exited ${code}; the pod stays Pending`);
      return;
    }
    await cluster.patch(PODS, { name, namespace }, 'merge', {
      metadata: { annotations: { [RELEASED_ANNOTATION]: 'true' } },
    });
  } catch (err) {
    log(where, err);
  }
}

/** What a kubelet reports while the first init container runs: it running, the rest waiting. */
async function reportWaiting(cluster: Cluster, pod: KubeObject, spec: PodSpec): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const waiting = (c: Container) => ({
    name: c.name,
    image: (c as { image?: string }).image ?? '',
    ready: false,
    restartCount: 0,
    state: { waiting: { reason: 'PodInitializing' } },
  });
  const inits = (spec.initContainers ?? []).map((c, i) =>
    i === 0 ? { ...waiting(c), started: true, state: { running: { startedAt: now } } } : waiting(c),
  );
  const condition = (type: string, status: string) => ({ type, status, lastTransitionTime: now });
  await cluster.patch(
    PODS,
    { name: pod.metadata.name ?? '', namespace: pod.metadata.namespace, subresource: 'status' },
    'strategic',
    {
      status: {
        phase: 'Pending',
        startTime: now,
        conditions: [
          condition('Initialized', 'False'),
          condition('Ready', 'False'),
          condition('ContainersReady', 'False'),
        ],
        initContainerStatuses: inits,
        containerStatuses: (spec.containers ?? []).map(waiting),
      },
    },
  );
}

/**
 * The real path of the volume's directory under the node's host root (reference §6.3 "Host
 * path discovery", src/volumes/host-path.ts), once its claim is bound and the pod agent has
 * made the directory.
 */
async function volumeDirectory(cluster: Cluster, pod: KubeObject, volume: string, hostRoot: string): Promise<string> {
  const spec = pod.spec as PodSpec;
  const { namespace, uid: podUID = '' } = pod.metadata;
  const podVolume = spec.volumes?.find((v) => v.name === volume) ?? { name: volume };
  const claim = podVolume.persistentVolumeClaim?.claimName;
  const deadline = Date.now() + SETUP_LIMIT_MS;
  for (;;) {
    try {
      let pv: KubeObject | undefined;
      if (claim) {
        const pvc = await cluster.find(PVCS, claim, namespace);
        const pvName = (pvc?.spec as { volumeName?: string } | undefined)?.volumeName;
        pv = pvName ? await cluster.find(PVS, pvName) : undefined;
      }
      return await resolveVolumePath(hostRoot, podUID, volumeDirName({ ...podVolume, name: volume }, pv));
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await sleep(200);
  }
}

/** Helpers still running, stopped when the pod agent exits (a kubelet's containers go with their pod). */
const helpers = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of helpers) child.kill('SIGTERM');
});

/** How often a held pod is looked up, so that the helper of a deleted pod is stopped. */
const POD_CHECK_MS = 2000;

/** Runs the helper until it exits, or until the pod is gone (then SIGTERM, as a kubelet would). */
function runHelper(
  restoresDir: string,
  args: readonly string[],
  logFile: string,
  podExists: () => Promise<boolean>,
): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [SKIFF, 'restore-helper', '--restores-dir', restoresDir, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    helpers.add(child);
    const check = setInterval(() => {
      podExists().then(
        (exists) => exists || child.kill('SIGTERM'),
        () => undefined,
      );
    }, POD_CHECK_MS);
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => out.push(b));
    child.on('error', fail);
    child.on('close', (code) => {
      clearInterval(check);
      helpers.delete(child);
      try {
        writeFileSync(logFile, Buffer.concat(out));
      } catch {
        // the log is a convenience
      }
      done(code ?? 1);
    });
  });
}
