import type { KubeObject } from '../../kube/object.ts';
import { cloneJson } from '../../util/json.ts';

/**
 * Server-set metadata Velero resets on every restored object (reference §4.4 step 2).
 * `managedFields`, labels, annotations and finalizers are kept.
 */
const RESET_METADATA = [
  'generateName',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'ownerReferences',
] as const;

export interface CleanedObject {
  object: KubeObject;
  /** The original `.status`, kept aside for a possible status restore (§4.4 step 11). */
  status: unknown;
}

const RESET_KEYS: ReadonlySet<string> = new Set(RESET_METADATA);

/** A deep copy of `obj` with server-set metadata and status removed (reference §4.4 step 2). */
export function resetMetadataAndStatus(obj: KubeObject): CleanedObject {
  const object = cloneJson(obj);
  for (const key of RESET_METADATA) delete object.metadata[key];
  const status = object.status;
  delete object.status;
  return { object, status };
}

/**
 * `resetMetadataAndStatus` for an object only whose top level and `metadata` will be changed
 * (no item action runs on it): those two are copied, every other value is shared with `obj`,
 * which stays as it was. The keys keep their order, so the object serialises as the deep copy
 * does. Copying the whole object was a tenth of a restore's own CPU, and its garbage more.
 */
export function resetMetadataAndStatusShallow(obj: KubeObject): CleanedObject {
  const metadata: KubeObject['metadata'] = {};
  for (const key in obj.metadata) {
    if (Object.hasOwn(obj.metadata, key) && !RESET_KEYS.has(key)) metadata[key] = obj.metadata[key];
  }
  const object: Record<string, unknown> = {};
  for (const key in obj) {
    if (!Object.hasOwn(obj, key) || key === 'status') continue;
    object[key] = key === 'metadata' ? metadata : obj[key];
  }
  return { object: object as KubeObject, status: obj.status };
}
