/**
 * Keeps each TenantStorageLocation's status (phase, specHash) in step with its spec and the
 * StorageApprovals. Watches both kinds in every namespace; keys are namespace/name (the
 * generic Controller keys by name only, which would mix up locations of two namespaces).
 */
import type { Cluster } from '../kube/cluster.ts';
import { runInformer } from '../kube/informer.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceType } from '../kube/resource.ts';
import type { Logger } from '../util/log.ts';
import { TenantKinds, tenantResource, type TenantKindInfo } from './api/kinds.ts';
import { locationApprovalStatus } from './location-approval.ts';

function resourceType(kind: TenantKindInfo): ResourceType {
  return {
    ...tenantResource(kind),
    kind: kind.kind,
    namespaced: kind.scope === 'Namespaced',
    verbs: ['get', 'list', 'watch'],
  };
}

const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export async function runLocationApprovals(cluster: Cluster, signal: AbortSignal, log: Logger): Promise<void> {
  const locations = new Map<string, KubeObject>();
  const approvals = new Map<string, KubeObject>();
  const ref = tenantResource(TenantKinds.TenantStorageLocation);

  async function reconcile(location: KubeObject): Promise<void> {
    const want = locationApprovalStatus(location, approvals.values());
    const have = (location.status ?? {}) as Record<string, unknown>;
    if (have.phase === want.phase && have.specHash === want.specHash && have.message === want.message) return;
    try {
      await cluster.patchStatus(
        ref,
        { name: location.metadata.name ?? '', namespace: location.metadata.namespace },
        want,
      );
    } catch (err) {
      log.warn({ err, location: key(location) }, 'could not update the status of a tenant storage location');
    }
  }

  await Promise.all([
    runInformer(
      cluster,
      resourceType(TenantKinds.TenantStorageLocation),
      async (type, obj) => {
        if (type === 'DELETED') locations.delete(key(obj));
        else {
          locations.set(key(obj), obj);
          await reconcile(obj);
        }
      },
      { signal, onError: (err) => log.warn({ err }, 'watching tenant storage locations failed; listing again') },
    ),
    runInformer(
      cluster,
      resourceType(TenantKinds.StorageApproval),
      async (type, obj) => {
        if (type === 'DELETED') approvals.delete(key(obj));
        else approvals.set(key(obj), obj);
        const target = obj.spec as { location?: { namespace?: string; name?: string } } | undefined;
        const location = locations.get(`${target?.location?.namespace ?? ''}/${target?.location?.name ?? ''}`);
        if (location) await reconcile(location);
      },
      { signal, onError: (err) => log.warn({ err }, 'watching storage approvals failed; listing again') },
    ),
  ]);
}
