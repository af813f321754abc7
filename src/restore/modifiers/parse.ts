import { parseDocument } from 'yaml';
import type { KubeObject } from '../../kube/object.ts';
import { labelSelectorFromObject, type LabelSelector, type LabelSelectorObject } from '../../selection/index.ts';
import { ValidationError, errorMessage } from '../../util/errors.ts';
import { isJsonObject, type JsonObject } from './json.ts';
import { typedPatchValue } from './patch-value.ts';
import { strategicPatchProblems } from './strategic-merge.ts';
import type {
  JsonPatchOperation,
  ModifierConditions,
  ResourceModifierRule,
  ResourceModifiers,
  RulePatch,
} from './types.ts';

/** Every problem found in a resource-modifier document; the Restore lists them in FailedValidation. */
export class ResourceModifiersError extends ValidationError {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(problems.map((p) => `resource modifiers in ${source}: ${p}`).join('; '));
  }
}

const OPERATIONS = ['add', 'remove', 'replace', 'move', 'copy', 'test'] as const;
const PATCH_LISTS = ['patches', 'mergePatches', 'strategicPatches'] as const;

/**
 * The rules of the ConfigMap a Restore's `spec.resourceModifier` names (reference §4.8):
 * exactly one data key, whose value is the YAML document. Throws ResourceModifiersError.
 */
export function resourceModifiersFromConfigMap(cm: KubeObject): ResourceModifiers {
  const source = `ConfigMap ${cm.metadata.namespace ?? ''}/${cm.metadata.name ?? ''}`;
  const data = isJsonObject(cm.data) ? cm.data : {};
  const keys = Object.keys(data);
  if (keys.length !== 1) {
    const found = keys.length === 0 ? 'none' : keys.map((k) => JSON.stringify(k)).join(', ');
    throw new ResourceModifiersError(source, [`the ConfigMap must hold exactly one data key, found ${found}`]);
  }
  const text = data[keys[0] ?? ''];
  return parseResourceModifiers(typeof text === 'string' ? text : '', source);
}

/**
 * Parses and checks the document strictly (unknown fields are errors): `version: v1`
 * (any case), a non-empty `resourceModifierRules`, each rule with `conditions` and exactly
 * one of `patches`, `mergePatches`, `strategicPatches`. Regexes, label selectors, patch
 * operations and patch data are all checked here, so a bad rule fails the Restore's
 * validation instead of each object it would touch.
 */
export function parseResourceModifiers(text: string, source: string): ResourceModifiers {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ResourceModifiersError(
      source,
      doc.errors.map((e) => `invalid YAML: ${e.message}`),
    );
  }
  const problems: string[] = [];
  const top = new Fields(doc.toJS() as unknown, '', problems);
  const version = top.string('version');
  if (version === undefined) problems.push('version: required (use v1)');
  else if (version.toLowerCase() !== 'v1')
    problems.push(`version: unsupported version ${JSON.stringify(version)} (use v1)`);
  const rawRules = top.list('resourceModifierRules');
  top.done();
  if (rawRules !== undefined && rawRules.length === 0)
    problems.push('resourceModifierRules: must list at least one rule');
  if (rawRules === undefined && top.isObject) problems.push('resourceModifierRules: required');
  const rules: ResourceModifierRule[] = [];
  (rawRules ?? []).forEach((raw, index) => {
    const rule = parseRule(raw, index, problems);
    if (rule) rules.push(rule);
  });
  if (problems.length > 0) throw new ResourceModifiersError(source, problems);
  return { source, rules };
}

function parseRule(raw: unknown, index: number, problems: string[]): ResourceModifierRule | undefined {
  const at = `resourceModifierRules[${index}]`;
  const before = problems.length;
  const f = new Fields(raw, at, problems);
  const conditions = parseConditions(f.object('conditions'), `${at}.conditions`, problems);
  const lists = new Map(PATCH_LISTS.map((k) => [k, f.list(k) ?? []]));
  const given = PATCH_LISTS.filter((k) => (lists.get(k)?.length ?? 0) > 0);
  let patch: RulePatch | undefined;
  if (given.length !== 1 && f.isObject) {
    problems.push(
      given.length === 0
        ? `${at}: needs one of patches, mergePatches or strategicPatches`
        : `${at}: only one of patches, mergePatches or strategicPatches may be given, found ${given.join(' and ')}`,
    );
  } else if (given[0] === 'patches') {
    const operations = (lists.get('patches') ?? []).map((p, i) => jsonOperation(p, `${at}.patches[${i}]`, problems));
    patch = { type: 'json', operations };
  } else if (given[0] !== undefined) {
    const name = given[0];
    const type = name === 'mergePatches' ? 'merge' : 'strategic';
    const patches = (lists.get(name) ?? []).map((p, i) => patchData(p, `${at}.${name}[${i}]`, type, problems));
    patch = { type, patches };
  }
  f.done();
  if (problems.length > before || !conditions || !patch) return undefined;
  return { index, conditions, patch };
}

function parseConditions(raw: unknown, at: string, problems: string[]): ModifierConditions | undefined {
  if (raw === undefined) {
    problems.push(`${at}: required`);
    return undefined;
  }
  const f = new Fields(raw, at, problems);
  const groupResource = f.string('groupResource');
  if (f.isObject && (groupResource === undefined || groupResource === ''))
    problems.push(`${at}.groupResource: required`);
  const regex = f.string('resourceNameRegex');
  const resourceNameRegex = regex ? goRegExp(regex, `${at}.resourceNameRegex`, problems) : undefined;
  const namespaces = f.stringList('namespaces') ?? [];
  const selectorRaw = f.object('labelSelector');
  const labelSelector =
    selectorRaw === undefined ? undefined : parseSelector(selectorRaw, `${at}.labelSelector`, problems);
  const matches = (f.list('matches') ?? []).map((m, i) => {
    const mf = new Fields(m, `${at}.matches[${i}]`, problems);
    const path = pointer(mf.string('path'), `${at}.matches[${i}].path`, problems);
    const value = typed(mf.raw('value'), `${at}.matches[${i}].value`, problems);
    mf.done();
    return { op: 'test' as const, path, value };
  });
  f.done();
  return {
    groupResource: groupResource ?? '',
    ...(resourceNameRegex ? { resourceNameRegex } : {}),
    namespaces,
    ...(labelSelector ? { labelSelector } : {}),
    matches,
  };
}

function parseSelector(raw: unknown, at: string, problems: string[]): LabelSelector | undefined {
  const f = new Fields(raw, at, problems);
  f.object('matchLabels');
  f.list('matchExpressions')?.forEach((e, i) => {
    const ef = new Fields(e, `${at}.matchExpressions[${i}]`, problems);
    ef.string('key');
    ef.string('operator');
    ef.stringList('values');
    ef.done();
  });
  f.done();
  try {
    return labelSelectorFromObject(raw as LabelSelectorObject);
  } catch (err) {
    problems.push(`${at}: ${errorMessage(err)}`);
    return undefined;
  }
}

function jsonOperation(raw: unknown, at: string, problems: string[]): JsonPatchOperation {
  const f = new Fields(raw, at, problems);
  const op = f.string('operation');
  const path = pointer(f.string('path'), `${at}.path`, problems);
  const from = f.string('from');
  const hasValue = f.has('value');
  const value = typed(f.raw('value'), `${at}.value`, problems);
  f.done();
  const known = (OPERATIONS as readonly string[]).includes(op ?? '');
  if (f.isObject && !known) {
    problems.push(
      `${at}.operation: ${op === undefined ? 'required' : JSON.stringify(op)} (use one of ${OPERATIONS.join(', ')})`,
    );
  }
  const operation = (known ? op : 'test') as JsonPatchOperation['op'];
  if ((operation === 'move' || operation === 'copy') && known) {
    if (from === undefined) problems.push(`${at}.from: required for ${operation}`);
    else pointer(from, `${at}.from`, problems);
  }
  return {
    op: operation,
    path,
    ...(from !== undefined ? { from } : {}),
    ...(operation === 'add' || operation === 'replace' || operation === 'test' || hasValue ? { value } : {}),
  };
}

function patchData(raw: unknown, at: string, type: 'merge' | 'strategic', problems: string[]): JsonObject {
  const f = new Fields(raw, at, problems);
  const data = f.raw('patchData');
  f.done();
  if (!f.isObject) return {};
  let parsed: unknown = data;
  if (typeof data === 'string') {
    const doc = parseDocument(data, { uniqueKeys: true, prettyErrors: false });
    if (doc.errors.length > 0) {
      problems.push(`${at}.patchData: invalid YAML or JSON: ${doc.errors.map((e) => e.message).join('; ')}`);
      return {};
    }
    parsed = doc.toJS() as unknown;
  }
  if (!isJsonObject(parsed)) {
    problems.push(`${at}.patchData: ${data === undefined ? 'required' : 'must be a YAML or JSON mapping'}`);
    return {};
  }
  if (type === 'strategic') problems.push(...strategicPatchProblems(parsed).map((p) => `${at}.patchData: ${p}`));
  return parsed;
}

function typed(raw: unknown, at: string, problems: string[]): unknown {
  const t = typedPatchValue(raw);
  if ('error' in t) problems.push(`${at}: ${t.error}`);
  return 'value' in t ? t.value : undefined;
}

function pointer(path: string | undefined, at: string, problems: string[]): string {
  if (path === undefined) problems.push(`${at}: required`);
  else if (path !== '' && !path.startsWith('/'))
    problems.push(`${at}: ${JSON.stringify(path)} is not a JSON pointer (it starts with /)`);
  return path ?? '';
}

/**
 * A Go (RE2) regular expression as a JavaScript one. The syntax is shared but for leading
 * flag groups such as `(?i)`, which become RegExp flags.
 */
function goRegExp(source: string, at: string, problems: string[]): RegExp | undefined {
  const flagGroup = /^\(\?([imsU]+)\)/u.exec(source);
  const flags = new Set(['u']);
  let body = source;
  if (flagGroup?.[1]) {
    body = source.slice(flagGroup[0].length);
    for (const f of flagGroup[1]) {
      if (f === 'U') {
        problems.push(`${at}: the flag U (ungreedy) is not supported`);
        return undefined;
      }
      flags.add(f);
    }
  }
  try {
    return new RegExp(body, [...flags].join(''));
  } catch (err) {
    problems.push(`${at}: invalid regular expression ${JSON.stringify(source)}: ${errorMessage(err)}`);
    return undefined;
  }
}

/**
 * Reads the fields of one mapping, recording a problem for a wrong type and, in `done`,
 * for each field nobody asked for (strict parsing, reference §4.8).
 */
class Fields {
  private readonly seen = new Set<string>();
  private readonly obj: JsonObject;
  readonly isObject: boolean;

  constructor(
    raw: unknown,
    private readonly at: string,
    private readonly problems: string[],
  ) {
    this.isObject = isJsonObject(raw);
    this.obj = isJsonObject(raw) ? raw : {};
    if (!this.isObject) problems.push(`${at || 'document'}: must be a mapping`);
  }

  has(key: string): boolean {
    return Object.hasOwn(this.obj, key) && this.obj[key] !== null;
  }

  raw(key: string): unknown {
    this.seen.add(key);
    return this.obj[key];
  }

  string(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    this.problems.push(`${this.path(key)}: must be a string`);
    return undefined;
  }

  object(key: string): JsonObject | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (isJsonObject(v)) return v;
    this.problems.push(`${this.path(key)}: must be a mapping`);
    return undefined;
  }

  list(key: string): unknown[] | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v)) return v as unknown[];
    this.problems.push(`${this.path(key)}: must be a list`);
    return undefined;
  }

  stringList(key: string): string[] | undefined {
    const v = this.list(key);
    if (v === undefined) return undefined;
    if (v.every((x) => typeof x === 'string')) return v;
    this.problems.push(`${this.path(key)}: must be a list of strings`);
    return undefined;
  }

  /** Records every field that was not read. */
  done(): void {
    for (const key of Object.keys(this.obj)) {
      if (!this.seen.has(key)) this.problems.push(`${this.path(key)}: unknown field`);
    }
  }

  private path(key: string): string {
    return this.at === '' ? key : `${this.at}.${key}`;
  }
}
