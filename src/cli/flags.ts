/**
 * Parsers for flag values, shared by the verbs. Each returns the value or throws a
 * FlagError naming the flag and the expected form; none touches the cluster.
 */
import { labelKeyError, labelValueError, parseLabelSelector, type LabelSelector } from '../selection/label-selector.ts';
import type { LabelSelector as SpecLabelSelector } from '../api/schema.ts';
import { errorMessage } from '../util/errors.ts';
import { parseDuration } from '../util/duration.ts';
import { FlagError } from './errors.ts';

/** For repeatable flags: commander calls this with each occurrence. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Comma-separated and repeatable (`--include-namespaces a,b --include-namespaces c`); empty entries dropped. */
export function splitList(values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const out = values.flatMap((v) => v.split(',')).map((v) => v.trim());
  return out.filter((v) => v !== '');
}

/** `k=v,k2=v2` (repeatable). Values may contain `=`; keys may not be empty. */
export function parseKeyValues(values: readonly string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of splitList(values) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new FlagError([`${flag}: "${pair}" is not key=value (e.g. ${flag} app=web,tier=db)`]);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/** Labels for metadata: key=value pairs whose keys and values Kubernetes accepts. */
export function parseLabels(values: readonly string[] | undefined, flag = '--labels'): Record<string, string> {
  const labels = parseKeyValues(values, flag);
  const problems: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const err = labelKeyError(k) ?? labelValueError(v);
    if (err) problems.push(`${flag}: ${err}`);
  }
  if (problems.length > 0) throw new FlagError(problems);
  return labels;
}

/** The metadata of an object a create verb makes: empty `--labels` / `--annotations` leave no empty map behind. */
export function newObjectMetadata(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
): { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> } {
  return {
    name,
    namespace,
    ...(Object.keys(labels).length > 0 ? { labels } : {}),
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

const TRUE = new Set(['true', '1', 't', 'yes']);
const FALSE = new Set(['false', '0', 'f', 'no']);

/**
 * An optional bool (`--flag`, `--flag=true`, `--flag=false`, or absent = unset): the
 * three states Velero's `*bool` spec fields need. Commander gives `true` for the bare flag.
 */
export function parseOptionalBool(value: string | boolean | undefined, flag: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  const v = value.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new FlagError([`${flag}: "${value}" is not a boolean: use ${flag}=true or ${flag}=false`]);
}

/** A Go duration (`720h`, `1h30m`), returned in the form the API stores (`720h0m0s`). */
export function parseDurationFlag(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    return goDuration(parseDuration(value, 'duration'));
  } catch (err) {
    throw new FlagError([`${flag}: ${errorMessage(err)}`]);
  }
}

/**
 * The `--timeout` of the commands that wait for the server to serve a file through a
 * DownloadRequest (`logs`, `download`, `describe --details`), in milliseconds: a Go duration,
 * as Velero takes it (`1m`, reference §8.2), or a plain number of seconds, the form Skiff took
 * before. Zero is refused: the command would give up before any server could answer.
 */
export function parseTimeoutFlag(value: string | undefined, flag = '--timeout'): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  try {
    ms = /^\d+$/.test(text) ? Number(text) * 1000 : parseDuration(text, 'duration');
  } catch (err) {
    throw new FlagError([`${flag}: ${errorMessage(err)}, or a number of seconds`]);
  }
  if (ms <= 0) throw new FlagError([`${flag}: "${value}" is not more than zero (e.g. ${flag} 1m)`]);
  return ms;
}

/**
 * Milliseconds as Go's `time.Duration.String()` prints them (`5m0s`, `720h0m0s`, `1.5s`,
 * `500ms`, `0s`), the form Velero's CLI writes into specs.
 */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = `${Number(((ms % 60_000) / 1000).toFixed(3))}s`;
  if (h > 0) return `${h}h${m}m${s}`;
  return m > 0 ? `${m}m${s}` : s;
}

/**
 * `-l` as the spec's `metav1.LabelSelector`, converted as apimachinery's
 * `ParseToLabelSelector` does: `=`/`==` become matchLabels, `!=` becomes NotIn,
 * `in`/`notin`/exists/`!` become expressions. `>`/`<` have no object form.
 */
export function parseSelectorFlag(text: string, flag = '--selector'): SpecLabelSelector {
  let parsed: LabelSelector;
  try {
    parsed = parseLabelSelector(text);
  } catch (err) {
    throw new FlagError([`${flag}: ${errorMessage(err)} (example: ${flag} 'app=web,tier in (db,cache)')`]);
  }
  return selectorToObject(parsed, flag);
}

export function selectorToObject(selector: LabelSelector, flag = '--selector'): SpecLabelSelector {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: { key: string; operator: string; values?: string[] }[] = [];
  for (const r of selector.requirements) {
    const values = [...r.values];
    switch (r.operator) {
      case '=':
      case '==':
        matchLabels[r.key] = values[0] ?? '';
        break;
      case '!=':
      case 'notin':
        matchExpressions.push({ key: r.key, operator: 'NotIn', values });
        break;
      case 'in':
        matchExpressions.push({ key: r.key, operator: 'In', values });
        break;
      case 'exists':
        matchExpressions.push({ key: r.key, operator: 'Exists' });
        break;
      case '!':
        matchExpressions.push({ key: r.key, operator: 'DoesNotExist' });
        break;
      default:
        throw new FlagError([`${flag}: "${r.key}" uses > or <, which a backup's label selector cannot express`]);
    }
  }
  return {
    ...(Object.keys(matchLabels).length > 0 ? { matchLabels } : {}),
    ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
  };
}

/** `--or-selector 'a=b or c=d'`: Velero separates the alternatives with the literal ` or `. */
export function parseOrSelectors(text: string): SpecLabelSelector[] {
  const parts = text.split(' or ').map((p) => p.trim());
  if (parts.some((p) => p === '')) {
    throw new FlagError([
      `--or-selector: "${text}" has an empty alternative (example: --or-selector 'app=a or app=b')`,
    ]);
  }
  return parts.map((p) => parseSelectorFlag(p, '--or-selector'));
}

/**
 * `pods=ns1/pod1,ns1/pod2;persistentvolumes=pv4,pv8` → `{pods: 'ns1/pod1,ns1/pod2', ...}`:
 * the spec keeps each value as the comma-separated string (reference §1.1 orderedResources).
 */
export function parseOrderedResources(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of text.split(';').map((e) => e.trim())) {
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const resource = eq > 0 ? entry.slice(0, eq).trim().toLowerCase() : '';
    const names = eq > 0 ? (splitList([entry.slice(eq + 1)]) ?? []) : [];
    if (resource === '' || names.length === 0) {
      throw new FlagError([
        `--ordered-resources: "${entry}" is not resource=name,... (example: 'pods=ns1/pod1,ns1/pod2;persistentvolumes=pv4')`,
      ]);
    }
    out[resource] = names.join(',');
  }
  return out;
}

/** `--credential secret=key`: the SecretKeySelector of a location (one pair). */
export function parseCredential(value: string): { name: string; key: string } {
  const pairs = Object.entries(parseKeyValues([value], '--credential'));
  const first = pairs[0];
  if (pairs.length !== 1 || !first || first[1] === '') {
    throw new FlagError([
      `--credential: "${value}" must be exactly one secret-name=key (e.g. cloud-credentials=cloud)`,
    ]);
  }
  return { name: first[0], key: first[1] };
}

/** Parses a non-negative integer flag. */
export function parseIntFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new FlagError([`${flag}: "${value}" is not a non-negative integer`]);
  return Number(value.trim());
}

/** A whole number from 1 (`--concurrent-backups`, `--item-block-worker-count`): 0 would run nothing. */
export function parseCountFlag(value: string | undefined, flag: string): number | undefined {
  const n = parseIntFlag(value, flag);
  if (n === 0) throw new FlagError([`${flag} must be at least 1`]);
  return n;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** Velero's (logrus's) level names that the logger calls otherwise; `panic` has no level above fatal here. */
const VELERO_LOG_LEVELS: Readonly<Record<string, string>> = { warning: 'warn', panic: 'fatal' };

/**
 * A `--log-level`: one of the logger's levels, or a name Velero's manifests use for one.
 * Checked here because the logger's own refusal does not name the flag.
 */
export function parseLogLevel(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const level = value.trim().toLowerCase();
  const named = VELERO_LOG_LEVELS[level] ?? level;
  if (LOG_LEVELS.includes(named)) return named;
  throw new FlagError([
    `--log-level "${value}" is not one of ${[...LOG_LEVELS, ...Object.keys(VELERO_LOG_LEVELS)].join(', ')}`,
  ]);
}

/** Runs each parser and gathers every FlagError, so one run reports all bad flags. */
export class ProblemCollector {
  readonly problems: string[] = [];
  attempt<T>(parse: () => T): T | undefined {
    try {
      return parse();
    } catch (err) {
      if (err instanceof FlagError) this.problems.push(...err.problems);
      else throw err;
      return undefined;
    }
  }
  add(problem: string): void {
    this.problems.push(problem);
  }
}

/**
 * `--selector` and `--or-selector` into a spec's `labelSelector` / `orLabelSelectors`: both at
 * once is a problem (the API takes one or the other), and nothing is set then.
 */
export function addSelectorFlags(
  p: ProblemCollector,
  spec: { labelSelector?: SpecLabelSelector | null; orLabelSelectors?: SpecLabelSelector[] | null },
  flags: { selector?: string | undefined; orSelector?: string | undefined },
): void {
  if (flags.selector !== undefined && flags.orSelector !== undefined) {
    p.add(
      "either --selector or --or-selector can be given, but not both: merge them into one --or-selector 'a=b or c=d'",
    );
    return;
  }
  if (flags.selector !== undefined) {
    const sel = p.attempt(() => parseSelectorFlag(flags.selector ?? ''));
    if (sel) spec.labelSelector = sel;
  }
  if (flags.orSelector !== undefined) {
    const sels = p.attempt(() => parseOrSelectors(flags.orSelector ?? ''));
    if (sels) spec.orLabelSelectors = sels;
  }
}
