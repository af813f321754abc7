import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ValidationError } from '../../util/errors.ts';
import { parseQuantity } from './quantity.ts';
import type {
  CapacityRange,
  ResourcePolicies,
  VolumePolicy,
  VolumePolicyAction,
  VolumePolicyConditions,
} from './types.ts';

/** Every problem found in a resource-policies document, each with its line. */
export class ResourcePolicyError extends ValidationError {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(problems.map((p) => `resource policies in ${source}: ${p}`).join('; '));
  }
}

/**
 * Volume source names a `volumeTypes` condition may list (the pod volume and PV source fields
 * Velero knows, reference §3.7). Compared lower-cased, so `configMap` and `configmap` both work.
 */
export const VOLUME_TYPES = [
  'awsElasticBlockStore',
  'azureDisk',
  'azureFile',
  'cephfs',
  'cinder',
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'fc',
  'flexVolume',
  'flocker',
  'gcePersistentDisk',
  'gitRepo',
  'glusterfs',
  'hostPath',
  'image',
  'iscsi',
  'local',
  'nfs',
  'persistentVolumeClaim',
  'photonPersistentDisk',
  'portworxVolume',
  'projected',
  'quobyte',
  'rbd',
  'scaleIO',
  'secret',
  'storageos',
  'vsphereVolume',
] as const;
const KNOWN_TYPES = new Map(VOLUME_TYPES.map((t) => [t.toLowerCase(), t]));
const PVC_PHASES = ['Pending', 'Bound', 'Lost'];
const ACTIONS: readonly VolumePolicyAction[] = ['skip', 'fs-backup', 'snapshot'];

/**
 * Parses and checks a resource-policies document strictly (reference §3.7): `version: v1`,
 * `volumePolicies[]` of `{conditions, action: {type}}`. Unknown keys, versions and actions
 * are problems naming their line. Throws
 * ResourcePolicyError listing all of them.
 */
export function parseResourcePolicies(text: string, source: string): ResourcePolicies {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new ResourcePolicyError(
      source,
      doc.errors.map((e) => `line ${lines.linePos(e.pos[0]).line}: invalid YAML: ${e.message.split('\n')[0] ?? ''}`),
    );
  }
  const r = new Reader(lines);
  const top = r.map(doc.contents, 'the document', ['version', 'volumePolicies']);
  const versionNode = top?.get('version');
  const version = versionNode ? r.string(versionNode, 'version') : undefined;
  if (top && !versionNode) r.problem(doc.contents, 'version: required (use v1)');
  else if (version !== undefined && version !== 'v1')
    r.problem(versionNode, `version: unsupported version ${JSON.stringify(version)} (use v1)`);
  const volumePolicies: VolumePolicy[] = [];
  const list = top?.get('volumePolicies');
  if (list !== undefined) {
    if (!isSeq(list)) r.problem(list, 'volumePolicies: must be a list');
    else
      list.items.forEach((item, index) => {
        const p = parsePolicy(r, item as Node, index);
        if (p) volumePolicies.push(p);
      });
  }
  if (r.problems.length > 0) throw new ResourcePolicyError(source, r.problems);
  return { source, volumePolicies };
}

function parsePolicy(r: Reader, node: Node, index: number): VolumePolicy | undefined {
  const at = `volumePolicies[${index}]`;
  const before = r.problems.length;
  const fields = r.map(node, at, ['conditions', 'action']);
  if (!fields) return undefined;
  const conditionsNode = fields.get('conditions');
  const conditions = conditionsNode ? parseConditions(r, conditionsNode, `${at}.conditions`) : {};
  const actionNode = fields.get('action');
  let action: VolumePolicyAction | undefined;
  if (!actionNode) r.problem(node, `${at}.action: required`);
  else {
    const a = r.map(actionNode, `${at}.action`, ['type']);
    const typeNode = a?.get('type');
    const type = typeNode ? r.string(typeNode, `${at}.action.type`) : undefined;
    if (a && !typeNode) r.problem(actionNode, `${at}.action.type: required (skip, fs-backup or snapshot)`);
    else if (type !== undefined && !ACTIONS.includes(type as VolumePolicyAction))
      r.problem(
        typeNode,
        `${at}.action.type: unknown action ${JSON.stringify(type)} (use skip, fs-backup or snapshot)`,
      );
    else action = type as VolumePolicyAction | undefined;
  }
  if (r.problems.length > before || !action) return undefined;
  return { index, line: r.line(node), conditions, action };
}

const CONDITIONS = ['capacity', 'storageClass', 'nfs', 'csi', 'volumeTypes', 'pvcLabels', 'pvcPhase'];

function parseConditions(r: Reader, node: Node, at: string): VolumePolicyConditions {
  const f = r.map(node, at, CONDITIONS);
  const out: VolumePolicyConditions = {};
  if (!f) return out;
  const capacity = f.get('capacity');
  const range = capacity ? parseCapacity(r, capacity, `${at}.capacity`) : undefined;
  if (range) out.capacity = range;
  const sc = f.get('storageClass');
  if (sc) out.storageClass = r.stringList(sc, `${at}.storageClass`);
  const nfs = f.get('nfs');
  if (nfs) out.nfs = parseNfs(r, nfs, `${at}.nfs`);
  const csi = f.get('csi');
  if (csi) out.csi = parseCsi(r, csi, `${at}.csi`);
  const types = f.get('volumeTypes');
  if (types) out.volumeTypes = parseVolumeTypes(r, types, `${at}.volumeTypes`);
  const labels = f.get('pvcLabels');
  if (labels) out.pvcLabels = r.stringMap(labels, `${at}.pvcLabels`);
  const phases = f.get('pvcPhase');
  if (phases) {
    out.pvcPhase = r.stringList(phases, `${at}.pvcPhase`);
    for (const p of out.pvcPhase)
      if (!PVC_PHASES.includes(p))
        r.problem(phases, `${at}.pvcPhase: unknown phase ${JSON.stringify(p)} (use ${PVC_PHASES.join(', ')})`);
  }
  return out;
}

function parseNfs(r: Reader, node: Node, at: string): NonNullable<VolumePolicyConditions['nfs']> {
  const n = r.map(node, at, ['server', 'path'], true);
  const out: NonNullable<VolumePolicyConditions['nfs']> = {};
  const server = n?.get('server');
  const path = n?.get('path');
  if (server) out.server = r.string(server, `${at}.server`) ?? '';
  if (path) out.path = r.string(path, `${at}.path`) ?? '';
  return out;
}

function parseCsi(r: Reader, node: Node, at: string): NonNullable<VolumePolicyConditions['csi']> {
  const c = r.map(node, at, ['driver', 'volumeAttributes'], true);
  const out: NonNullable<VolumePolicyConditions['csi']> = {};
  const driver = c?.get('driver');
  const attrs = c?.get('volumeAttributes');
  if (driver) out.driver = r.string(driver, `${at}.driver`) ?? '';
  if (attrs) out.volumeAttributes = r.stringMap(attrs, `${at}.volumeAttributes`);
  if (out.volumeAttributes && Object.keys(out.volumeAttributes).length > 0 && !out.driver)
    r.problem(attrs, `${at}.volumeAttributes: needs csi.driver`);
  return out;
}

function parseVolumeTypes(r: Reader, node: Node, at: string): string[] {
  const out: string[] = [];
  for (const [i, t] of r.stringList(node, at).entries()) {
    const known = KNOWN_TYPES.get(t.toLowerCase());
    if (known) out.push(known.toLowerCase());
    else
      r.problem(
        isSeq(node) ? node.items[i] : node,
        `${at}: unknown volume type ${JSON.stringify(t)} (e.g. emptyDir, csi, nfs, local, hostPath)`,
      );
  }
  return out;
}

function parseCapacity(r: Reader, node: Node, at: string): CapacityRange | undefined {
  const text = r.string(node, at);
  if (text === undefined) return undefined;
  const parts = text.split(',');
  if (parts.length !== 2) {
    r.problem(
      node,
      `${at}: ${JSON.stringify(text)} is not "min,max" (either side may be empty, e.g. "10Gi," or ",1Ti")`,
    );
    return undefined;
  }
  const range: CapacityRange = { text };
  for (const [i, side] of parts.entries()) {
    const s = side.trim();
    if (s === '') continue;
    const n = parseQuantity(s);
    if (n === undefined || n < 0) {
      r.problem(node, `${at}: ${JSON.stringify(s)} is not a Kubernetes quantity (e.g. 10Gi, 500M)`);
      return undefined;
    }
    if (i === 0) range.min = n;
    else range.max = n;
  }
  if (range.min !== undefined && range.max !== undefined && range.min > range.max) {
    r.problem(
      node,
      `${at}: the minimum ${parts[0]?.trim() ?? ''} is larger than the maximum ${parts[1]?.trim() ?? ''}`,
    );
    return undefined;
  }
  return range;
}

/** Walks YAML nodes, collecting problems that name the line. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly lines: LineCounter) {}

  line(node: unknown): number {
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    return range ? this.lines.linePos(range[0]).line : 1;
  }

  problem(node: unknown, text: string): void {
    this.problems.push(`line ${this.line(node)}: ${text}`);
  }

  /** A mapping's values by key; unknown keys are problems. `{}`/null is an empty map when `emptyOk`. */
  map(node: unknown, at: string, keys: readonly string[], emptyOk = false): Map<string, Node> | undefined {
    if (emptyOk && isScalar(node) && node.value === null) return new Map();
    if (!isMap(node)) {
      this.problem(node, `${at}: must be a mapping`);
      return undefined;
    }
    const out = new Map<string, Node>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (!keys.includes(key)) {
        this.problem(pair.key, `${at}: unknown key ${JSON.stringify(key)} (known: ${keys.join(', ')})`);
        continue;
      }
      out.set(key, (pair.value ?? pair.key) as Node);
    }
    return out;
  }

  string(node: Node, at: string): string | undefined {
    if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number')) return String(node.value);
    this.problem(node, `${at}: must be a string`);
    return undefined;
  }

  stringList(node: Node, at: string): string[] {
    if (!isSeq(node)) {
      this.problem(node, `${at}: must be a list`);
      return [];
    }
    const out: string[] = [];
    for (const item of node.items) {
      const s = this.string(item as Node, `${at}[]`);
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  stringMap(node: Node, at: string): Record<string, string> {
    if (isScalar(node) && node.value === null) return {};
    if (!isMap(node)) {
      this.problem(node, `${at}: must be a mapping of strings`);
      return {};
    }
    const out: Record<string, string> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const value = pair.value ? this.string(pair.value as Node, `${at}.${key}`) : undefined;
      if (value !== undefined) out[key] = value;
      else if (!pair.value) this.problem(pair.key, `${at}.${key}: must be a string`);
    }
    return out;
  }
}
