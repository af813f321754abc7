import { isRecord, type KubeObject } from '../../kube/object.ts';
import { labelSelectorFromObject, matches, type LabelSelectorObject } from '../../selection/label-selector.ts';
import { errorMessage } from '../../util/errors.ts';

/** The TenantPolicy fields execution acts on (contract). */
export interface TenantPolicy {
  name: string;
  namespaceSelector: LabelSelectorObject | undefined;
  storageLocation: string;
  forbidden: string[];
  defaults: Record<string, unknown>;
  locked: string[];
  maxTTL: string | undefined;
  /** Operations of one namespace running at once (fair queue). */
  maxConcurrent: number | undefined;
  /** Operations of one namespace waiting; the newest beyond it are refused. */
  maxQueued: number | undefined;
  /** Shortest interval between two runs of a TenantSchedule, as a Go duration. */
  minScheduleInterval: string | undefined;
  /** Tenant operations one namespace may create per minute. */
  createsPerMinute: number | undefined;
  /** Values the server cannot act on (the real CRD refuses them; a schemaless one may not). */
  problems: string[];
}

export function readPolicy(obj: KubeObject): TenantPolicy {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const strings = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
  const name = obj.metadata.name ?? '';
  const problems: string[] = [];
  const limit = (key: string, min: number): number | undefined => {
    const v = spec[key];
    if (v === undefined) return undefined;
    if (typeof v === 'number' && Number.isInteger(v) && v >= min) return v;
    problems.push(`TenantPolicy ${name}: spec.${key} must be an integer of at least ${min}`);
    return undefined;
  };
  return {
    name,
    namespaceSelector: isRecord(spec.namespaceSelector) ? spec.namespaceSelector : undefined,
    storageLocation: typeof spec.storageLocation === 'string' ? spec.storageLocation : '',
    forbidden: strings(spec.forbidden),
    defaults: isRecord(spec.defaults) ? spec.defaults : {},
    locked: strings(spec.locked),
    maxTTL: typeof spec.maxTTL === 'string' ? spec.maxTTL : undefined,
    maxConcurrent: limit('maxConcurrent', 1),
    maxQueued: limit('maxQueued', 0),
    minScheduleInterval: typeof spec.minScheduleInterval === 'string' ? spec.minScheduleInterval : undefined,
    createsPerMinute: limit('createsPerMinute', 1),
    problems,
  };
}

/**
 * The one policy that selects a namespace (by its live labels), or the problem. A namespace no
 * policy selects is not a tenant; two policies selecting it would make the outcome depend on
 * which one is read first.
 */
export function policyForNamespace(
  policies: readonly TenantPolicy[],
  namespace: string,
  labels: Readonly<Record<string, string>> | undefined,
): TenantPolicy | string {
  const selecting: TenantPolicy[] = [];
  for (const p of policies) {
    try {
      // A policy without a selector selects no namespace (never all of them by accident).
      if (p.namespaceSelector && matches(labelSelectorFromObject(p.namespaceSelector), labels ?? {})) selecting.push(p);
    } catch (err) {
      return `TenantPolicy ${p.name} has an invalid namespaceSelector: ${errorMessage(err)}`;
    }
  }
  if (selecting.length === 0) return `no TenantPolicy selects namespace ${namespace}: ask an admin to create one`;
  if (selecting.length > 1) {
    const names = selecting.map((p) => p.name).sort();
    return `several TenantPolicies select namespace ${namespace} (${names.join(', ')}): an admin must keep one`;
  }
  return selecting[0] as TenantPolicy;
}
