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

/** A deep copy of `obj` with server-set metadata and status removed (reference §4.4 step 2). */
export function resetMetadataAndStatus(obj: KubeObject): CleanedObject {
  const object = cloneJson(obj);
  for (const key of RESET_METADATA) delete object.metadata[key];
  const status = object.status;
  delete object.status;
  return { object, status };
}
