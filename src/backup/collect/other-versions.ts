import type { ResourceType } from '../../kube/resource.ts';
import type { ListedObject } from '../../kube/served-list.ts';
import { listedItemDecider } from '../../selection/index.ts';
import type { BackupPlan, ListStep } from '../plan/backup-plan.ts';
import { itemKey, listOnce, selectionItem, type ListedPage } from './collect-items.ts';
import type { ItemSource } from './item-source.ts';

export type OtherVersionEvent =
  | { kind: 'included'; type: ResourceType; item: ListedObject }
  | { kind: 'error'; namespace?: string | undefined; message: string };

export interface OtherVersionsOptions {
  source: ItemSource;
  /** Every served version of a group-resource (discovery's `versionsOf`). */
  versionsOf: (group: string, resource: string) => readonly ResourceType[];
  /** Group-resources the backup took items of: only those are listed again. */
  taken: ReadonlySet<string>;
}

/**
 * With the server feature EnableAPIGroupVersions (reference §2.4, §3.3 step 1), each type the
 * backup took is listed again at every other version its API server serves, with the same
 * namespaces, label selectors and item filters; those copies go only under
 * `resources/<gr>/<version>/` in the tarball. Item actions are not run on them: the actions
 * Skiff has only add related items, which the preferred-version pass already took.
 */
export async function* collectOtherVersions(
  plan: BackupPlan,
  opts: OtherVersionsOptions,
): AsyncGenerator<OtherVersionEvent> {
  const decide = listedItemDecider(plan.selection);
  for (const step of otherVersionSteps(plan, opts)) {
    // Several selectors may list an item more than once; one copy per version is written.
    const seen = step.labelSelectors.length > 1 ? new Set<string>() : undefined;
    for await (const { items, error } of pagesOf(step, opts.source)) {
      if (error) {
        yield { kind: 'error', namespace: error.namespace, message: error.message };
        continue;
      }
      for (const item of items) {
        if (!decide(selectionItem(step.type, item, step.groupResource)).included) continue;
        const key = itemKey(step.groupResource, item.metadata.namespace, item.metadata.name ?? '');
        if (seen?.has(key)) continue;
        seen?.add(key);
        yield { kind: 'included', type: step.type, item };
      }
    }
  }
}

/** The plan's steps of the types taken, once per other served version. */
function otherVersionSteps(plan: BackupPlan, opts: OtherVersionsOptions): ListStep[] {
  return plan.steps
    .filter((step) => opts.taken.has(step.groupResource))
    .flatMap((step) =>
      opts
        .versionsOf(step.type.group, step.type.resource)
        .filter((type) => type.version !== step.type.version)
        .map((type) => ({ ...step, type })),
    );
}

/** One LIST per namespace and label selector of the step, as the preferred-version pass makes them. */
async function* pagesOf(step: ListStep, source: ItemSource): AsyncGenerator<ListedPage> {
  for (const namespace of step.namespaces) {
    for (const labelSelector of step.labelSelectors) yield* listOnce(step, source, namespace, labelSelector);
  }
}
