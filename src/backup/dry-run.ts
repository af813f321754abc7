import { groupResource } from '../kube/resource.ts';
import { wholeObject } from '../kube/served-list.ts';
import { dryRunPodHooks, type DryRunPodHooks } from './hooks/dry-run-hooks.ts';
import { NO_BACKUP_HOOKS } from './hooks/hook-spec.ts';
import type { CollectedEvent } from './collect/collect-items.ts';
import type { BackupPlan } from './plan/backup-plan.ts';
import type { DryRunVolume } from './volumes/dry-run.ts';

export interface ExplainedItem {
  ref: string;
  included: boolean;
  reason?: string;
  origin?: 'listed' | 'additional';
  /** The application rule that took it, or that found it left out (app-cluster-resources.ts). */
  rule?: string;
  /** Left out by Velero's rules, although the application uses it. */
  appLeftOut?: boolean;
}

/** A cluster-scoped object the backup leaves out although the application uses it. */
export interface AppLeftOut {
  ref: string;
  rule: string;
  reason: string;
}

/** What a backup would take, grouped by resource and namespace: the dry run's report. */
export interface BackupDryRun {
  /** groupResource → namespace ('' for cluster-scoped) → count */
  included: Map<string, Map<string, number>>;
  totalIncluded: number;
  totalExcluded: number;
  warnings: string[];
  errors: string[];
  /** Left out, but the application uses them (issue 13): taken with --include-app-cluster-resources. */
  appLeftOut: AppLeftOut[];
  /** Decisions for the items named by `--explain` (KIND/NAME or KIND/NS/NAME). */
  explained: ExplainedItem[];
  /** Per pod volume: the method that would back it up and the rule that chose it (volumes/dry-run.ts). */
  volumes?: DryRunVolume[];
  /** The exec hooks the backup would run, per pod in backup order (reference §3.6). */
  hooks?: DryRunPodHooks[];
}

/** Consumes the collector's stream into counts; keeps detail only for the items asked about. */
export async function summarizeDryRun(
  events: AsyncIterable<CollectedEvent>,
  plan: BackupPlan,
  explain: string[] = [],
): Promise<BackupDryRun> {
  const out: BackupDryRun = {
    included: new Map(),
    totalIncluded: 0,
    totalExcluded: 0,
    warnings: [...plan.warnings],
    errors: [...plan.errors],
    appLeftOut: [],
    explained: [],
  };
  const wanted = explain.map(parseExplain);
  for await (const ev of events) {
    if (ev.kind === 'app-left-out') {
      noteAppLeftOut(out, ev, wanted);
    } else if (ev.kind !== 'included' && ev.kind !== 'excluded') {
      (ev.kind === 'warning' ? out.warnings : out.errors).push(ev.message);
    } else {
      const gr = groupResource(ev.type);
      const ns = ev.item.metadata.namespace ?? '';
      const name = ev.item.metadata.name ?? '';
      if (ev.kind === 'included') noteIncluded(out, ev, plan, gr, ns);
      else out.totalExcluded++;
      const w = wanted.find((x) => x.matches(ev.type.kind, gr, ev.type.resource, ns, name));
      if (w) {
        out.explained.push({
          ref: `${gr}/${ns ? `${ns}/` : ''}${name}`,
          included: ev.kind === 'included',
          ...(ev.kind === 'excluded'
            ? { reason: ev.reason }
            : { origin: ev.origin, ...(ev.app ? { rule: ev.app.rule, reason: ev.app.reason } : {}) }),
        });
      }
    }
  }
  // An item of a type that is not listed at all is out for the type's reason.
  for (const skipped of plan.skippedTypes) {
    for (const w of wanted) {
      const ref = `${skipped.groupResource}/${w.text}`;
      // Unless the item was seen after all (an additional item, or one the application uses).
      if (w.kindMatches(skipped.groupResource) && !out.explained.some((e) => e.ref === ref))
        out.explained.push({ ref, included: false, reason: skipped.reason });
    }
  }
  return out;
}

function noteIncluded(
  out: BackupDryRun,
  ev: Extract<CollectedEvent, { kind: 'included' }>,
  plan: BackupPlan,
  gr: string,
  ns: string,
): void {
  const byNs = out.included.get(gr) ?? new Map<string, number>();
  byNs.set(ns, (byNs.get(ns) ?? 0) + 1);
  out.included.set(gr, byNs);
  out.totalIncluded++;
  if (gr !== 'pods') return;
  const podHooks = dryRunPodHooks(wholeObject(ev.item), plan.hooks ?? NO_BACKUP_HOOKS, out.warnings);
  if (podHooks) (out.hooks ??= []).push(podHooks);
}

function noteAppLeftOut(
  out: BackupDryRun,
  ev: Extract<CollectedEvent, { kind: 'app-left-out' }>,
  wanted: readonly ReturnType<typeof parseExplain>[],
): void {
  const { found } = ev;
  const ref = `${found.groupResource}/${found.name}`;
  out.appLeftOut.push({ ref, rule: found.rule, reason: found.reason });
  if (wanted.some((x) => x.matches(ev.type.kind, found.groupResource, ev.type.resource, '', found.name))) {
    const reason = `left out by Velero's rules, but the application uses it: ${found.reason}`;
    out.explained.push({ ref, included: false, reason, rule: found.rule, appLeftOut: true });
  }
}

function parseExplain(text: string): {
  text: string;
  kindMatches: (gr: string) => boolean;
  matches: (kind: string, gr: string, resource: string, ns: string, name: string) => boolean;
} {
  const parts = text.split('/');
  const kind = (parts[0] ?? '').toLowerCase();
  const ns = parts.length >= 3 ? parts[1] : undefined;
  const name = parts[parts.length - 1] ?? '';
  const kindMatches = (gr: string): boolean =>
    gr === kind || gr.split('.')[0] === kind || gr.split('.')[0] === `${kind}s`;
  return {
    text: parts.slice(1).join('/'),
    kindMatches,
    matches: (k, gr, resource, itemNs, itemName) =>
      (k.toLowerCase() === kind || resource === kind || kindMatches(gr)) &&
      itemName === name &&
      (ns === undefined || ns === itemNs),
  };
}
