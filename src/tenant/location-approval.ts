/**
 * Whether a TenantStorageLocation is approved (issue 17, storage isolation): an admin's
 * StorageApproval names the location and the sha256 of its canonical spec JSON, so an edit of
 * the spec needs a new approval. Execution must decide with `isLocationApproved` on the live
 * spec, never trust `status.phase`, which the controller may not have updated yet.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../kube/object.ts';
import { TenantStorageLocationPhase, type StorageApprovalSpec, type TenantStorageLocationStatus } from './api/types.ts';

/** JSON with object keys sorted at every level, so equal specs hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function locationSpecHash(spec: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(spec ?? {}))
    .digest('hex');
}

function approvalSpec(obj: KubeObject): StorageApprovalSpec | undefined {
  const spec = obj.spec as Partial<StorageApprovalSpec> | undefined;
  if (!spec?.location || typeof spec.specHash !== 'string') return undefined;
  return spec as StorageApprovalSpec;
}

/** Whether one of `approvals` names this location and its current spec hash. */
export function isLocationApproved(location: KubeObject, approvals: Iterable<KubeObject>): boolean {
  const hash = locationSpecHash(location.spec);
  for (const a of approvals) {
    const spec = approvalSpec(a);
    if (
      spec?.specHash === hash &&
      spec.location.namespace === location.metadata.namespace &&
      spec.location.name === location.metadata.name
    )
      return true;
  }
  return false;
}

/** The status the location should show. */
export function locationApprovalStatus(
  location: KubeObject,
  approvals: Iterable<KubeObject>,
): Required<TenantStorageLocationStatus> {
  const specHash = locationSpecHash(location.spec);
  if (isLocationApproved(location, approvals)) {
    return { phase: TenantStorageLocationPhase.Approved, specHash, message: 'approved by a StorageApproval' };
  }
  return {
    phase: TenantStorageLocationPhase.Pending,
    specHash,
    message: `waiting for a cluster admin's StorageApproval of ${location.metadata.namespace ?? ''}/${location.metadata.name ?? ''} with specHash ${specHash}`,
  };
}
