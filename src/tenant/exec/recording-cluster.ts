import { Cluster, type PatchType, type WriteOptions } from '../../kube/cluster.ts';
import { KubeApiError } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { ResourceRef } from '../../kube/resource.ts';

/** An item the API server refused to write for the user (status.skipped of a TenantRestore). */
export interface RefusedItem {
  kind: string;
  namespace?: string;
  name: string;
  reason: string;
}

/**
 * A Cluster whose refused writes (403: RBAC, escalation checks, admission denials) are
 * recorded with the object they concern; the error still reaches the caller, which records
 * the item as failed in the restore's results.
 */
export class RefusalRecordingCluster extends Cluster {
  readonly refused: RefusedItem[] = [];

  private note(err: unknown, kind: string, name: string, namespace: string | undefined): never {
    if (err instanceof KubeApiError && err.status === 403) {
      this.refused.push({ kind, ...(namespace ? { namespace } : {}), name, reason: err.apiMessage });
    }
    throw err;
  }

  override async create(rt: ResourceRef, obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    try {
      return await super.create(rt, obj, opts);
    } catch (err) {
      return this.note(err, obj.kind, obj.metadata.name ?? '', obj.metadata.namespace);
    }
  }

  override async createOnly(rt: ResourceRef, obj: KubeObject, opts: WriteOptions = {}): Promise<void> {
    try {
      await super.createOnly(rt, obj, opts);
    } catch (err) {
      this.note(err, obj.kind, obj.metadata.name ?? '', obj.metadata.namespace);
    }
  }

  override async patch(
    rt: ResourceRef,
    target: { name: string; namespace?: string | undefined; subresource?: string },
    type: PatchType,
    patch: unknown,
    opts: WriteOptions = {},
  ): Promise<KubeObject> {
    try {
      return await super.patch(rt, target, type, patch, opts);
    } catch (err) {
      return this.note(err, rt.resource, target.name, target.namespace);
    }
  }
}
