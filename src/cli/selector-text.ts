/** Label selectors of a spec as one line of text, the way Velero's tables and describe show them. */
import type { LabelSelector as SpecLabelSelector } from '../api/schema.ts';
import { labelSelectorFromObject, selectorToString } from '../selection/label-selector.ts';

export function selectorText(
  labelSelector: SpecLabelSelector | null | undefined,
  orLabelSelectors?: readonly SpecLabelSelector[] | null,
): string {
  const parts = [labelSelector, ...(orLabelSelectors ?? [])].filter((s) => s != null).map(oneSelector);
  const nonEmpty = parts.filter((p) => p !== '');
  return nonEmpty.length === 0 ? '<none>' : nonEmpty.join(' or ');
}

function oneSelector(sel: SpecLabelSelector): string {
  try {
    return selectorToString(labelSelectorFromObject(sel));
  } catch {
    // A malformed selector is still worth showing as the user wrote it.
    return JSON.stringify(sel);
  }
}
