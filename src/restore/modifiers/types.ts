import type { LabelSelector } from '../../selection/index.ts';

/**
 * Resource modifiers (reference §4.8), parsed and checked: the document in the ConfigMap
 * named by a Restore's `spec.resourceModifier`. Values are ready to use: regexes compiled,
 * JSON patch values typed, merge and strategic patch data parsed.
 */
export interface ResourceModifiers {
  /** Where the rules came from, for messages: `ConfigMap velero/my-modifiers`. */
  source: string;
  rules: ResourceModifierRule[];
}

export interface ResourceModifierRule {
  /** Position in `resourceModifierRules`, for messages and the plan. */
  index: number;
  conditions: ModifierConditions;
  patch: RulePatch;
}

export interface ModifierConditions {
  /** Glob with `.` as separator, e.g. `deployments.apps`, `*.apps`. */
  groupResource: string;
  resourceNameRegex?: RegExp;
  /** Globs, matched against the source namespace; ignored for cluster-scoped objects. */
  namespaces: string[];
  labelSelector?: LabelSelector;
  /** JSON-patch `test` operations that must all pass. */
  matches: JsonPatchOperation[];
}

/** One RFC 6902 operation with its value already typed (reference §4.8, "Value typing"). */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

export type RulePatch =
  | { type: 'json'; operations: JsonPatchOperation[] }
  | { type: 'merge'; patches: Record<string, unknown>[] }
  | { type: 'strategic'; patches: Record<string, unknown>[] };

/** What applying the rules did to one object, for the restore log. */
export interface ModifierEvent {
  /** `ConfigMap velero/my-modifiers`. */
  source: string;
  /** `resourceModifierRules[2]`. */
  rule: string;
  /** `ConfigMap app/settings`. */
  object: string;
  groupResource: string;
  name: string;
  namespace?: string;
  /** `modified`, or `skipped` when a JSON-patch `test` failed (reference §4.8). */
  outcome: 'modified' | 'skipped';
  detail?: string;
}
