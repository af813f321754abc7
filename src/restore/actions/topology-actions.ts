import type { KubeObject } from '../../kube/object.ts';
import { asArray, asRecord, getPath, jsonPointer, type FieldRewrite, type RestoreItemAction } from './types.ts';

/**
 * Label of the topology map, a plugin ConfigMap in the server's namespace (labels
 * `velero.io/plugin-config: ""` and `skiff.io/change-topology: RestoreItemAction`), whose
 * `data` maps zone and region values of the source cluster to those of the target cluster,
 * one `old: new` pair per key, as Velero's change-storage-class ConfigMap maps class names.
 * Velero has no such action; a Velero server ignores the ConfigMap.
 */
export const CHANGE_TOPOLOGY_LABEL = 'skiff.io/change-topology';

/**
 * Whether values of this node-label key name a zone or a region: the well-known
 * `topology.kubernetes.io/{zone,region}`, the legacy `failure-domain.beta.kubernetes.io/{zone,region}`,
 * and any other `<prefix>/zone` or `<prefix>/region` key, which is how CSI drivers name the
 * topology of the volumes they provision (`topology.ebs.csi.aws.com/zone`, `topology.gke.io/zone`).
 */
export function isTopologyKey(key: string): boolean {
  const name = key.slice(key.lastIndexOf('/') + 1);
  return name === 'zone' || name === 'region';
}

// Kubernetes label values: at most 63 characters, alphanumerics with -_. inside.
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Problems with a topology map's data, one line each; empty when it is usable. */
export function topologyMapProblems(data: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const entries = Object.entries(data);
  if (entries.length === 0) problems.push('it has no data: add one "<source zone or region>: <target>" pair per key');
  for (const [from, to] of entries) {
    if (typeof to !== 'string' || to === '') {
      problems.push(`the value for ${JSON.stringify(from)} is empty: name the zone or region it becomes`);
    } else if (to.length > 63 || !LABEL_VALUE.test(to)) {
      problems.push(`the value for ${JSON.stringify(from)}, ${JSON.stringify(to)}, is not a valid label value`);
    }
  }
  return problems;
}

/** Pod templates, by kind: where the pod spec sits in each workload (the same kinds as change-image-name). */
const POD_SPEC_PATHS: Record<string, readonly string[]> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/**
 * `skiff.io/change-topology`: rewrites zone and region values through the topology map, for
 * a restore into a cluster in other zones or another region. Only values of topology keys
 * (see `isTopologyKey`) change; keys never do. It rewrites:
 * - PersistentVolumes: the values in `spec.nodeAffinity.required` and the topology labels;
 * - PersistentVolumeClaims and StatefulSet claim templates: `spec.selector`, which selects PVs by those labels;
 * - pods and pod templates: `nodeSelector` and node affinity (required and preferred terms);
 * - StorageClasses: `allowedTopologies`.
 * Pod (anti-)affinity and `topologySpreadConstraints` name topology *keys* and select pods by
 * their labels; they hold no zone or region value. With the default `nodeAffinityPolicy: Honor`
 * a spread constraint counts only the nodes the (rewritten) node selector and affinity allow,
 * so it follows the map by itself. A PVC's `volume.kubernetes.io/selected-node` names a
 * node of the source cluster: `velero.io/pvc` always removes it (reference §4.5). Other pins
 * to a source node (a `kubernetes.io/hostname` selector or PV affinity, a template's
 * `nodeName`) cannot be translated by zone: they stay, with a warning naming them.
 * ControllerRevisions keep the source template: they are history named by its hash, and the
 * StatefulSet or DaemonSet controller records a new revision from the rewritten template.
 */
export const changeTopologyAction: RestoreItemAction = {
  name: CHANGE_TOPOLOGY_LABEL,
  appliesTo: [
    'persistentvolumes',
    'persistentvolumeclaims',
    'storageclasses.storage.k8s.io',
    'pods',
    'podtemplates',
    'deployments.apps',
    'statefulsets.apps',
    'daemonsets.apps',
    'replicasets.apps',
    'replicationcontrollers',
    'jobs.batch',
    'cronjobs.batch',
  ],
  execute({ item, env }) {
    const map = env.pluginConfigs[CHANGE_TOPOLOGY_LABEL];
    if (!map) return { item };
    const { rewrites, warnings } = rewriteTopology(item, map);
    return { item, ...(rewrites.length > 0 ? { rewrites } : {}), ...(warnings.length > 0 ? { warnings } : {}) };
  },
};

/** Node-name label: a value names one node, which a topology map cannot translate. */
const HOSTNAME_KEY = 'kubernetes.io/hostname';

export interface TopologyRewrite {
  /** Each value changed. */
  rewrites: FieldRewrite[];
  /** Pins to nodes of the source cluster (hostname selectors, a template's nodeName), which stay as they are. */
  warnings: string[];
}

/** Rewrites the object in place and says what it changed and what it could not. Pure apart from that mutation. */
export function rewriteTopology(item: KubeObject, map: Record<string, string>): TopologyRewrite {
  const r = new Rewriter(map);
  switch (item.kind) {
    case 'PersistentVolume':
      r.labels(item.metadata.labels, ['metadata', 'labels']);
      r.nodeSelectorTerms(getPath(item, 'spec', 'nodeAffinity', 'required', 'nodeSelectorTerms'), [
        'spec',
        'nodeAffinity',
        'required',
        'nodeSelectorTerms',
      ]);
      break;
    case 'PersistentVolumeClaim':
      r.labelSelector(getPath(item, 'spec', 'selector'), ['spec', 'selector']);
      break;
    case 'StorageClass':
      asArray(item.allowedTopologies).forEach((t, i) =>
        r.requirements(asRecord(t)?.matchLabelExpressions, ['allowedTopologies', String(i), 'matchLabelExpressions']),
      );
      break;
  }
  if (item.kind === 'StatefulSet') {
    asArray(getPath(item, 'spec', 'volumeClaimTemplates')).forEach((t, i) =>
      r.labelSelector(getPath(t, 'spec', 'selector'), ['spec', 'volumeClaimTemplates', String(i), 'spec', 'selector']),
    );
  }
  const podSpecPath = POD_SPEC_PATHS[item.kind];
  if (podSpecPath) r.podSpec(getPath(item, ...podSpecPath), [...podSpecPath], item.kind !== 'Pod');
  return { rewrites: r.rewrites, warnings: r.warnings };
}

class Rewriter {
  readonly rewrites: FieldRewrite[] = [];
  readonly warnings: string[] = [];
  constructor(private readonly map: Record<string, string>) {}

  private mapped(value: unknown): string | undefined {
    if (typeof value !== 'string' || !Object.hasOwn(this.map, value)) return undefined;
    const to = this.map[value];
    return to === undefined || to === '' || to === value ? undefined : to;
  }

  private record(path: readonly string[], from: string, to: string): void {
    this.rewrites.push({ action: CHANGE_TOPOLOGY_LABEL, path: jsonPointer(path), from, to });
  }

  private pinned(path: readonly string[], nodes: readonly unknown[]): void {
    const names = nodes.filter((n) => typeof n === 'string').map((n) => JSON.stringify(n));
    if (names.length === 0) return;
    this.warnings.push(
      `${jsonPointer(path)} names node ${names.join(', ')} of the source cluster; ` +
        `${CHANGE_TOPOLOGY_LABEL} rewrites zones and regions only, so this stays as it is`,
    );
  }

  /** A `key: value` map (labels, nodeSelector, matchLabels). */
  labels(value: unknown, path: readonly string[]): void {
    const map = asRecord(value);
    if (!map) return;
    for (const [key, v] of Object.entries(map)) {
      if (key === HOSTNAME_KEY) this.pinned([...path, key], [v]);
      const to = isTopologyKey(key) ? this.mapped(v) : undefined;
      if (to === undefined) continue;
      map[key] = to;
      this.record([...path, key], v as string, to);
    }
  }

  /** `[{key, operator, values}]`: node selector requirements and label selector expressions alike. */
  requirements(value: unknown, path: readonly string[]): void {
    asArray(value).forEach((e, i) => {
      const req = asRecord(e);
      if (!req || typeof req.key !== 'string' || !Array.isArray(req.values)) return;
      if (req.key === HOSTNAME_KEY && req.operator === 'In') this.pinned([...path, String(i)], req.values as unknown[]);
      if (!isTopologyKey(req.key)) return;
      const values = req.values as unknown[];
      values.forEach((v, j) => {
        const to = this.mapped(v);
        if (to === undefined) return;
        values[j] = to;
        this.record([...path, String(i), 'values', String(j)], v as string, to);
      });
    });
  }

  nodeSelectorTerms(value: unknown, path: readonly string[]): void {
    asArray(value).forEach((t, i) =>
      this.requirements(asRecord(t)?.matchExpressions, [...path, String(i), 'matchExpressions']),
    );
  }

  labelSelector(value: unknown, path: readonly string[]): void {
    const sel = asRecord(value);
    if (!sel) return;
    this.labels(sel.matchLabels, [...path, 'matchLabels']);
    this.requirements(sel.matchExpressions, [...path, 'matchExpressions']);
  }

  /** `template`: a workload's pod template, whose `nodeName` (unlike a pod's, which `velero.io/pod` clears) stays. */
  podSpec(value: unknown, path: readonly string[], template: boolean): void {
    const spec = asRecord(value);
    if (!spec) return;
    if (template && typeof spec.nodeName === 'string' && spec.nodeName !== '') {
      this.pinned([...path, 'nodeName'], [spec.nodeName]);
    }
    this.labels(spec.nodeSelector, [...path, 'nodeSelector']);
    const nodeAffinity = asRecord(getPath(spec, 'affinity', 'nodeAffinity'));
    if (!nodeAffinity) return;
    const base = [...path, 'affinity', 'nodeAffinity'];
    const required = 'requiredDuringSchedulingIgnoredDuringExecution';
    const preferred = 'preferredDuringSchedulingIgnoredDuringExecution';
    this.nodeSelectorTerms(getPath(nodeAffinity, required, 'nodeSelectorTerms'), [
      ...base,
      required,
      'nodeSelectorTerms',
    ]);
    asArray(nodeAffinity[preferred]).forEach((p, i) =>
      this.requirements(getPath(p, 'preference', 'matchExpressions'), [
        ...base,
        preferred,
        String(i),
        'preference',
        'matchExpressions',
      ]),
    );
  }
}
