import { Kinds, resourceRef, type Restore, type RestoreSpec } from '../../src/api/index.ts';
import type { Cluster, KubeObject } from '../../src/kube/index.ts';
import { waitFor } from './cluster.ts';

const TERMINAL = new Set(['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation']);

/** Creates a Restore for the server in `namespace`. */
export async function createRestore(
  cluster: Cluster,
  namespace: string,
  name: string,
  spec: RestoreSpec,
): Promise<void> {
  await cluster.create(resourceRef(Kinds.Restore), {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name, namespace },
    spec,
  });
}

export function getRestore(cluster: Cluster, namespace: string, name: string): Promise<Restore> {
  return cluster.get(resourceRef(Kinds.Restore), name, namespace) as Promise<Restore>;
}

/** Waits until the server has finished with a Restore. */
export function waitForRestoreDone(
  cluster: Cluster,
  namespace: string,
  name: string,
  timeoutMs = 180_000,
): Promise<Restore> {
  return waitFor(
    `restore ${name} to finish`,
    async () => {
      const r = await getRestore(cluster, namespace, name);
      return TERMINAL.has(r.status?.phase ?? '') ? r : undefined;
    },
    timeoutMs,
  );
}

/** Creates a Restore and waits until the server has finished with it. */
export async function restoreAndWait(
  cluster: Cluster,
  namespace: string,
  name: string,
  spec: RestoreSpec,
  timeoutMs = 180_000,
): Promise<Restore> {
  await createRestore(cluster, namespace, name, spec);
  return waitForRestoreDone(cluster, namespace, name, timeoutMs);
}

const SERVER_SET_METADATA = [
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'generation',
  'managedFields',
  'selfLink',
  'finalizers',
];
const RESTORE_LABELS = ['velero.io/backup-name', 'velero.io/restore-name'];
/** Annotations controllers write on their own (the Deployment controller's revision, PV binding marks). */
const SERVER_SET_ANNOTATIONS = [
  'deployment.kubernetes.io/revision',
  'pv.kubernetes.io/bind-completed',
  'pv.kubernetes.io/bound-by-controller',
  'volume.beta.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/storage-provisioner',
];

/**
 * An object as a restore should reproduce it: without what the API server and controllers
 * fill in (uid, versions, status, allocated cluster IPs, claimRef identity) and without the
 * restore labels.
 */
export function restorableView(obj: KubeObject): KubeObject {
  const copy = structuredClone(obj);
  for (const k of SERVER_SET_METADATA) delete copy.metadata[k];
  delete copy.status;
  for (const k of RESTORE_LABELS) delete copy.metadata.labels?.[k];
  for (const k of SERVER_SET_ANNOTATIONS) delete copy.metadata.annotations?.[k];
  if (copy.metadata.labels && Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  if (copy.metadata.annotations && Object.keys(copy.metadata.annotations).length === 0) {
    delete copy.metadata.annotations;
  }
  const spec = copy.spec as Record<string, unknown> | undefined;
  if (copy.kind === 'Service' && spec) {
    delete spec.clusterIP;
    delete spec.clusterIPs;
  }
  const claimRef = spec?.claimRef as Record<string, unknown> | undefined;
  if (copy.kind === 'PersistentVolume' && claimRef) {
    delete claimRef.uid;
    delete claimRef.resourceVersion;
  }
  return copy;
}
