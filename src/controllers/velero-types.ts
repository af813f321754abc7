import { resourceRef, type KindInfo } from '../api/kinds.ts';
import type { ResourceType } from '../kube/resource.ts';

/** A velero.io kind as informers and list calls take it; no discovery needed, the CRDs are ours. */
export function veleroListType(kind: KindInfo): ResourceType {
  return { ...resourceRef(kind), kind: kind.kind, namespaced: true, verbs: [] };
}
