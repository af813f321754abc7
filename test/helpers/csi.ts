/**
 * The CSI test stack's side for tests (scripts/testenv/csi.sh, CSI-CONTRACT): where a pod's CSI volume is
 * mounted on its kwok node, waiting for that bind mount, and holding one node's driver down for fault tests.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../src/kube/index.ts';
import { csiTargetPath } from '../../scripts/testenv/csi-volumes.ts';
import { isMountPoint } from '../../src/volumes/node-agent/mount-point.ts';
import { waitFor } from './cluster.ts';
import type { TestEnv } from './testenv.ts';

/** Kubelet's publish path of PV `pvName` for pod `podUid` on `node`: a bind mount of the volume's data. */
export function csiVolumeDir(env: TestEnv, node: string, podUid: string, pvName: string): string {
  return csiTargetPath(env.nodeRoot(node), podUid, pvName);
}

/**
 * Resolves with the volume's directory once the harness has staged and published PV `pvName` for `pod` (which
 * must be scheduled: `spec.nodeName` set) and the directory is a real bind mount.
 */
export async function waitForCsiVolumeMounted(
  env: TestEnv,
  pod: KubeObject,
  pvName: string,
  timeoutMs = 60_000,
): Promise<string> {
  const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  const uid = pod.metadata.uid;
  if (!node || !uid) throw new Error(`pod ${pod.metadata.namespace}/${pod.metadata.name} is not scheduled yet`);
  const dir = csiVolumeDir(env, node, uid, pvName);
  return waitFor(
    `${pvName} to be mounted for pod ${pod.metadata.name} at ${dir}`,
    async () => (await isMountPoint(dir)) && dir,
    timeoutMs,
  );
}

/** The folder of one node's CSI processes (socket, status, logs): `<cluster dir>/csi/<node>`. */
function csiNodeDir(env: TestEnv, node: string, clusterDir = env.runDir): string {
  return join(clusterDir, 'csi', node);
}

function driverStatus(dir: string): { running: boolean; pid?: number } {
  const text = existsSync(join(dir, 'status')) ? readFileSync(join(dir, 'status'), 'utf8').trim() : '';
  const m = /^running (\d+)$/.exec(text);
  return m?.[1] ? { running: true, pid: Number(m[1]) } : { running: false };
}

/**
 * Stops `node`'s CSI driver and holds it down (its sidecars go with it) until `startCsiDriver`. Volumes already
 * mounted stay mounted, as on a real node. `clusterDir` is the cluster's folder (cluster B: `<run>/cluster-b`).
 */
export async function stopCsiDriver(env: TestEnv, node: string, clusterDir?: string): Promise<void> {
  const dir = csiNodeDir(env, node, clusterDir);
  writeFileSync(join(dir, 'stop'), '');
  const { pid } = driverStatus(dir);
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await waitFor(`the CSI driver of ${node} to stop`, () => Promise.resolve(!driverStatus(dir).running));
}

/** Lets `node`'s CSI driver (and its sidecars) start again and waits until they run. */
export async function startCsiDriver(env: TestEnv, node: string, clusterDir?: string): Promise<void> {
  const dir = csiNodeDir(env, node, clusterDir);
  rmSync(join(dir, 'stop'), { force: true });
  await waitFor(`the CSI driver of ${node} to run`, () => Promise.resolve(driverStatus(dir).running));
}
