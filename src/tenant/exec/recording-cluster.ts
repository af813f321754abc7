import { Cluster, type PatchTarget, type PatchType, type WriteOptions } from '../../kube/cluster.ts';
import { KubeApiError } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { ResourceRef } from '../../kube/resource.ts';
import { isRecord } from '../../kube/object.ts';
import { VOLUME_SNAPSHOT_CONTENTS } from '../../volumes/csi/snapshot-objects.ts';

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
 * the item as failed in the restore's results. `patchOnly` is not recorded: a restore sends
 * it only for the owners of an object it has created, which is restored, not skipped.
 */
export class RefusalRecordingCluster extends Cluster {
  readonly refused: RefusedItem[] = [];

  /** Runs a write; a refusal is recorded with the object it concerns, and still thrown. */
  private async recorded<T>(write: () => Promise<T>, kind: string, name: string, namespace?: string): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 403) {
        this.refused.push({ kind, ...(namespace ? { namespace } : {}), name, reason: err.apiMessage });
      }
      throw err;
    }
  }

  override create(rt: ResourceRef, obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const { name = '', namespace } = obj.metadata;
    return this.recorded(() => super.create(rt, obj, opts), obj.kind, name, namespace);
  }

  override createOnly(rt: ResourceRef, obj: KubeObject, opts: WriteOptions = {}): Promise<void> {
    const { name = '', namespace } = obj.metadata;
    return this.recorded(() => super.createOnly(rt, obj, opts), obj.kind, name, namespace);
  }

  override patch(
    rt: ResourceRef,
    target: PatchTarget,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions = {},
  ): Promise<KubeObject> {
    const write = (): Promise<KubeObject> => super.patch(rt, target, type, patch, opts);
    return this.recorded(write, rt.resource, target.name, target.namespace);
  }
}

/**
 * The writes of a tenant's restore: the requester's (impersonated, refusals recorded), except
 * the VolumeSnapshotContents a CSI restore pre-provisions, which are cluster-scoped, so no
 * tenant may create them, and which the server creates itself. That gives the tenant nothing
 * they could not have: the content is the restore action's (deletionPolicy Retain, the driver
 * and snapshot handle of the backup's own content, whose tarball's seal was checked for the
 * source namespace), and it is created only when bound to a VolumeSnapshot in the restore's
 * target namespace, so no other namespace can take its data.
 */
export class TenantRestoreWrites extends RefusalRecordingCluster {
  constructor(
    requester: ConstructorParameters<typeof Cluster>[0],
    private readonly server: Cluster,
    private readonly targetNamespace: string | undefined,
  ) {
    super(requester);
  }

  override async create(rt: ResourceRef, obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    if (!isSnapshotContent(rt)) return super.create(rt, obj, opts);
    this.checkBound(obj);
    return this.server.create(rt, obj, opts);
  }

  override async createOnly(rt: ResourceRef, obj: KubeObject, opts: WriteOptions = {}): Promise<void> {
    if (!isSnapshotContent(rt)) return super.createOnly(rt, obj, opts);
    this.checkBound(obj);
    await this.server.createOnly(rt, obj, opts);
  }

  /**
   * The server created the content, so it also puts the content's backed-up field owners back
   * (the one patch a restore sends after a create, apply-operation.ts); any other patch of a
   * content is the requester's, and refused like their create would be.
   */
  override async patchOnly(
    rt: ResourceRef,
    target: PatchTarget,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions = {},
  ): Promise<void> {
    if (isSnapshotContent(rt) && type === 'merge' && !target.subresource && isOwnersOnly(patch))
      return this.server.patchOnly(rt, target, type, patch, opts);
    return super.patchOnly(rt, target, type, patch, opts);
  }

  private checkBound(obj: KubeObject): void {
    const spec = isRecord(obj.spec) ? obj.spec : {};
    const ref = isRecord(spec.volumeSnapshotRef) ? spec.volumeSnapshotRef : {};
    if (this.targetNamespace && ref.namespace === this.targetNamespace) return;
    const reason = `a tenant restore creates VolumeSnapshotContents only for VolumeSnapshots of its own namespace ${this.targetNamespace ?? ''}, not ${JSON.stringify(ref.namespace ?? '')}`;
    this.refused.push({ kind: obj.kind, name: obj.metadata.name ?? '', reason });
    throw new Error(reason);
  }
}

function isSnapshotContent(rt: ResourceRef): boolean {
  return rt.group === VOLUME_SNAPSHOT_CONTENTS.group && rt.resource === VOLUME_SNAPSHOT_CONTENTS.resource;
}

/** `{"metadata":{"managedFields":[...]}}` and nothing else. */
function isOwnersOnly(patch: unknown): boolean {
  if (!isRecord(patch) || Object.keys(patch).length !== 1 || !isRecord(patch.metadata)) return false;
  const keys = Object.keys(patch.metadata);
  return keys.length === 1 && keys[0] === 'managedFields' && Array.isArray(patch.metadata.managedFields);
}
