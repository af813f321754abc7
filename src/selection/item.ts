import { matches, type LabelSelector, type Labels } from './label-selector.ts';

/** What the selection logic needs to know about one object; planners build it from the listed or archived JSON. */
export interface SelectionItem {
  /** `pods`, `deployments.apps`, `persistentvolumes`. */
  readonly groupResource: string;
  readonly namespaced: boolean;
  /** The object's namespace (the source namespace on restore); absent or '' for cluster-scoped objects. */
  readonly namespace?: string;
  readonly name: string;
  readonly labels?: Labels;
  readonly annotations?: Labels;
  /** `metadata.deletionTimestamp`, when set. */
  readonly deletionTimestamp?: string | null;
}

export type Decision = { readonly included: true } | { readonly included: false; readonly reason: string };

export const INCLUDED: Decision = { included: true };

/** A named filter: returns why the item is out, or null. The planner keeps the first reason (STYLE.md). */
export type Predicate<S> = (selection: S, item: SelectionItem) => string | null;

/** Runs predicates in order and keeps the first reason. */
export function firstReason<S>(selection: S, item: SelectionItem, predicates: readonly Predicate<S>[]): Decision {
  for (const predicate of predicates) {
    const reason = predicate(selection, item);
    if (reason !== null) return { included: false, reason };
  }
  return INCLUDED;
}

/** The label selection both specs share: one selector, or an OR of several. */
export interface LabelSelection {
  readonly labelSelector?: LabelSelector;
  readonly orLabelSelectors: readonly LabelSelector[];
}

export function hasLabelSelection(s: LabelSelection): boolean {
  return s.labelSelector !== undefined || s.orLabelSelectors.length > 0;
}

/** Reason the item's labels fail the selector(s), or null when they pass (or none is set). */
export function labelSelectionReason(s: LabelSelection, labels: Labels): string | null {
  if (s.labelSelector && !matches(s.labelSelector, labels)) return 'labels do not match spec.labelSelector';
  if (s.orLabelSelectors.length > 0 && !s.orLabelSelectors.some((sel) => matches(sel, labels))) {
    return 'labels match none of spec.orLabelSelectors';
  }
  return null;
}
