/**
 * Building blocks shared by the velero.io schemas.
 *
 * Every schema here has two readers: typebox (TS types and `Value.Check` in the
 * parsers) and the Kubernetes API server (the CRD's `openAPIV3Schema`). The API
 * server only accepts *structural* schemas, so we never use typebox's `Union`,
 * `Literal` or `Record` (they emit `anyOf`/`const`/`patternProperties`). Instead:
 * - string enums are `{type: string, enum: [...]}`;
 * - maps are `{type: object, additionalProperties: {type: string}}`;
 * - "nullable" is written as `type: [T, 'null']`, which typebox validates and
 *   `crds.ts` rewrites to OpenAPI's `nullable: true`.
 */
import { Type, type Static, type TSchema, type TUnsafe } from 'typebox';

/** A schema that also accepts JSON `null` (Go pointers and slices marshal nil as null). */
export function Nullable<T extends TSchema>(schema: T): TUnsafe<Static<T> | null> {
  const plain = { ...(schema as unknown as Record<string, unknown>) };
  const type = plain.type;
  if (typeof type !== 'string') throw new Error('Nullable() needs a schema with a single `type`');
  return Type.Unsafe<Static<T> | null>({ ...plain, type: [type, 'null'] });
}

/** `{type: string, enum}`: the structural form of a union of string literals. */
export function StringEnum<const V extends readonly string[]>(
  values: V,
  options: { description?: string; default?: V[number] } = {},
): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options });
}

/** A phase field: the enum of an `as const` phase object's values. */
export function PhaseEnum<const P extends Record<string, string>>(
  phases: P,
  options: { description?: string; default?: P[keyof P] } = {},
): TUnsafe<P[keyof P]> {
  return Type.Unsafe<P[keyof P]>({
    type: 'string',
    enum: Object.values(phases),
    description: 'Current phase.',
    ...options,
  });
}

/** `map[string]string` (labels, config, tags), as Velero's CRDs declare it. */
export function StringMap(description?: string): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>({
    type: 'object',
    additionalProperties: { type: 'string' },
    ...(description ? { description } : {}),
  });
}

/**
 * An object whose contents the API server must keep as-is
 * (`x-kubernetes-preserve-unknown-fields`): raw containers in init hooks, etc.
 */
export function PreserveUnknown(description?: string): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    ...(description ? { description } : {}),
  });
}

/** A Go `time.Duration` in its string form (`720h`, `10m0s`); kept as text, parsed where it is used. */
export function Duration(description: string) {
  return Type.String({ description });
}

/** A `metav1.Time` (RFC 3339); nullable because a zero time marshals as null. */
export function Timestamp(description: string) {
  return Nullable(Type.String({ format: 'date-time', description }));
}

export function Int64(description: string) {
  return Type.Integer({ format: 'int64', description });
}

export function Int(description: string) {
  return Type.Integer({ description });
}

/** `[]string` as Velero declares its filter lists (nullable). */
export function StringList(description: string) {
  return Nullable(Type.Array(Type.String(), { description }));
}

/** `*bool` in Velero's Go types: unset, null and false differ in meaning for some fields. */
export function OptionalBool(description: string) {
  return Nullable(Type.Boolean({ description }));
}

/** metav1.LabelSelector. */
export const LabelSelectorSchema = Type.Object(
  {
    matchLabels: Type.Optional(StringMap('Label key/value pairs; every pair must match.')),
    matchExpressions: Type.Optional(
      Type.Array(
        Type.Object({
          key: Type.String(),
          operator: Type.String({ description: 'In, NotIn, Exists or DoesNotExist.' }),
          values: Type.Optional(Type.Array(Type.String())),
        }),
      ),
    ),
  },
  { 'x-kubernetes-map-type': 'atomic' },
);
export type LabelSelector = Static<typeof LabelSelectorSchema>;

export function LabelSelectorField(description: string) {
  return Nullable(Type.Object(LabelSelectorSchema.properties, { 'x-kubernetes-map-type': 'atomic', description }));
}

/** core/v1 SecretKeySelector: a key in a Secret of the Velero namespace. */
export const SecretKeySelectorSchema = Type.Object(
  {
    key: Type.String({ description: 'The key of the secret to select from.' }),
    name: Type.Optional(Type.String({ description: 'Name of the Secret.' })),
    optional: Type.Optional(Type.Boolean()),
  },
  { 'x-kubernetes-map-type': 'atomic' },
);
export type SecretKeySelector = Static<typeof SecretKeySelectorSchema>;

/** core/v1 TypedLocalObjectReference (Velero uses it with kind `configmap`). */
export const TypedLocalObjectReferenceSchema = Type.Object(
  {
    apiGroup: Type.Optional(Type.String()),
    kind: Type.String(),
    name: Type.String(),
  },
  { 'x-kubernetes-map-type': 'atomic' },
);
export type TypedLocalObjectReference = Static<typeof TypedLocalObjectReferenceSchema>;

/** core/v1 ObjectReference (the pod of a PodVolumeBackup/Restore). */
export const ObjectReferenceSchema = Type.Object(
  {
    apiVersion: Type.Optional(Type.String()),
    fieldPath: Type.Optional(Type.String()),
    kind: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    namespace: Type.Optional(Type.String()),
    resourceVersion: Type.Optional(Type.String()),
    uid: Type.Optional(Type.String()),
  },
  { 'x-kubernetes-map-type': 'atomic' },
);
export type ObjectReference = Static<typeof ObjectReferenceSchema>;

/** Byte progress of a data path (PVB, PVR, DataUpload, DataDownload). */
export const DataProgressSchema = Type.Object({
  totalBytes: Type.Optional(Int64('Total bytes to transfer.')),
  bytesDone: Type.Optional(Int64('Bytes transferred so far.')),
});
export type DataProgress = Static<typeof DataProgressSchema>;

/** Hook execution counts (1.13+), shared by Backup and Restore status. */
export const HookStatusSchema = Type.Object({
  hooksAttempted: Type.Optional(Int('Hooks attempted.')),
  hooksFailed: Type.Optional(Int('Hooks that failed.')),
});
export type HookStatus = Static<typeof HookStatusSchema>;

/** A hook's error mode; only an explicit `Fail` makes a failure fatal (reference §3.6). */
export const HookErrorMode = { Continue: 'Continue', Fail: 'Fail' } as const;
export type HookErrorMode = (typeof HookErrorMode)[keyof typeof HookErrorMode];

/**
 * Phases shared by PodVolumeBackup, PodVolumeRestore, DataUpload and
 * DataDownload (reference §1.10).
 */
export const DataPathPhase = {
  New: 'New',
  Accepted: 'Accepted',
  Prepared: 'Prepared',
  InProgress: 'InProgress',
  Canceling: 'Canceling',
  Canceled: 'Canceled',
  Completed: 'Completed',
  Failed: 'Failed',
} as const;
export type DataPathPhase = (typeof DataPathPhase)[keyof typeof DataPathPhase];

/** Uploader used by pod-volume backups: kopia for new data, restic only for legacy backups. */
export const UploaderType = { Kopia: 'kopia', Restic: 'restic' } as const;
export type UploaderType = (typeof UploaderType)[keyof typeof UploaderType];

export const UploaderTypeField = StringEnum(['kopia', 'restic', ''], {
  description: 'kopia (default when empty) or restic (legacy backups only).',
});
