import { Labels } from '../../api/labels.ts';
import type { KubeObject } from '../../kube/object.ts';
import { addRestoreLabels, type PreparedItem } from '../actions/prepare-item.ts';
import type { FieldRewrite, RestoreActionEnv } from '../actions/types.ts';
import type { FieldChange, OperationTarget } from '../plan/types.ts';
import { applyResourceModifiers, type RuleChanges } from './apply.ts';
import { isJsonObject } from './json.ts';
import type { ModifierEvent, ResourceModifiers } from './types.ts';

/** The rules a planner applies, with where to report what they did (the restore log). */
export interface PlanResourceModifiers extends ResourceModifiers {
  report?: (event: ModifierEvent) => void;
}

export interface ModifyItemInput {
  /** The output of `prepareItem`: its object and rewrites are replaced. */
  prepared: PreparedItem;
  /** The operation's target: its name follows a rule that renames the object. */
  target: OperationTarget;
  /** The object as it is in the backup. */
  original: KubeObject;
  env: Pick<RestoreActionEnv, 'backupName' | 'restoreName'>;
}

const RESTORE_LABELS = [Labels.BackupName, Labels.RestoreName] as const;

/**
 * The planner's resource-modifier step (reference §4.4 step 5, §4.8). `prepareItem` has
 * already run the item actions, set the target namespace and added the restore labels
 * (Velero's steps 6 and 7); the rules must see the object as it was between steps 4 and 6,
 * so both are undone for them and redone afterwards. Each changed field becomes a rewrite
 * the dry run shows. Throws when a rule cannot be applied: the item then fails, a
 * namespace-scoped error (reference §4.8).
 */
export function modifyPreparedItem(modifiers: PlanResourceModifiers, input: ModifyItemInput): void {
  const { prepared, target, original, env } = input;
  const view = asBeforeStep6(prepared.object, original, target.sourceNamespace);
  const result = applyResourceModifiers(modifiers, {
    groupResource: target.groupResource,
    sourceNamespace: target.sourceNamespace,
    object: view,
    group: target.type?.group ?? groupOf(target.apiVersion),
    kind: target.kind,
  });
  for (const event of result.events) modifiers.report?.(event);
  if (result.errors.length > 0) {
    throw new Error(`resource modifiers in ${modifiers.source}: ${result.errors.join('; ')}`);
  }
  if (result.changes.length === 0) return;
  const object = result.object;
  if (object.apiVersion !== view.apiVersion || object.kind !== view.kind) {
    // Velero resolves the type again (reference §4.4 step 8); the plan resolved it before the rules ran.
    throw new Error(
      `resource modifiers in ${modifiers.source} change ${view.kind} ${view.apiVersion} into ${object.kind} ${object.apiVersion}: ` +
        'a rule may not change apiVersion or kind',
    );
  }
  if (target.namespace !== undefined) object.metadata.namespace = target.namespace;
  else delete object.metadata.namespace;
  addRestoreLabels(object, env);
  prepared.object = object;
  prepared.rewrites.push(...result.changes.flatMap((c) => rewritesOf(c, modifiers.source)));
  target.name = object.metadata.name ?? target.name;
}

/**
 * The prepared object with the source namespace and the labels it had before the restore
 * labels. A shallow copy is enough: applying rules never changes its input.
 */
function asBeforeStep6(prepared: KubeObject, original: KubeObject, sourceNamespace: string | undefined): KubeObject {
  const view: KubeObject = { ...prepared, metadata: { ...prepared.metadata } };
  if (sourceNamespace !== undefined) view.metadata.namespace = sourceNamespace;
  else delete view.metadata.namespace;
  const labels = { ...view.metadata.labels };
  for (const key of RESTORE_LABELS) {
    const before = original.metadata.labels?.[key];
    if (before === undefined) delete labels[key];
    else labels[key] = before;
  }
  if (Object.keys(labels).length === 0 && original.metadata.labels === undefined) delete view.metadata.labels;
  else view.metadata.labels = labels;
  return view;
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** A value as the plan prints it in a rewrite: strings as they are, other values as JSON. */
function shown(value: unknown): string {
  if (value === undefined) return '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function rewritesOf(rc: RuleChanges, source: string): FieldRewrite[] {
  return rc.changes.flatMap(leaves).map((c) => ({
    action: `${rc.rule} of ${source}`,
    path: c.path,
    from: shown(c.live),
    to: shown(c.desired),
  }));
}

/** A map added or removed whole, as one change per field inside it: `/metadata/labels/tier`, not `/metadata/labels`. */
function leaves(c: FieldChange): FieldChange[] {
  const value = c.op === 'add' ? c.desired : c.op === 'remove' ? c.live : undefined;
  if (!isJsonObject(value) || Object.keys(value).length === 0) return [c];
  return Object.entries(value).flatMap(([key, v]) =>
    leaves({
      op: c.op,
      path: `${c.path}/${key.replace(/~/gu, '~0').replace(/\//gu, '~1')}`,
      ...(c.op === 'add' ? { desired: v } : { live: v }),
    }),
  );
}

/** A restore-log line for what a rule did to an object, with its fields. */
export function modifierLogLine(e: ModifierEvent): { message: string; fields: Record<string, string> } {
  const what = e.outcome === 'modified' ? 'modified' : 'did not modify';
  return {
    message: `resource modifier ${e.rule} of ${e.source} ${what} ${e.object}${e.detail ? `: ${e.detail}` : ''}`,
    fields: { resource: e.groupResource, name: e.name, rule: e.rule },
  };
}
