import { SkiffError } from '../util/errors.ts';

/**
 * Kubernetes label selectors: the string form (`a=b,c!=d,e in (x,y),f notin (z),g,!h`)
 * used by `-l/--selector` and the API's `labelSelector` query parameter, and the
 * `metav1.LabelSelector` object form used in Backup/Restore specs (reference §1.1,
 * §1.2). Semantics follow apimachinery's `labels` package.
 */

export const SELECTOR_OPERATORS = ['=', '==', '!=', 'in', 'notin', 'exists', '!', 'gt', 'lt'] as const;
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  /** Sorted; empty for `exists` and `!`. */
  readonly values: readonly string[];
}

/** A parsed selector: requirements ANDed together, sorted by key. No requirement matches everything. */
export interface LabelSelector {
  readonly requirements: readonly Requirement[];
}

/** `metav1.LabelSelector` as it appears in a spec. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: readonly { key: string; operator: string; values?: readonly string[] | null }[] | null;
}

export type Labels = Readonly<Record<string, string>> | null | undefined;

export class LabelSelectorError extends SkiffError {
  readonly code = 'InvalidLabelSelector';
  constructor(
    readonly selector: string,
    detail: string,
  ) {
    super(`invalid label selector "${selector}": ${detail}`);
  }
}

export const EVERYTHING: LabelSelector = { requirements: [] };

export function isEverything(selector: LabelSelector): boolean {
  return selector.requirements.length === 0;
}

export function matches(selector: LabelSelector, labels: Labels): boolean {
  return selector.requirements.every((r) => requirementMatches(r, labels ?? {}));
}

function requirementMatches(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return has && value !== undefined && r.values.includes(value);
    case '!=':
    case 'notin':
      return !has || value === undefined || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt':
      return has && compareInteger(r, value);
  }
}

function compareInteger(r: Requirement, value: string | undefined): boolean {
  if (value === undefined || !/^-?\d+$/u.test(value)) return false;
  const actual = BigInt(value);
  const bound = BigInt(r.values[0] ?? '0');
  return r.operator === 'gt' ? actual > bound : actual < bound;
}

/** The string form the API server accepts, as apimachinery prints it. */
export function selectorToString(selector: LabelSelector): string {
  return selector.requirements.map(requirementToString).join(',');
}

function requirementToString(r: Requirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0] ?? ''}`;
    case 'lt':
      return `${r.key}<${r.values[0] ?? ''}`;
    default:
      return `${r.key}${r.operator}${r.values[0] ?? ''}`;
  }
}

// --- validation of keys and values (apimachinery's qualified name and label value rules) ---

const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/u;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/u;

export function labelKeyError(key: string): string | null {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    if (prefix === '') return `key "${key}": prefix part must be non-empty`;
    if (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) {
      return `key "${key}": prefix part must be a lowercase RFC 1123 subdomain`;
    }
  }
  if (name === '') return `key "${key}": name part must be non-empty`;
  if (name.length > 63) return `key "${key}": name part must be no more than 63 characters`;
  if (!NAME_PART.test(name)) {
    return `key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  }
  return null;
}

export function labelValueError(value: string): string | null {
  if (value === '') return null;
  if (value.length > 63) return `value "${value}": must be no more than 63 characters`;
  if (!NAME_PART.test(value)) {
    return `value "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  }
  return null;
}

/** Builds a requirement, checking it as apimachinery's `NewRequirement` does. Returns an error detail or the requirement. */
export function makeRequirement(
  key: string,
  operator: SelectorOperator,
  values: readonly string[],
): Requirement | string {
  const keyErr = labelKeyError(key);
  if (keyErr) return keyErr;
  if ((operator === 'in' || operator === 'notin') && values.length === 0) {
    return "for 'in', 'notin' operators, values set can't be empty";
  }
  if (['=', '==', '!='].includes(operator) && values.length !== 1) {
    return 'exact-match compatibility requires one single value';
  }
  if ((operator === 'exists' || operator === '!') && values.length !== 0) {
    return 'values set must be empty for exists and does not exist';
  }
  if (operator === 'gt' || operator === 'lt') {
    if (values.length !== 1 || !/^-?\d+$/u.test(values[0] ?? '')) {
      return "for 'Gt', 'Lt' operators, exactly one integer value is required";
    }
  } else {
    for (const v of values) {
      const valErr = labelValueError(v);
      if (valErr) return valErr;
    }
  }
  return { key, operator, values: [...new Set(values)].sort() };
}

export function sortRequirements(requirements: Requirement[]): LabelSelector {
  // apimachinery keeps requirements sorted by key, which makes toString stable.
  return { requirements: [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) };
}
