import jsonPatch from 'fast-json-patch';
import type { KubeObject } from '../../kube/object.ts';
import { errorMessage } from '../../util/errors.ts';
import { cloneJson } from '../../util/json.ts';
import { fieldChanges } from '../plan/diff.ts';
import type { FieldChange } from '../plan/types.ts';
import { conditionsMatch, type ModifierSubject } from './conditions.ts';
import { applyMergePatch, isJsonObject } from './json.ts';
import { schemaForKind, strategicMerge } from './strategic-merge.ts';
import type { JsonPatchOperation, ModifierEvent, ResourceModifierRule, ResourceModifiers, RulePatch } from './types.ts';

export interface ModifyTarget extends ModifierSubject {
  /** API group and kind of the object in the target cluster, for strategic merge keys. */
  group: string;
  kind: string;
}

export interface RuleChanges {
  /** `resourceModifierRules[0]`. */
  rule: string;
  changes: FieldChange[];
}

export interface ModifyResult {
  object: KubeObject;
  /** Field changes, rule by rule, for the plan. */
  changes: RuleChanges[];
  /** One per rule that matched, for the restore log. */
  events: ModifierEvent[];
  /** A rule that could not be applied; the item fails with these (reference §4.8, "Errors"). */
  errors: string[];
}

export function ruleName(rule: ResourceModifierRule): string {
  return `resourceModifierRules[${rule.index}]`;
}

/**
 * Applies the rules in order (reference §4.8, "Application"). The conditions of every rule
 * are tested against the object as it was before any rule ran; each matching rule patches
 * the result of the previous one. A JSON patch whose `test` fails leaves the object as that
 * rule found it and is logged; any other failure is an error of that rule. The input is
 * never changed.
 */
export function applyResourceModifiers(modifiers: ResourceModifiers, target: ModifyTarget): ModifyResult {
  const origin = target.object;
  let current = origin;
  const result: ModifyResult = { object: origin, changes: [], events: [], errors: [] };
  const describe = { source: modifiers.source, ...describeObject(target) };
  for (const rule of modifiers.rules) {
    if (!conditionsMatch(rule.conditions, target)) continue;
    const name = ruleName(rule);
    let next: KubeObject | 'test-failed';
    try {
      next = patchObject(current, rule.patch, target);
    } catch (err) {
      result.errors.push(`${name}: ${errorMessage(err)}`);
      continue;
    }
    if (next === 'test-failed') {
      result.events.push({ ...describe, rule: name, outcome: 'skipped', detail: 'a test operation failed' });
      continue;
    }
    const changes = fieldChanges(current, next);
    result.changes.push({ rule: name, changes });
    result.events.push({
      ...describe,
      rule: name,
      outcome: 'modified',
      detail: changes.length === 0 ? 'no field changed' : changes.map((c) => c.path).join(','),
    });
    current = next;
  }
  result.object = current;
  return result;
}

function describeObject(t: ModifyTarget): Omit<ModifierEvent, 'source' | 'rule' | 'outcome' | 'detail'> {
  const name = t.object.metadata.name ?? '';
  const ns = t.sourceNamespace;
  return {
    object: `${t.kind} ${ns !== undefined ? `${ns}/` : ''}${name}`,
    groupResource: t.groupResource,
    name,
    ...(ns !== undefined ? { namespace: ns } : {}),
  };
}

function patchObject(object: KubeObject, patch: RulePatch, target: ModifyTarget): KubeObject | 'test-failed' {
  let out: unknown;
  switch (patch.type) {
    case 'json': {
      const applied = applyJsonPatch(object, patch.operations);
      if (applied === 'test-failed') return applied;
      out = applied;
      break;
    }
    case 'merge':
      out = patch.patches.reduce<unknown>((doc, p) => applyMergePatch(doc, p), object);
      break;
    case 'strategic': {
      const schema = schemaForKind(target.group, target.kind);
      out = patch.patches.reduce<KubeObject>((doc, p, i) => {
        try {
          return strategicMerge(doc, p, schema) as KubeObject;
        } catch (err) {
          throw new Error(`strategicPatches[${i}]: ${errorMessage(err)}`, { cause: err });
        }
      }, object);
      break;
    }
  }
  if (!isJsonObject(out) || !isJsonObject(out.metadata)) {
    throw new Error('the patch leaves no Kubernetes object (an object with metadata)');
  }
  return out as KubeObject;
}

const JSON_PATCH_ERRORS: Readonly<Record<string, string>> = {
  OPERATION_PATH_UNRESOLVABLE: 'the path does not exist',
  OPERATION_PATH_CANNOT_ADD: 'the parent of the path does not exist',
  OPERATION_PATH_ILLEGAL_ARRAY_INDEX: 'the path has an invalid array index',
  OPERATION_VALUE_OUT_OF_BOUNDS: 'the array index is out of bounds',
  OPERATION_FROM_UNRESOLVABLE: 'the from path does not exist',
};

function applyJsonPatch(object: KubeObject, operations: JsonPatchOperation[]): unknown {
  try {
    // On our own copy: a rule's operations apply all or not at all, and the library's copy (a
    // JSON round trip) would round integers beyond 2^53 that the lossless parse kept.
    return jsonPatch.applyPatch(cloneJson(object), operations as jsonPatch.Operation[], true, true).newDocument;
  } catch (err) {
    if (!(err instanceof jsonPatch.JsonPatchError)) throw err;
    if (err.name === 'TEST_OPERATION_FAILED') return 'test-failed';
    const index = err.index ?? 0;
    const op = operations[index];
    const what = JSON_PATCH_ERRORS[err.name] ?? err.name;
    throw new Error(`patches[${index}] (${op?.op ?? ''} ${op?.path ?? ''}): ${what}`, { cause: err });
  }
}
