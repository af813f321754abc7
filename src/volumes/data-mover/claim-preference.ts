/**
 * Which node agent should claim a new DataUpload. Any agent may (the first status write wins, claim.ts), but the
 * mover pod lands where the snapshot can be provisioned (the source PV's node affinity, expose-snapshot.ts), and
 * the agent of that node uploads. When the claiming agent is that one, it readies and connects the repository
 * while it exposes the snapshot, and uploads as soon as the volume is mounted; any other agent hands over at
 * `Prepared`, and the upload then waits for the repository's connect. So an agent whose node the source volume
 * cannot reach lets the others claim first for a moment (`OTHER_NODE_CLAIM_DELAY_MS`), and claims only then
 * (that node's agent may be busy or down).
 */
import type { DataUpload } from '../../api/index.ts';
import type { Cluster, ResourceType } from '../../kube/index.ts';
import { PVCS, PVS } from './mover-pod.ts';

/** How long an agent whose node the source volume cannot reach lets the others claim first. */
export const OTHER_NODE_CLAIM_DELAY_MS = 1000;

const NODES: ResourceType = { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false, verbs: [] };

interface NodeSelectorRequirement {
  key?: string;
  operator?: string;
  values?: string[] | null;
}
interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[] | null;
  matchFields?: NodeSelectorRequirement[] | null;
}

/**
 * Whether a node satisfies required node selector terms (a PV's `spec.nodeAffinity.required`): any term whose
 * expressions (on the labels) and fields (`metadata.name`) all hold. No terms: every node does. Pure.
 */
export function nodeSelectorTermsMatch(
  terms: readonly unknown[] | undefined,
  node: { name: string; labels: Readonly<Record<string, string>> },
): boolean {
  if (!terms || terms.length === 0) return true;
  return (terms as NodeSelectorTerm[]).some((term) => {
    const expressions = term.matchExpressions ?? [];
    const fields = term.matchFields ?? [];
    // An empty term matches no node (as the scheduler has it).
    if (expressions.length === 0 && fields.length === 0) return false;
    return (
      expressions.every((r) => requirementHolds(r, node.labels[r.key ?? ''])) &&
      fields.every((r) => r.key === 'metadata.name' && requirementHolds(r, node.name))
    );
  });
}

function requirementHolds(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const actual = Number(value);
      const bound = Number(values[0]);
      if (value === undefined || !Number.isInteger(actual) || !Number.isInteger(bound)) return false;
      return r.operator === 'Gt' ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

/**
 * Whether the source volume of the DataUpload can be used on `node` (its PV's required node affinity). True
 * when that cannot be told (no claim, no PV, no affinity, the node unknown): such an agent claims at once.
 */
export async function sourceVolumeReaches(cluster: Cluster, du: DataUpload, node: string): Promise<boolean> {
  const pvc = await cluster.find(PVCS, du.spec.sourcePVC, du.spec.sourceNamespace);
  const pvName = (pvc?.spec as { volumeName?: string } | undefined)?.volumeName;
  const pv = pvName ? await cluster.find(PVS, pvName) : undefined;
  const terms = (pv?.spec as { nodeAffinity?: { required?: { nodeSelectorTerms?: unknown[] } } } | undefined)
    ?.nodeAffinity?.required?.nodeSelectorTerms;
  return nodeMatches(cluster, node, terms);
}

/** Whether `node` satisfies required node selector terms; true without terms, `ifUnknown` when there is no such node. */
export async function nodeMatches(
  cluster: Cluster,
  node: string,
  terms: readonly unknown[] | undefined,
  ifUnknown = true,
): Promise<boolean> {
  if (!terms || terms.length === 0) return true;
  const self = await cluster.find(NODES, node);
  if (!self) return ifUnknown;
  return nodeSelectorTermsMatch(terms, { name: node, labels: self.metadata.labels ?? {} });
}
