/**
 * Parsing velero.io objects that come from the cluster, from YAML a user wrote,
 * or from a backup tarball. The check is the same schema the CRD carries, so an
 * object that passes here would also pass the API server; unknown fields are
 * kept untouched (Velero may be newer than us, and we must not drop its data).
 */
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { KubeObject, ObjectMeta } from '../kube/object.ts';
import { SkiffError } from '../util/errors.ts';

/** What a parser needs to know about a kind. */
export interface KindSchema<Spec extends TSchema, Status extends TSchema> {
  apiVersion: string;
  kind: string;
  spec: Spec;
  status: Status;
}

/** A velero.io object: a KubeObject whose spec and status follow the kind's schema. */
export interface VeleroObject<Spec, Status> extends KubeObject {
  spec: Spec;
  status?: Status;
}

export interface ObjectProblem {
  /** Dotted path of the offending field, e.g. `spec.hooks.resources[0].name`. */
  field: string;
  message: string;
}

/** An object that does not match its kind's schema. Carries the object's identity and every problem found. */
export class InvalidObjectError extends SkiffError {
  readonly code = 'InvalidObject';
  constructor(
    readonly kind: string,
    readonly objectName: string | undefined,
    readonly objectNamespace: string | undefined,
    readonly problems: ObjectProblem[],
  ) {
    const who = `${kind} ${objectNamespace ? `${objectNamespace}/` : ''}${objectName ?? '(unnamed)'}`;
    const what = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
    super(`${who} is invalid: ${what}`);
  }
}

/** Loose metadata check: the API server owns metadata validation, we only need the types we read. */
const MetadataSchema = Type.Object({
  name: Type.Optional(Type.String()),
  generateName: Type.Optional(Type.String()),
  namespace: Type.Optional(Type.String()),
  labels: Type.Optional(
    Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' } }),
  ),
  annotations: Type.Optional(
    Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' } }),
  ),
});

const MAX_PROBLEMS = 5;

/**
 * Checks `obj` against a kind and returns it typed. A missing `spec` is read as
 * `{}` when the kind's spec has no required field (Go marshals an empty spec
 * as `{}`, but a hand-written manifest may leave it out); nothing else is
 * changed or defaulted, so what we write back is what we read.
 */
export function parseKind<Spec extends TSchema, Status extends TSchema>(
  def: KindSchema<Spec, Status>,
  obj: unknown,
): VeleroObject<Static<Spec>, Static<Status>> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new InvalidObjectError(def.kind, undefined, undefined, [{ field: '(root)', message: 'must be an object' }]);
  }
  const raw = obj as Record<string, unknown>;
  const meta = (typeof raw.metadata === 'object' && raw.metadata !== null ? raw.metadata : {}) as ObjectMeta;
  const candidate = raw.spec === undefined && Value.Check(def.spec, {}) ? { ...raw, spec: {} } : raw;

  const problems: ObjectProblem[] = [];
  if (raw.apiVersion !== def.apiVersion) {
    problems.push({ field: 'apiVersion', message: `must be ${def.apiVersion} (got ${describe(raw.apiVersion)})` });
  }
  if (raw.kind !== def.kind) {
    problems.push({ field: 'kind', message: `must be ${def.kind} (got ${describe(raw.kind)})` });
  }
  problems.push(...schemaProblems('metadata', MetadataSchema, raw.metadata, true));
  problems.push(...schemaProblems('spec', def.spec, candidate.spec, true));
  problems.push(...schemaProblems('status', def.status, raw.status, false));
  if (problems.length > 0) {
    throw new InvalidObjectError(
      def.kind,
      meta.name ?? meta.generateName,
      meta.namespace,
      problems.slice(0, MAX_PROBLEMS),
    );
  }
  return candidate as VeleroObject<Static<Spec>, Static<Status>>;
}

function schemaProblems(root: string, schema: TSchema, value: unknown, required: boolean): ObjectProblem[] {
  if (value === undefined) return required ? [{ field: root, message: 'is required' }] : [];
  if (Value.Check(schema, value)) return [];
  const seen = new Set<string>();
  const out: ObjectProblem[] = [];
  const errors = Value.Errors(schema, value);
  for (const err of errors) {
    const field = root + fieldPath(err.instancePath);
    // A bad map value is reported twice: at the value, and as "must not have additional
    // properties" on the map. The first says more.
    if (err.keyword === 'additionalProperties' && errors.some((e) => e !== err && isInside(e.instancePath, err))) {
      continue;
    }
    for (const problem of describeError(field, err)) {
      const key = `${problem.field}: ${problem.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(problem);
    }
  }
  return out;
}

function isInside(pointer: string, parent: { instancePath: string }): boolean {
  return pointer.startsWith(`${parent.instancePath}/`);
}

interface SchemaError {
  keyword: string;
  params: unknown;
  message: string;
}

/** One problem per missing field (the validator reports them on the parent), enums list their values. */
function describeError(field: string, err: SchemaError): ObjectProblem[] {
  const params = (typeof err.params === 'object' && err.params !== null ? err.params : {}) as Record<string, unknown>;
  if (err.keyword === 'required' && Array.isArray(params.requiredProperties)) {
    return params.requiredProperties.map((prop) => ({ field: `${field}.${String(prop)}`, message: 'is required' }));
  }
  if (err.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    const allowed = params.allowedValues.map((v) => JSON.stringify(v)).join(', ');
    return [{ field, message: `must be one of ${allowed}` }];
  }
  return [{ field, message: err.message }];
}

/** `/hooks/resources/0/name` → `.hooks.resources[0].name`. */
function fieldPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join('');
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
