/**
 * The cluster-scoped objects an application uses that Velero's rules for a namespace backup
 * leave out (issue 13). Velero takes only what a namespaced item points at (reference §3.3
 * step 7, §3.4, §3.5): the CRDs of custom resources that exist, the PVs of PVCs, the
 * PriorityClass of a running pod, the ClusterRoleBindings of ServiceAccounts. An operator
 * also needs the rest of its API group, its APIService and webhooks, aggregated ClusterRoles
 * and the classes its objects name. Pure: the collector feeds it the small facts it reads off
 * each included item as the item passes (`AppFacts.observe`), then the cluster-scoped
 * candidates (`appLookups` says which to list), and gets back each object with its rule.
 */
import { isRecord, type KubeObject, type ObjectHead } from '../../kube/object.ts';
import {
  labelSelectorFromObject,
  matches,
  type LabelSelector,
  type LabelSelectorObject,
} from '../../selection/label-selector.ts';

/** On a Backup (or a Schedule, which copies its annotations onto its backups): take these objects too. */
export const INCLUDE_APP_CLUSTER_RESOURCES_ANNOTATION = 'skiff.io/include-app-cluster-resources';

/** Why an object belongs to the application; `--explain` and the warnings name it. */
export type AppRule =
  | 'crd-api-group'
  | 'apiservice-backend'
  | 'webhook-backend'
  | 'aggregated-clusterrole'
  | 'priority-class'
  | 'storage-class'
  | 'ingress-class'
  | 'runtime-class'
  | 'app-labels';

type Finding = { rule: AppRule; reason: string };

export interface AppClusterResource {
  groupResource: string;
  name: string;
  rule: AppRule;
  reason: string;
}

/**
 * The kinds whose body (beyond metadata) `AppFacts.observe` reads: workloads and their pod
 * templates, claims, ingresses, and the cluster-scoped CRDs, PVs and ClusterRoles. Others
 * are observed by their metadata alone, so a backup need not parse them.
 */
export function appReadsSpec(gr: string): boolean {
  return SPEC_READERS.has(gr);
}
const SPEC_READERS = new Set([
  'pods',
  'podtemplates',
  'replicationcontrollers',
  'deployments.apps',
  'replicasets.apps',
  'statefulsets.apps',
  'daemonsets.apps',
  'jobs.batch',
  'cronjobs.batch',
  'persistentvolumeclaims',
  'persistentvolumes',
  'ingresses.networking.k8s.io',
  'ingresses.extensions',
  'customresourcedefinitions.apiextensions.k8s.io',
  'clusterroles.rbac.authorization.k8s.io',
]);

export const GR = {
  crds: 'customresourcedefinitions.apiextensions.k8s.io',
  apiServices: 'apiservices.apiregistration.k8s.io',
  validatingWebhooks: 'validatingwebhookconfigurations.admissionregistration.k8s.io',
  mutatingWebhooks: 'mutatingwebhookconfigurations.admissionregistration.k8s.io',
  clusterRoles: 'clusterroles.rbac.authorization.k8s.io',
  priorityClasses: 'priorityclasses.scheduling.k8s.io',
  storageClasses: 'storageclasses.storage.k8s.io',
  ingressClasses: 'ingressclasses.networking.k8s.io',
  runtimeClasses: 'runtimeclasses.node.k8s.io',
} as const;

export const PART_OF_LABEL = 'app.kubernetes.io/part-of';
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const HELM_RELEASE_NAME = 'meta.helm.sh/release-name';
export const HELM_RELEASE_NAMESPACE = 'meta.helm.sh/release-namespace';
const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
const VALUES_PER_SELECTOR = 50;

/** The classes a namespaced object names, and where the name is read. */
type ClassKind = 'priority' | 'runtime' | 'storage' | 'ingress';

const CLASS_RULES: Record<ClassKind, { gr: string; rule: AppRule; field: string }> = {
  priority: { gr: GR.priorityClasses, rule: 'priority-class', field: 'priorityClassName' },
  runtime: { gr: GR.runtimeClasses, rule: 'runtime-class', field: 'runtimeClassName' },
  storage: { gr: GR.storageClasses, rule: 'storage-class', field: 'storageClassName' },
  ingress: { gr: GR.ingressClasses, rule: 'ingress-class', field: 'ingressClassName' },
};

interface Aggregation {
  clusterRole: string;
  selector: LabelSelector;
  text: string;
}

/**
 * What the detector remembers of the items a backup takes: label values and names, a few
 * strings per item at most, never the items. `coversNamespace` says whether a namespace's
 * items are in the backup (a Service there is the application's).
 */
export class AppFacts {
  private readonly partOf = new Map<string, string>();
  private readonly instances = new Map<string, string>();
  /** `namespace/name` of a Helm release → an item of it. */
  private readonly helmReleases = new Map<string, string>();
  private readonly classes: Record<ClassKind, Map<string, string>> = {
    priority: new Map(),
    runtime: new Map(),
    storage: new Map(),
    ingress: new Map(),
  };
  /** API group → an included CRD of it. */
  private readonly crdGroups = new Map<string, string>();
  private readonly aggregations: Aggregation[] = [];
  private readonly included = new Set<string>();

  constructor(readonly coversNamespace: (namespace: string) => boolean) {}

  /** Called with every item the backup takes, as it is taken. */
  /** `item` is the whole object for the kinds `appReadsSpec` names; for the rest its head is enough. */
  observe(gr: string, item: ObjectHead | KubeObject): void {
    const name = item.metadata.name ?? '';
    const ns = item.metadata.namespace;
    if (ns === undefined || ns === '') {
      this.observeClusterScoped(gr, name, item as KubeObject);
      return;
    }
    const ref = `${gr} ${ns}/${name}`;
    const labels = item.metadata.labels;
    if (labels) {
      remember(this.partOf, labels[PART_OF_LABEL], ref);
      remember(this.instances, labels[INSTANCE_LABEL], ref);
    }
    const release = helmRelease(item);
    if (release) remember(this.helmReleases, release, ref);
    const spec = record((item as Partial<KubeObject>).spec);
    if (!spec) return;
    for (const podSpec of podSpecs(spec)) {
      remember(this.classes.priority, str(podSpec.priorityClassName), ref);
      remember(this.classes.runtime, str(podSpec.runtimeClassName), ref);
    }
    if (gr === 'persistentvolumeclaims') remember(this.classes.storage, str(spec.storageClassName), ref);
    for (const claim of array(spec.volumeClaimTemplates)) {
      remember(this.classes.storage, str(record(record(claim)?.spec)?.storageClassName), ref);
    }
    if (gr === 'ingresses.networking.k8s.io' || gr === 'ingresses.extensions') {
      remember(this.classes.ingress, str(spec.ingressClassName), ref);
      remember(this.classes.ingress, item.metadata.annotations?.[INGRESS_CLASS_ANNOTATION], ref);
    }
  }

  private observeClusterScoped(gr: string, name: string, item: KubeObject): void {
    this.included.add(`${gr}/${name}`);
    const spec = record(item.spec);
    if (gr === GR.crds) remember(this.crdGroups, str(spec?.group), name);
    else if (gr === 'persistentvolumes') remember(this.classes.storage, str(spec?.storageClassName), `${gr} ${name}`);
    else if (gr === GR.clusterRoles) {
      const rule = record(item.aggregationRule);
      for (const sel of array(rule?.clusterRoleSelectors)) {
        const obj = record(sel) as LabelSelectorObject | undefined;
        // An empty selector would aggregate every ClusterRole; Kubernetes' own roles never
        // use one, and reporting the whole cluster would drown the real findings.
        if (!obj || (Object.keys(obj.matchLabels ?? {}).length === 0 && (obj.matchExpressions ?? []).length === 0))
          continue;
        try {
          this.aggregations.push({
            clusterRole: name,
            selector: labelSelectorFromObject(obj),
            text: selectorText(obj),
          });
        } catch {
          // A selector the API server would not have accepted matches nothing.
        }
      }
    }
  }

  isIncluded(gr: string, name: string): boolean {
    return this.included.has(`${gr}/${name}`);
  }

  /** Whether anything was seen that the label rule can match on. */
  get hasAppIdentity(): boolean {
    return this.partOf.size + this.instances.size + this.helmReleases.size > 0;
  }

  /** The cluster-scoped candidates worth listing (see `appLookups`). */
  wants(gr: string): boolean {
    switch (gr) {
      case GR.crds:
        return this.crdGroups.size > 0;
      case GR.apiServices:
      case GR.validatingWebhooks:
      case GR.mutatingWebhooks:
        return true;
      case GR.clusterRoles:
        return this.aggregations.length > 0;
      default: {
        const kind = classKindOf(gr);
        return kind !== undefined && this.classes[kind].size > 0;
      }
    }
  }

  /** Label selectors that find the objects carrying one of the application's identities. */
  identitySelectors(): string[] {
    const out: string[] = [];
    for (const [key, values] of [
      [PART_OF_LABEL, this.partOf],
      [INSTANCE_LABEL, this.instances],
    ] as const) {
      // A bounded number of values per selector, so that the request stays a reasonable URL.
      const sorted = [...values.keys()].sort();
      for (let i = 0; i < sorted.length; i += VALUES_PER_SELECTOR)
        out.push(`${key} in (${sorted.slice(i, i + VALUES_PER_SELECTOR).join(',')})`);
    }
    // Helm's release annotations cannot be selected on; the label Helm sets beside them can,
    // and the annotations then decide (the label alone says nothing about which release).
    if (this.helmReleases.size > 0) out.push(`${MANAGED_BY_LABEL}=Helm`);
    return out;
  }

  /** The first rule that makes this cluster-scoped object the application's, or undefined. */
  ruleFor(gr: string, item: KubeObject): Finding | undefined {
    return this.kindRule(gr, item) ?? this.classRule(gr, item.metadata.name ?? '') ?? this.identityRule(item);
  }

  /** The rules of the kinds an operator installs beside its namespace. */
  private kindRule(gr: string, item: KubeObject): Finding | undefined {
    const spec = record(item.spec);
    switch (gr) {
      case GR.crds: {
        const group = str(spec?.group);
        const sibling = group ? this.crdGroups.get(group) : undefined;
        return group && sibling
          ? {
              rule: 'crd-api-group',
              reason: `it defines a kind of API group ${group}, whose CRD ${sibling} the backup takes`,
            }
          : undefined;
      }
      case GR.apiServices: {
        const svc = this.coveredService(spec?.service);
        return svc
          ? { rule: 'apiservice-backend', reason: `its spec.service ${svc} is in a namespace the backup takes` }
          : undefined;
      }
      case GR.validatingWebhooks:
      case GR.mutatingWebhooks:
        for (const hook of array(item.webhooks)) {
          const svc = this.coveredService(record(record(hook)?.clientConfig)?.service);
          if (svc)
            return {
              rule: 'webhook-backend',
              reason: `its webhook ${str(record(hook)?.name) ?? ''} calls Service ${svc}, in a namespace the backup takes`,
            };
        }
        return undefined;
      case GR.clusterRoles: {
        const name = item.metadata.name ?? '';
        const into = this.aggregations.find((a) => a.clusterRole !== name && matches(a.selector, item.metadata.labels));
        return into
          ? {
              rule: 'aggregated-clusterrole',
              reason: `it is aggregated into ClusterRole ${into.clusterRole}, which the backup takes (aggregationRule selector ${into.text})`,
            }
          : undefined;
      }
      default:
        return undefined;
    }
  }

  /** `namespace/name` of a service reference in a namespace the backup takes. */
  private coveredService(ref: unknown): string | undefined {
    const svc = record(ref);
    const ns = str(svc?.namespace);
    return ns && this.coversNamespace(ns) ? `${ns}/${str(svc?.name) ?? ''}` : undefined;
  }

  private classRule(gr: string, name: string): Finding | undefined {
    const kind = classKindOf(gr);
    const user = kind ? this.classes[kind].get(name) : undefined;
    return kind && user
      ? { rule: CLASS_RULES[kind].rule, reason: `${user} names it in ${CLASS_RULES[kind].field}` }
      : undefined;
  }

  /**
   * Every identity the object carries must be one of the application's, and at least one
   * must be there: an object of the same part-of but another instance (or Helm release)
   * belongs to another copy of the application.
   */
  private identityRule(item: KubeObject): Finding | undefined {
    const labels = item.metadata.labels ?? {};
    const release = helmRelease(item);
    const carried: [string | undefined, Map<string, string>, string][] = [
      [labels[PART_OF_LABEL], this.partOf, `label ${PART_OF_LABEL}=${labels[PART_OF_LABEL] ?? ''}`],
      [labels[INSTANCE_LABEL], this.instances, `label ${INSTANCE_LABEL}=${labels[INSTANCE_LABEL] ?? ''}`],
      [release, this.helmReleases, `Helm release ${release ?? ''}`],
    ];
    let match: string | undefined;
    for (const [value, ours, text] of carried) {
      if (value === undefined) continue;
      const user = ours.get(value);
      if (!user) return undefined;
      match ??= `it carries ${text}, as ${user} does`;
    }
    return match ? { rule: 'app-labels', reason: match } : undefined;
  }
}

/** The lists the detector needs: whole lists of the rule kinds, label-selected lists of the rest. */
export interface AppLookup {
  groupResource: string;
  /** undefined: the whole list. */
  labelSelector?: string;
}

/**
 * Which of the candidate types (cluster-scoped types the backup does not list, whose objects it
 * could take as additional items) to list, and how. Only what the collected facts can match.
 */
export function appLookups(facts: AppFacts, candidateTypes: readonly string[]): AppLookup[] {
  const out: AppLookup[] = [];
  const selectors = facts.identitySelectors();
  for (const gr of candidateTypes) {
    if (facts.wants(gr)) out.push({ groupResource: gr });
    else for (const labelSelector of selectors) out.push({ groupResource: gr, labelSelector });
  }
  return out;
}

/** The candidates that belong to the application and are not already in the backup, each once. */
export function findAppClusterResources(
  facts: AppFacts,
  candidates: Iterable<{ groupResource: string; item: KubeObject }>,
): AppClusterResource[] {
  const seen = new Set<string>();
  const out: AppClusterResource[] = [];
  for (const { groupResource: gr, item } of candidates) {
    const name = item.metadata.name ?? '';
    const key = `${gr}/${name}`;
    if (seen.has(key) || facts.isIncluded(gr, name)) continue;
    seen.add(key);
    const found = facts.ruleFor(gr, item);
    if (found) out.push({ groupResource: gr, name, ...found });
  }
  return out;
}

/** The text of a finding, as the backup's warnings and the dry run give it. */
export function describeLeftOut(found: AppClusterResource): string {
  return `${found.groupResource} ${found.name} is left out, but the application uses it: ${found.reason} (rule ${found.rule}); take it with --include-app-cluster-resources (annotation ${INCLUDE_APP_CLUSTER_RESOURCES_ANNOTATION}: "true")`;
}

/**
 * The annotation's value: true, false (or absent), or a problem naming it. Anything else is
 * refused, never read as false: a typo would silently leave the objects out.
 */
export function parseIncludeAppClusterResources(
  annotations: Readonly<Record<string, string>> | undefined,
): { value: boolean } | { problem: string } {
  const raw = annotations?.[INCLUDE_APP_CLUSTER_RESOURCES_ANNOTATION];
  if (raw === undefined || raw === 'false') return { value: false };
  if (raw === 'true') return { value: true };
  return {
    problem: `annotation ${INCLUDE_APP_CLUSTER_RESOURCES_ANNOTATION}: "${raw}" is not valid: use "true" or "false"`,
  };
}

function classKindOf(gr: string): ClassKind | undefined {
  return (Object.keys(CLASS_RULES) as ClassKind[]).find((k) => CLASS_RULES[k].gr === gr);
}

/**
 * The pod specs an object carries: a Pod's own, a workload's template, a CronJob's job
 * template. Priority classes named `system-*` are built into every cluster: not the application's.
 */
function podSpecs(spec: Record<string, unknown>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const add = (s: Record<string, unknown> | undefined): void => {
    if (!s) return;
    if (str(s.priorityClassName)?.startsWith('system-')) s = { ...s, priorityClassName: undefined };
    out.push(s);
  };
  if ('containers' in spec) add(spec);
  add(record(record(spec.template)?.spec));
  add(record(record(record(record(spec.jobTemplate)?.spec)?.template)?.spec));
  return out;
}

function helmRelease(item: ObjectHead): string | undefined {
  const a = item.metadata.annotations;
  const name = a?.[HELM_RELEASE_NAME];
  const ns = a?.[HELM_RELEASE_NAMESPACE];
  return name && ns ? `${ns}/${name}` : undefined;
}

function remember(map: Map<string, string>, value: string | undefined, ref: string): void {
  if (value && !map.has(value)) map.set(value, ref);
}

function selectorText(obj: LabelSelectorObject): string {
  const parts = Object.entries(obj.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of obj.matchExpressions ?? []) parts.push(`${e.key} ${e.operator} (${(e.values ?? []).join(',')})`);
  return parts.join(',');
}

function record(v: unknown): Record<string, unknown> | undefined {
  return isRecord(v) ? v : undefined;
}

function array(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
