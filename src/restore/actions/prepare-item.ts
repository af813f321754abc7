import type { KubeObject } from '../../kube/object.ts';
import { Labels } from '../../api/labels.ts';
import { validLabelValue } from '../../util/label-value.ts';
import { resetMetadataAndStatus, resetMetadataAndStatusShallow } from './generic-clean.ts';
import type { RestoreActionRegistry } from './registry.ts';
import type { FieldRewrite, RestoreActionEnv } from './types.ts';

export interface PrepareInput {
  object: KubeObject;
  groupResource: string;
  sourceNamespace: string | undefined;
  targetNamespace: string | undefined;
  env: RestoreActionEnv;
  actions: RestoreActionRegistry;
}

export interface PreparedItem {
  object: KubeObject;
  status: unknown;
  skip?: string;
  warnings: string[];
  /** Values the actions rewrote through plugin ConfigMaps, in order. */
  rewrites: FieldRewrite[];
}

/**
 * The per-item pipeline up to the create (reference §4.4 steps 2–7): reset server-set
 * metadata and status, run the item actions, set the target namespace, add the restore
 * labels. Used for the backed-up object and, to compare like with like, for a live one.
 * Throws `RestoreActionError` when an action refuses the item.
 */
export function prepareItem(input: PrepareInput): PreparedItem {
  const actions = input.actions.for(input.groupResource);
  // Actions may change any part of the object in place, so they get a deep copy; without them
  // (or with actions that say they leave this item's nested values alone) only the top level
  // and metadata change below, and `input.object` is left intact by a copy of those two.
  const deep = actions.some((a) => a.changesInPlace?.(input.object) ?? true);
  const { object: cleaned, status } = deep
    ? resetMetadataAndStatus(input.object)
    : resetMetadataAndStatusShallow(input.object);
  let object = cleaned;
  const warnings: string[] = [];
  const rewrites: FieldRewrite[] = [];
  for (const action of actions) {
    const result = action.execute({
      item: object,
      original: input.object,
      env: input.env,
      sourceNamespace: input.sourceNamespace,
      targetNamespace: input.targetNamespace,
    });
    object = result.item;
    warnings.push(...(result.warnings ?? []));
    rewrites.push(...(result.rewrites ?? []));
    if (result.skip !== undefined) {
      return { object, status, skip: `${action.name}: ${result.skip}`, warnings, rewrites };
    }
  }
  if (input.targetNamespace !== undefined) object.metadata.namespace = input.targetNamespace;
  else delete object.metadata.namespace;
  addRestoreLabels(object, input.env);
  return { object, status, warnings, rewrites };
}

/** Both values normalised with GetValidName (reference §0, §4.4 step 7). */
export function addRestoreLabels(object: KubeObject, env: { backupName: string; restoreName: string }): void {
  object.metadata.labels = {
    ...object.metadata.labels,
    [Labels.BackupName]: validLabelValue(env.backupName),
    [Labels.RestoreName]: validLabelValue(env.restoreName),
  };
}
