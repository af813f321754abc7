/**
 * Plays kubelet for CSI volumes in one test cluster (issue 16, ../shared testenv.md §11): for every pod on a kwok
 * node with a PVC bound to a PV of hostpath.csi.skiff.dev, NodeStageVolume + NodePublishVolume over that node's
 * driver socket, so the volume is a real bind mount at kubelet's path under the node's host root; when the pod
 * goes, NodeUnpublishVolume (+ NodeUnstageVolume once no pod of the node uses the volume). The gRPC calls go
 * through the driver binary's client mode. Decisions: csi-volumes.ts.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { Cluster, KubeClient, runInformer, type KubeObject, type ResourceType } from '../../src/kube/index.ts';
import { errorMessage } from '../../src/util/errors.ts';
import {
  CSI_DRIVER,
  csiStagingPath,
  csiTargetPath,
  desiredPublishes,
  planCsiActions,
  publishKey,
  type CsiAction,
  type CsiPublish,
} from './csi-volumes.ts';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    nodes: { type: 'string' },
    csi: { type: 'string' },
    'driver-binary': { type: 'string' },
    ready: { type: 'string' },
  },
});
const need = (k: keyof typeof values): string => {
  const v = values[k];
  if (typeof v !== 'string') throw new Error(`csi-kubelet: --${k} is required`);
  return v;
};
const nodesDir = need('nodes');
const csiDir = need('csi');
const driverBinary = need('driver-binary');
const cluster = new Cluster(KubeClient.fromKubeconfig({ kubeconfig: need('kubeconfig') }));
const controller = new AbortController();
process.on('SIGTERM', () => controller.abort());
process.on('SIGINT', () => controller.abort());

const core = (resource: string, kind: string, namespaced: boolean): ResourceType => ({
  group: '',
  version: 'v1',
  resource,
  kind,
  namespaced,
  verbs: [],
});
const pods = new Map<string, KubeObject>();
const claims = new Map<string, KubeObject>();
const volumes = new Map<string, KubeObject>();
const mounted = new Map<string, CsiPublish>();

function log(msg: string, err?: unknown): void {
  process.stderr.write(`${new Date().toISOString()} ${msg}${err === undefined ? '' : `: ${errorMessage(err)}`}\n`);
}

async function perform(a: CsiAction): Promise<void> {
  const p = a.publish;
  const root = join(nodesDir, p.node);
  const args = [
    a.op,
    `--endpoint=unix://${join(csiDir, p.node, 'csi.sock')}`,
    `--volume-id=${p.volumeHandle}`,
    `--staging-path=${csiStagingPath(root, CSI_DRIVER, p.volumeHandle)}`,
    `--target-path=${csiTargetPath(root, p.podUid, p.pvName)}`,
    '--timeout=30s',
  ];
  if (p.readOnly) args.push('--readonly');
  if (a.op === 'mount') mkdirSync(join(root, 'var/lib/kubelet/pods', p.podUid, 'volumes'), { recursive: true });
  await run(driverBinary, args);
  if (a.op === 'mount') mounted.set(publishKey(p), p);
  if (a.op === 'unpublish') mounted.delete(publishKey(p));
  log(`${a.op} ${p.pvName} of pod ${p.podUid} on ${p.node}`);
}

// One reconcile at a time; events during one ask for another. A failed action (a driver being restarted) is
// retried a second later.
let dirty = false;
let running = false;
let retry: NodeJS.Timeout | undefined;
function kick(): void {
  dirty = true;
  if (!running) void reconcile();
}
async function reconcile(): Promise<void> {
  running = true;
  while (dirty && !controller.signal.aborted) {
    dirty = false;
    let failed = false;
    const actions = planCsiActions(desiredPublishes(pods.values(), claims, volumes), [...mounted.values()]);
    for (const a of actions) {
      try {
        await perform(a);
      } catch (err) {
        failed = true;
        log(`${a.op} ${a.publish.pvName} of pod ${a.publish.podUid} on ${a.publish.node} failed (retrying)`, err);
        // An unpublish that failed leaves the unstage of the same volume for the retry.
        if (a.op === 'unpublish') break;
      }
    }
    if (failed && !retry) {
      retry = setTimeout(() => {
        retry = undefined;
        kick();
      }, 1000);
    }
  }
  running = false;
}

const track =
  (cache: Map<string, KubeObject>, key: (o: KubeObject) => string) =>
  (type: string, obj: KubeObject): void => {
    if (type === 'DELETED') cache.delete(key(obj));
    else cache.set(key(obj), obj);
    kick();
  };
let synced = 0;
const common = {
  signal: controller.signal,
  onSynced: () => {
    if (++synced === 3 && values.ready) writeFileSync(values.ready, `${process.pid}\n`);
  },
  onError: (err: unknown) => log('watch error', err),
};
await Promise.all([
  runInformer(
    cluster,
    core('pods', 'Pod', true),
    track(pods, (o) => o.metadata.uid ?? ''),
    common,
  ),
  runInformer(
    cluster,
    core('persistentvolumeclaims', 'PersistentVolumeClaim', true),
    track(claims, (o) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`),
    common,
  ),
  runInformer(
    cluster,
    core('persistentvolumes', 'PersistentVolume', false),
    track(volumes, (o) => o.metadata.name ?? ''),
    common,
  ),
]);
clearTimeout(retry);
