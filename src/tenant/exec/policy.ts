import { isRecord, type KubeObject } from '../../kube/object.ts';
import { labelSelectorFromObject, matches, type LabelSelectorObject } from '../../selection/label-selector.ts';
import { errorMessage } from '../../util/errors.ts';

/** The TenantPolicy fields execution acts on (contract); the rest are refused by `unenforcedPolicyFields`. */
export interface TenantPolicy {
  name: string;
  namespaceSelector: LabelSelectorObject | undefined;
  storageLocation: string;
  forbidden: string[];
  defaults: Record<string, unknown>;
  locked: string[];
  maxTTL: string | undefined;
  /** Keys present in the spec: what the policy asks for. */
  keys: string[];
}

export function readPolicy(obj: KubeObject): TenantPolicy {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const strings = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
  return {
    name: obj.metadata.name ?? '',
    namespaceSelector: isRecord(spec.namespaceSelector) ? spec.namespaceSelector : undefined,
    storageLocation: typeof spec.storageLocation === 'string' ? spec.storageLocation : '',
    forbidden: strings(spec.forbidden),
    defaults: isRecord(spec.defaults) ? spec.defaults : {},
    locked: strings(spec.locked),
    maxTTL: typeof spec.maxTTL === 'string' ? spec.maxTTL : undefined,
    keys: Object.keys(spec),
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

/**
 * Policy fields this server does not enforce yet (the fair queue's limits and the schedule
 * interval): a policy that sets them is refused, naming them, rather than half applied.
 */
const UNENFORCED_POLICY_FIELDS = ['maxConcurrent', 'maxQueued', 'minScheduleInterval', 'createsPerMinute'] as const;

export function unenforcedPolicyFields(policy: TenantPolicy): string[] {
  return UNENFORCED_POLICY_FIELDS.filter((f) => policy.keys.includes(f)).map(
    (f) => `TenantPolicy ${policy.name}: spec.${f} is not enforced by this server yet; remove it`,
  );
}
