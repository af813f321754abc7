import type { PatchTarget, PatchType } from '../../kube/cluster.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { ResourceRef } from '../../kube/resource.ts';

/** The verbs the executor uses; `Cluster` from kube/ satisfies it, tests may pass a fake. */
export interface RestoreTargetCluster {
  create(rt: ResourceRef, obj: KubeObject): Promise<KubeObject>;
  /** `create` when the created object is not needed (most items): the answer is not parsed. */
  createOnly(rt: ResourceRef, obj: KubeObject): Promise<void>;
  find(rt: ResourceRef, name: string, namespace?: string): Promise<KubeObject | undefined>;
  patch(
    rt: ResourceRef,
    target: { name: string; namespace?: string | undefined; subresource?: string },
    type: PatchType,
    patch: unknown,
  ): Promise<KubeObject>;
  /** `patch` when the patched object is not needed: the answer is not parsed. */
  patchOnly(rt: ResourceRef, target: PatchTarget, type: PatchType, patch: unknown): Promise<void>;
}
