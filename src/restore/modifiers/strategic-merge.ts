import { jsonEqual } from '../plan/diff.ts';
import { isJsonObject, type JsonObject } from './json.ts';

/**
 * Strategic merge patch, as the Kubernetes API server applies it to built-in kinds:
 * - maps merge key by key, `null` removes a key;
 * - lists of objects that Kubernetes declares with a merge key (a pod's `containers` by
 *   `name`, a container's `ports` by `containerPort`, ...) merge element by element: an
 *   element whose key matches is merged into, a new one is appended;
 * - lists Kubernetes declares as merged sets of primitives (`metadata.finalizers`) are unioned;
 * - every other list is replaced whole;
 * - directives: `$patch: replace` (this map or list replaces the original), `$patch: delete`
 *   (remove this map, or the list element with this key), `$retainKeys`,
 *   `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>`.
 *
 * The merge keys are those of the built-in types' Go struct tags (patchMergeKey /
 * patchStrategy) for the fields that restores touch; see `schemaForKind`. A kind Kubernetes
 * does not know (a custom resource) has no merge keys: maps merge and lists are replaced,
 * as a JSON merge patch would do, and the directives still work.
 */

/** How one field merges. */
export type FieldSchema =
  | { kind: 'map'; fields: Readonly<Record<string, FieldSchema>> }
  | { kind: 'list'; mergeKey: string; item?: FieldSchema }
  | { kind: 'set' };

const map = (fields: Record<string, FieldSchema>): FieldSchema => ({ kind: 'map', fields });
const list = (mergeKey: string, item?: FieldSchema): FieldSchema => ({
  kind: 'list',
  mergeKey,
  ...(item ? { item } : {}),
});
const SET: FieldSchema = { kind: 'set' };

const OBJECT_META = map({ finalizers: SET, ownerReferences: list('uid') });
const CONTAINER = map({
  ports: list('containerPort'),
  env: list('name'),
  volumeMounts: list('mountPath'),
  volumeDevices: list('devicePath'),
});
const POD_SPEC = map({
  containers: list('name', CONTAINER),
  initContainers: list('name', CONTAINER),
  ephemeralContainers: list('name', CONTAINER),
  volumes: list('name'),
  imagePullSecrets: list('name'),
  hostAliases: list('ip'),
  topologySpreadConstraints: list('topologyKey'),
  resourceClaims: list('name'),
  schedulingGates: list('name'),
});
const POD_TEMPLATE = map({ metadata: OBJECT_META, spec: POD_SPEC });
const WITH_TEMPLATE = map({ metadata: OBJECT_META, spec: map({ template: POD_TEMPLATE }) });

const KINDS: Readonly<Record<string, FieldSchema>> = {
  Pod: map({ metadata: OBJECT_META, spec: POD_SPEC }),
  PodTemplate: map({ metadata: OBJECT_META, template: POD_TEMPLATE }),
  Deployment: WITH_TEMPLATE,
  ReplicaSet: WITH_TEMPLATE,
  StatefulSet: WITH_TEMPLATE,
  DaemonSet: WITH_TEMPLATE,
  Job: WITH_TEMPLATE,
  ReplicationController: WITH_TEMPLATE,
  CronJob: map({
    metadata: OBJECT_META,
    spec: map({ jobTemplate: map({ metadata: OBJECT_META, spec: map({ template: POD_TEMPLATE }) }) }),
  }),
  Service: map({ metadata: OBJECT_META, spec: map({ ports: list('port') }) }),
  ServiceAccount: map({ metadata: OBJECT_META, secrets: list('name') }),
  MutatingWebhookConfiguration: map({ metadata: OBJECT_META, webhooks: list('name') }),
  ValidatingWebhookConfiguration: map({ metadata: OBJECT_META, webhooks: list('name') }),
};

/** API groups whose kinds the Kubernetes (and Velero) scheme knows: strategic merge applies. */
const BUILT_IN_GROUPS = new Set([
  '',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'apps',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'extensions',
  'flowcontrol.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'velero.io',
]);

const NO_KEYS: FieldSchema = map({});

/** The merge schema of a kind: merge keys for built-in kinds, none for custom resources. */
export function schemaForKind(group: string, kind: string): FieldSchema {
  if (!BUILT_IN_GROUPS.has(group)) return NO_KEYS;
  return KINDS[kind] ?? map({ metadata: OBJECT_META });
}

/** Whether strategic merge knows the kind (otherwise it behaves as a merge patch). */
export function isBuiltInGroup(group: string): boolean {
  return BUILT_IN_GROUPS.has(group);
}

export class StrategicMergeError extends Error {
  constructor(path: string, message: string) {
    super(`${path === '' ? '(root)' : path}: ${message}`);
    this.name = 'StrategicMergeError';
  }
}

const DELETE = Symbol('delete');
const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM = '$deleteFromPrimitiveList/';
const ORDER = '$setElementOrder/';

/** Applies a strategic merge patch to `original`; returns a new object. Throws StrategicMergeError. */
export function strategicMerge(original: JsonObject, patch: JsonObject, schema: FieldSchema): JsonObject {
  const merged = mergeMap(original, patch, schema, '');
  if (merged === DELETE) throw new StrategicMergeError('', '$patch: delete would delete the whole object');
  return merged;
}

/** Directive mistakes in a patch, found before any object is patched (for validation). */
export function strategicPatchProblems(patch: unknown, path = ''): string[] {
  const problems: string[] = [];
  if (Array.isArray(patch)) {
    patch.forEach((el, i) => problems.push(...strategicPatchProblems(el, `${path}/${i}`)));
    return problems;
  }
  if (!isJsonObject(patch)) return problems;
  for (const [key, value] of Object.entries(patch)) {
    const at = `${path}/${key}`;
    if (key === PATCH) {
      if (value !== 'replace' && value !== 'delete' && value !== 'merge') {
        problems.push(`${at}: ${JSON.stringify(value)} is not a $patch directive (use replace, delete or merge)`);
      }
    } else if (key === RETAIN_KEYS || key.startsWith(DELETE_FROM) || key.startsWith(ORDER)) {
      if (!Array.isArray(value)) problems.push(`${at}: must be a list`);
      else if (key === RETAIN_KEYS && !value.every((v) => typeof v === 'string')) {
        problems.push(`${at}: must be a list of field names`);
      }
    } else if (key.startsWith('$')) {
      problems.push(`${at}: unknown directive ${key}`);
    } else {
      problems.push(...strategicPatchProblems(value, at));
    }
  }
  return problems;
}

function fieldsOf(schema: FieldSchema | undefined): Readonly<Record<string, FieldSchema>> {
  return schema?.kind === 'map' ? schema.fields : {};
}

function mergeMap(
  original: JsonObject | undefined,
  patch: JsonObject,
  schema: FieldSchema | undefined,
  path: string,
): JsonObject | typeof DELETE {
  const directive = patch[PATCH];
  if (directive === 'delete') return DELETE;
  if (directive === 'replace') return mergeMap(undefined, withoutKey(patch, PATCH), schema, path);
  if (directive !== undefined && directive !== 'merge') {
    throw new StrategicMergeError(path, `${JSON.stringify(directive)} is not a $patch directive`);
  }
  const fields = fieldsOf(schema);
  const result: JsonObject = { ...original };
  const retain = patch[RETAIN_KEYS];
  if (Array.isArray(retain)) {
    for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  }
  const orders: [string, unknown[]][] = [];
  for (const [key, value] of Object.entries(patch)) {
    const at = `${path}/${key}`;
    if (key === PATCH || key === RETAIN_KEYS) continue;
    if (key.startsWith(ORDER)) {
      orders.push([key.slice(ORDER.length), asList(value, at)]);
    } else if (key.startsWith(DELETE_FROM)) {
      const field = key.slice(DELETE_FROM.length);
      const drop = asList(value, at);
      const current = result[field];
      if (Array.isArray(current)) result[field] = current.filter((v) => !drop.some((d) => jsonEqual(d, v)));
    } else if (key.startsWith('$')) {
      throw new StrategicMergeError(at, `unknown directive ${key}`);
    } else if (value === null) {
      delete result[key];
    } else {
      const merged = mergeValue(result[key], value, fields[key], at);
      if (merged === DELETE) delete result[key];
      else result[key] = merged;
    }
  }
  for (const [field, order] of orders) {
    const current = result[field];
    if (Array.isArray(current)) result[field] = reorder(current, order, fields[field]);
  }
  return result;
}

function mergeValue(original: unknown, patch: unknown, schema: FieldSchema | undefined, path: string): unknown {
  if (isJsonObject(patch)) return mergeMap(isJsonObject(original) ? original : undefined, patch, schema, path);
  if (!Array.isArray(patch)) return patch;
  const base = Array.isArray(original) ? original : [];
  if (schema?.kind === 'list') return mergeKeyedList(base, patch, schema, path);
  if (schema?.kind === 'set') return mergeSet(base, patch, path);
  return replaceList(patch, path);
}

/** A list without merge key: the patch's list replaces the original (a `$patch: replace` marker aside). */
function replaceList(patch: unknown[], path: string): unknown[] {
  const out: unknown[] = [];
  patch.forEach((el, i) => {
    if (isJsonObject(el) && el[PATCH] !== undefined) {
      if (el[PATCH] === 'replace' && Object.keys(el).length === 1) return;
      throw new StrategicMergeError(`${path}/${i}`, 'this list has no merge key, so $patch cannot name an element');
    }
    out.push(isJsonObject(el) ? mergeMap(undefined, el, undefined, `${path}/${i}`) : el);
  });
  return out;
}

function mergeKeyedList(
  original: unknown[],
  patch: unknown[],
  schema: { mergeKey: string; item?: FieldSchema },
  path: string,
): unknown[] {
  const key = schema.mergeKey;
  const replace = patch.some((el) => isJsonObject(el) && el[PATCH] === 'replace' && Object.keys(el).length === 1);
  const result = replace ? [] : [...original];
  patch.forEach((el, i) => {
    const at = `${path}/${i}`;
    if (!isJsonObject(el)) throw new StrategicMergeError(at, `elements of this list are objects merged by "${key}"`);
    if (replace && el[PATCH] === 'replace' && Object.keys(el).length === 1) return;
    if (!Object.hasOwn(el, key)) throw new StrategicMergeError(at, `element lacks the merge key "${key}"`);
    const index = result.findIndex((x) => isJsonObject(x) && jsonEqual(x[key], el[key]));
    if (el[PATCH] === 'delete') {
      if (index >= 0) result.splice(index, 1);
      return;
    }
    const merged = mergeMap(index >= 0 ? (result[index] as JsonObject) : undefined, el, schema.item, at);
    if (merged === DELETE) return;
    if (index >= 0) result[index] = merged;
    else result.push(merged);
  });
  return result;
}

/** A merged list of primitives (`finalizers`): the union, original order first. */
function mergeSet(original: unknown[], patch: unknown[], path: string): unknown[] {
  const result = [...original];
  patch.forEach((el, i) => {
    if (isJsonObject(el) || Array.isArray(el)) {
      throw new StrategicMergeError(`${path}/${i}`, 'elements of this list are plain values');
    }
    if (!result.some((x) => jsonEqual(x, el))) result.push(el);
  });
  return result;
}

/** `$setElementOrder`: the listed elements in the given order, then the others as they were. */
function reorder(current: unknown[], order: unknown[], schema: FieldSchema | undefined): unknown[] {
  const key = schema?.kind === 'list' ? schema.mergeKey : undefined;
  const same = (el: unknown, o: unknown): boolean =>
    key !== undefined && isJsonObject(el) && isJsonObject(o) ? jsonEqual(el[key], o[key]) : jsonEqual(el, o);
  const placed = new Set<number>();
  const out: unknown[] = [];
  for (const o of order) {
    const i = current.findIndex((el, j) => !placed.has(j) && same(el, o));
    if (i >= 0) {
      placed.add(i);
      out.push(current[i]);
    }
  }
  current.forEach((el, j) => {
    if (!placed.has(j)) out.push(el);
  });
  return out;
}

function asList(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new StrategicMergeError(path, 'must be a list');
  return value;
}

function withoutKey(obj: JsonObject, key: string): JsonObject {
  const { [key]: _dropped, ...rest } = obj;
  return rest;
}
