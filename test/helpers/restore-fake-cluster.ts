import type { PatchTarget } from '../../src/kube/cluster.ts';
import { KubeApiError } from '../../src/kube/errors.ts';
import type { KubeObject } from '../../src/kube/object.ts';
import type { ResourceRef } from '../../src/kube/resource.ts';
import type { RestoreTargetCluster } from '../../src/restore/apply/target-cluster.ts';

/** An in-memory stand-in for the executor's cluster verbs; records calls and peak concurrency. */
export class FakeRestoreCluster implements RestoreTargetCluster {
  readonly objects = new Map<string, KubeObject>();
  readonly calls: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Objects that "appear" just before a create of the same key (a racing writer). */
  readonly appearOnCreate = new Map<string, KubeObject>();

  static key(rt: ResourceRef, name: string, namespace?: string): string {
    return `${rt.group}/${rt.resource}/${namespace ?? ''}/${name}`;
  }

  private async track<T>(fn: () => T): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, 2));
    try {
      return fn();
    } finally {
      this.inFlight--;
    }
  }

  create(rt: ResourceRef, obj: KubeObject): Promise<KubeObject> {
    return this.track(() => {
      const key = FakeRestoreCluster.key(rt, obj.metadata.name ?? '', obj.metadata.namespace);
      this.calls.push(`create ${key}`);
      const racing = this.appearOnCreate.get(key);
      if (racing) this.objects.set(key, racing);
      if (this.objects.has(key)) {
        throw new KubeApiError(409, 'AlreadyExists', 'exists', { method: 'POST', path: key });
      }
      const created = structuredClone(obj);
      if (rt.resource === 'namespaces') created.status = { phase: 'Active' };
      this.objects.set(key, created);
      return created;
    });
  }

  async createOnly(rt: ResourceRef, obj: KubeObject): Promise<void> {
    await this.create(rt, obj);
  }

  find(rt: ResourceRef, name: string, namespace?: string): Promise<KubeObject | undefined> {
    return this.track(() => this.objects.get(FakeRestoreCluster.key(rt, name, namespace)));
  }

  patch(
    rt: ResourceRef,
    target: { name: string; namespace?: string | undefined; subresource?: string },
    _type: string,
    patch: unknown,
  ): Promise<KubeObject> {
    return this.track(() => {
      const key = FakeRestoreCluster.key(rt, target.name, target.namespace);
      this.calls.push(`patch ${key}${target.subresource ? `/${target.subresource}` : ''} ${JSON.stringify(patch)}`);
      const obj = this.objects.get(key);
      if (!obj) throw new KubeApiError(404, 'NotFound', 'missing', { method: 'PATCH', path: key });
      return obj;
    });
  }

  async patchOnly(rt: ResourceRef, target: PatchTarget, type: string, patch: unknown): Promise<void> {
    await this.patch(rt, target, type, patch);
  }
}
