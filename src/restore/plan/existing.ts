import { Labels } from '../../api/labels.ts';
import type { KubeObject } from '../../kube/object.ts';
import { prepareItem } from '../actions/prepare-item.ts';
import type { RestoreActionRegistry } from '../actions/registry.ts';
import { asArray, asRecord, removeLabels, type RestoreActionEnv } from '../actions/types.ts';
import { cloneJson } from '../../util/json.ts';
import { createMergePatch, fieldChanges, jsonEqual } from './diff.ts';
import { ExistingPolicy, SkipReason, type OperationTarget, type RestoreOperation } from './types.ts';

const RESTORE_LABELS = [Labels.BackupName, Labels.RestoreName] as const;

export interface ExistingInput {
  target: OperationTarget;
  /** The prepared object we would create (cleaned, actions run, restore labels added). */
  desired: KubeObject;
  live: KubeObject;
  policy: ExistingPolicy;
  env: RestoreActionEnv;
  actions: RestoreActionRegistry;
  warnings: string[];
}

/**
 * What to do with an object that already exists (reference §4.4 step 10). The live copy is
 * cleaned exactly like the backed-up one (metadata reset, same item actions), and both are
 * compared without the fields only the server sets (managedFields, status, uid, ...) and
 * without the restore labels. Unlike Velero, the live copy also goes through the item
 * actions: a restored Service's new clusterIP or a scheduled pod's nodeName then does not
 * make a second run of the same restore report a conflict, which keeps resumed restores
 * quiet and idempotent.
 */
export function decideExisting(input: ExistingInput): RestoreOperation {
  const { target, desired, live, policy, warnings } = input;
  const liveCmp = comparable(
    prepareItem({
      object: live,
      groupResource: target.groupResource,
      sourceNamespace: target.sourceNamespace,
      targetNamespace: target.namespace,
      env: input.env,
      actions: input.actions,
    }).object,
    desired,
  );
  const desiredCmp = comparable(desired, desired);
  if (jsonEqual(liveCmp, desiredCmp)) {
    if (policy === ExistingPolicy.Update && !restoreLabelsMatch(live, desired)) {
      return { kind: 'update', target, warnings, object: desired, ...labelsOnlyPatch(desired) };
    }
    return identicalSkip(input, 'exists and matches the backup');
  }
  const desiredForPatch = withoutManagedFields(desired);
  if (target.groupResource === 'serviceaccounts') {
    return mergeServiceAccount(input, liveCmp, desiredCmp);
  }
  if (policy === ExistingPolicy.Update) {
    return {
      kind: 'update',
      target,
      warnings,
      object: desired,
      patch: createMergePatch(liveCmp, desiredForPatch),
      changes: fieldChanges(liveCmp, desiredCmp),
      labelsOnly: false,
    };
  }
  return { kind: 'conflict', target, warnings, changes: fieldChanges(liveCmp, desiredCmp) };
}

/** The form both sides are compared in: no managedFields, no restore labels, no server-filled-only fields. */
function comparable(obj: KubeObject, desired: KubeObject): KubeObject {
  const copy = withoutManagedFields(obj);
  removeLabels(copy, RESTORE_LABELS);
  // The PV controller fills in a claim's volumeName when it binds (dynamic provisioning).
  const spec = asRecord(copy.spec);
  if (copy.kind === 'PersistentVolumeClaim' && spec && asRecord(desired.spec)?.volumeName === undefined) {
    delete spec.volumeName;
  }
  return copy;
}

function withoutManagedFields(obj: KubeObject): KubeObject {
  const copy = cloneJson(obj);
  delete copy.metadata.managedFields;
  return copy;
}

/** A skip of an identical object; one carrying this restore's name was created by an earlier attempt of it. */
function identicalSkip(input: ExistingInput, detail: string): RestoreOperation {
  const { target, warnings, live, desired } = input;
  const restoreName = desired.metadata.labels?.[Labels.RestoreName];
  if (restoreName !== undefined && restoreName !== '' && live.metadata.labels?.[Labels.RestoreName] === restoreName) {
    const owners = desired.metadata.managedFields;
    const ownersLeft = owners !== undefined && owners.length > 0 && !jsonEqual(live.metadata.managedFields, owners);
    return {
      kind: 'skip',
      target,
      warnings,
      reason: SkipReason.Identical,
      detail: 'created earlier by this restore',
      restoredEarlier: true,
      ...(ownersLeft ? { managedFields: owners } : {}),
    };
  }
  return { kind: 'skip', target, warnings, reason: SkipReason.Identical, detail };
}

function restoreLabelsMatch(live: KubeObject, desired: KubeObject): boolean {
  return RESTORE_LABELS.every((k) => live.metadata.labels?.[k] === desired.metadata.labels?.[k]);
}

function labelsOnlyPatch(
  desired: KubeObject,
): Pick<Extract<RestoreOperation, { kind: 'update' }>, 'patch' | 'changes' | 'labelsOnly'> {
  const labels: Record<string, string> = {};
  for (const k of RESTORE_LABELS) labels[k] = desired.metadata.labels?.[k] ?? '';
  return {
    patch: { metadata: { labels } },
    changes: Object.entries(labels).map(([k, v]) => ({
      op: 'replace' as const,
      path: `/metadata/labels/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`,
      desired: v,
    })),
    labelsOnly: true,
  };
}

/**
 * ServiceAccounts are merged under any policy (reference §4.4 step 10): the backup's
 * secrets and imagePullSecrets missing by name are added, as are labels and annotations
 * whose keys are missing; the in-cluster values win.
 */
function mergeServiceAccount(input: ExistingInput, liveCmp: KubeObject, desiredCmp: KubeObject): RestoreOperation {
  const merged = cloneJson(liveCmp);
  for (const key of ['secrets', 'imagePullSecrets']) {
    const have = new Set(asArray(merged[key]).map((s) => asRecord(s)?.name));
    const extra = asArray(desiredCmp[key]).filter((s) => !have.has(asRecord(s)?.name));
    if (extra.length > 0) merged[key] = [...asArray(merged[key]), ...extra];
  }
  merged.metadata.labels = { ...desiredCmp.metadata.labels, ...merged.metadata.labels };
  merged.metadata.annotations = { ...desiredCmp.metadata.annotations, ...merged.metadata.annotations };
  for (const k of ['labels', 'annotations'] as const) {
    if (Object.keys(merged.metadata[k] ?? {}).length === 0) delete merged.metadata[k];
  }
  const { target, warnings, desired } = input;
  if (jsonEqual(merged, liveCmp)) return identicalSkip(input, 'service account already has everything the backup adds');
  for (const k of RESTORE_LABELS) (merged.metadata.labels ??= {})[k] = desired.metadata.labels?.[k] ?? '';
  return {
    kind: 'update',
    target,
    warnings,
    object: desired,
    patch: createMergePatch(liveCmp, merged),
    changes: fieldChanges(liveCmp, merged),
    labelsOnly: false,
  };
}
