/**
 * CustomResourceDefinitions for the velero.io kinds, built from the schemas in
 * this folder. `scripts/gen-crds.ts` writes them to `config/crds/velero.io.yaml`;
 * `install.ts` applies them.
 */
import type { KubeObject } from '../kube/object.ts';
import { ALL_KINDS, type PrinterColumn } from './kinds.ts';
import { Labels } from './labels.ts';

type JsonSchema = Record<string, unknown>;

/**
 * Keywords the API server accepts in a CRD schema (apiextensions.k8s.io/v1
 * JSONSchemaProps), minus `$ref`/`patternProperties`/`const`, which it rejects
 * or which break structural schemas. Anything else is a bug in our schemas, so
 * `toCrdSchema` fails loudly rather than emitting a CRD the server refuses.
 */
const ALLOWED_KEYWORDS = new Set([
  'type',
  'format',
  'description',
  'default',
  'enum',
  'nullable',
  'properties',
  'required',
  'items',
  'additionalProperties',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'multipleOf',
]);

/**
 * Turns a typebox schema into a plain, structural OpenAPI v3 schema:
 * - a JSON round trip drops typebox's non-enumerable markers (`~kind`, `~optional`);
 * - `type: [T, 'null']` (how we spell nullable for typebox) becomes `type: T, nullable: true`;
 * - every node must have a `type` unless it preserves unknown fields
 *   (a Kubernetes structural-schema rule).
 */
export function toCrdSchema(schema: unknown, path = ''): JsonSchema {
  const plain = JSON.parse(JSON.stringify(schema)) as unknown;
  return convertNode(plain, path || '(root)');
}

function convertNode(node: unknown, path: string): JsonSchema {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) {
    throw new Error(`CRD schema at ${path} is not an object`);
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node as JsonSchema)) {
    if (key.startsWith('x-kubernetes-')) out[key] = value;
    else if (!ALLOWED_KEYWORDS.has(key)) throw new Error(`CRD schema at ${path} uses unsupported keyword "${key}"`);
    else if (key === 'type') Object.assign(out, convertType(value, path));
    else if (key === 'properties') out.properties = convertProperties(value, path);
    else if (key === 'items') out.items = convertNode(value, `${path}[]`);
    else if (key === 'additionalProperties' && typeof value === 'object') {
      out.additionalProperties = convertNode(value, `${path}{}`);
    } else out[key] = value;
  }
  if (out.type === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    if (out['x-kubernetes-int-or-string'] !== true) throw new Error(`CRD schema at ${path} has no type`);
  }
  // An empty `properties` adds nothing and differs from what the API server echoes back.
  if (isEmptyObject(out.properties)) delete out.properties;
  return out;
}

function convertType(value: unknown, path: string): JsonSchema {
  if (typeof value === 'string') return { type: value };
  if (Array.isArray(value)) {
    const types = value.filter((t) => t !== 'null');
    if (types.length === 1 && types.length < value.length) return { type: types[0], nullable: true };
  }
  throw new Error(`CRD schema at ${path} has type ${JSON.stringify(value)}; only one type (optionally nullable)`);
}

function convertProperties(value: unknown, path: string): JsonSchema {
  if (typeof value !== 'object' || value === null) throw new Error(`CRD schema at ${path}: bad properties`);
  const out: JsonSchema = {};
  for (const [name, prop] of Object.entries(value as JsonSchema)) {
    out[name] = convertNode(prop, `${path}.${name}`);
  }
  return out;
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

/**
 * What a CRD is built from: a velero.io `KindInfo`, or a kind of Skiff's own groups
 * (tenant.skiff.dev), which may be cluster-scoped and carry CEL rules in their schemas.
 */
export interface CrdKind {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames: readonly string[];
  scope: 'Namespaced' | 'Cluster';
  statusSubresource: boolean;
  description: string;
  printerColumns: readonly PrinterColumn[];
  spec: unknown;
  status: unknown;
  /** Objects without a spec are refused (the tenant kinds: their spec carries required fields). */
  specRequired?: boolean;
}

/** The CRD name the API server requires: `<plural>.<group>`. */
export function crdName(kind: CrdKind): string {
  return `${kind.plural}.${kind.group}`;
}

/** One kind's CustomResourceDefinition. */
export function buildCrd(kind: CrdKind): KubeObject {
  const openAPIV3Schema: JsonSchema = {
    type: 'object',
    description: kind.description,
    properties: {
      apiVersion: { type: 'string', description: 'Versioned schema of this object.' },
      kind: { type: 'string', description: 'The REST resource this object represents.' },
      metadata: { type: 'object' },
      spec: toCrdSchema(kind.spec, `${kind.kind}.spec`),
      status: toCrdSchema(kind.status, `${kind.kind}.status`),
    },
  };
  if (kind.specRequired) openAPIV3Schema.required = ['spec'];
  const version: JsonSchema = {
    name: kind.version,
    served: true,
    storage: true,
    schema: { openAPIV3Schema },
    additionalPrinterColumns: kind.printerColumns,
  };
  if (kind.statusSubresource) version.subresources = { status: {} };
  const names: JsonSchema = {
    kind: kind.kind,
    listKind: `${kind.kind}List`,
    plural: kind.plural,
    singular: kind.singular,
  };
  if (kind.shortNames.length > 0) names.shortNames = [...kind.shortNames];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName(kind), labels: { [Labels.Component]: 'velero' } },
    spec: { group: kind.group, names, scope: kind.scope, versions: [version] },
  };
}

/** Every velero.io CRD, in the stable order of the kinds registry. */
export function buildCrds(): KubeObject[] {
  return ALL_KINDS.map(buildCrd);
}
