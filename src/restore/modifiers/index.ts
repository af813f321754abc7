export { applyResourceModifiers, ruleName, type ModifyResult, type ModifyTarget } from './apply.ts';
export { conditionsMatch, type ModifierSubject } from './conditions.ts';
export { applyMergePatch } from './json.ts';
export { loadResourceModifiers, resourceModifierProblems } from './load.ts';
export { modifyPreparedItem, type PlanResourceModifiers } from './modify-item.ts';
export { parseResourceModifiers, resourceModifiersFromConfigMap, ResourceModifiersError } from './parse.ts';
export { typedPatchValue } from './patch-value.ts';
export { schemaForKind, strategicMerge, strategicPatchProblems, StrategicMergeError } from './strategic-merge.ts';
export type * from './types.ts';
