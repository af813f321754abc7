import { Kinds, resourceRef, type Backup, type DownloadRequest } from '../api/index.ts';
import type { Cluster } from '../kube/cluster.ts';
import type { KubeObject } from '../kube/object.ts';
import { isDownloadTargetKind, downloadTargets } from '../storage/index.ts';
import { kubeTime, type Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { ControllerSpec, ReconcileResult } from './controller.ts';
import type { LocationResolver } from './locations.ts';
import { veleroListType } from './velero-types.ts';

export interface DownloadRequestDeps {
  cluster: Cluster;
  namespace: string;
  locations: LocationResolver;
  clock: Clock;
  log: Logger;
}

const TTL_MS = 10 * 60_000; // signed URLs and the request itself live 10 minutes (reference §1.8)
const TYPE = veleroListType(Kinds.DownloadRequest);

/** New → Processed with a signed URL of the target file; expired requests are deleted. */
export function downloadRequestController(deps: DownloadRequestDeps): ControllerSpec {
  return {
    name: 'download-request',
    type: TYPE,
    namespace: deps.namespace,
    resyncMs: 60_000,
    reconcile: (obj) => reconcile(deps, obj),
  };
}

async function reconcile(deps: DownloadRequestDeps, obj: KubeObject): Promise<ReconcileResult | undefined> {
  const req = obj as DownloadRequest;
  const name = req.metadata.name ?? '';
  const ref = resourceRef(Kinds.DownloadRequest);
  if (req.status?.phase === 'Processed') {
    const expires = req.status.expiration ? Date.parse(req.status.expiration) : 0;
    if (expires <= deps.clock.now().getTime()) await deps.cluster.delete(ref, name, deps.namespace);
    return undefined;
  }
  const { kind, name: target } = req.spec.target;
  let url: string;
  try {
    if (!isDownloadTargetKind(kind)) throw new Error(`unknown download target kind "${String(kind)}"`);
    const backupName = downloadTargets[kind].scope === 'backup' ? target : await backupOfRestore(deps, target);
    const backup = (await deps.cluster.get(resourceRef(Kinds.Backup), backupName, deps.namespace)) as Backup;
    const bsl = await deps.locations.get(backup.spec.storageLocation ?? 'default');
    url = await (await deps.locations.store(bsl)).getDownloadUrl(kind, target);
  } catch (err) {
    // DownloadRequest has no field for an error; the CLI times out and says so. Log why here.
    deps.log.warn({ request: name, err }, 'download request cannot be served');
    return { requeueAfterMs: 10_000 };
  }
  const expiration = kubeTime(new Date(deps.clock.now().getTime() + TTL_MS));
  await deps.cluster.patch(ref, { name, namespace: deps.namespace }, 'merge', {
    status: { phase: 'Processed', downloadURL: url, expiration },
  });
  return { requeueAfterMs: TTL_MS + 1000 };
}

async function backupOfRestore(deps: DownloadRequestDeps, restoreName: string): Promise<string> {
  const restore = await deps.cluster.get(resourceRef(Kinds.Restore), restoreName, deps.namespace);
  const backupName = (restore.spec as { backupName?: string } | undefined)?.backupName;
  if (!backupName) throw new Error(`restore ${restoreName} has no spec.backupName yet`);
  return backupName;
}
