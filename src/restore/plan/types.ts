import type { KubeObject } from '../../kube/object.ts';
import type { ResourceRef } from '../../kube/resource.ts';
import type { FieldRewrite, RestoreActionEnv } from '../actions/types.ts';
import type { BackedUpVolume } from '../volumes/pod-volumes.ts';
import type { PlannedDataDownload } from '../actions/data-mover-actions.ts';
import type { PodRestoreHooks } from '../hooks/dry-run-hooks.ts';

export const OperationKind = {
  Create: 'create',
  Update: 'update',
  Skip: 'skip',
  Conflict: 'conflict',
  Fail: 'fail',
} as const;
export type OperationKind = (typeof OperationKind)[keyof typeof OperationKind];

/** Why an item is skipped; `excluded`/`non-restorable` items are not restore records at all. */
export const SkipReason = {
  /** The live object already equals the backed-up one (reference §4.4 step 10, "Equal"). */
  Identical: 'identical',
  /** A filter of the restore spec leaves it out (reference §4.3). */
  Excluded: 'excluded',
  /** Never restored (reference §4.1 step 2). */
  NonRestorable: 'non-restorable',
  /** Finished pods and jobs, mirror pods (reference §4.3 "Items skipped outright"). */
  Outright: 'skipped-outright',
  /** A restore item action asked to skip it. */
  Action: 'action',
  /** A namespace that already exists (the ensure-namespace step, reference §4.3). */
  Exists: 'exists',
} as const;
export type SkipReason = (typeof SkipReason)[keyof typeof SkipReason];

export const ExistingPolicy = { None: 'none', Update: 'update' } as const;
export type ExistingPolicy = (typeof ExistingPolicy)[keyof typeof ExistingPolicy];

/** One field that differs between the live object and the one we would restore. */
export interface FieldChange {
  op: 'add' | 'remove' | 'replace';
  /** JSON pointer, e.g. `/data/greeting`. */
  path: string;
  live?: unknown;
  desired?: unknown;
}

/** The object an operation concerns, in the target cluster. */
export interface OperationTarget {
  /** `v1/ConfigMap`-style key parts for the resource list (reference §1.14). */
  apiVersion: string;
  kind: string;
  /** Where to send requests; undefined when the target cluster does not serve the type. */
  type?: ResourceRef;
  /** Folder name in the backup (`deployments.apps`): filters and actions use it. */
  groupResource: string;
  namespace?: string;
  sourceNamespace?: string;
  name: string;
}

interface OperationBase {
  target: OperationTarget;
  /** Warnings raised while planning this item (by actions, for example). */
  warnings: string[];
  /** Values rewritten through plugin ConfigMaps (storage class, topology); absent when none. */
  rewrites?: FieldRewrite[];
  /** A pod's init and exec hooks, set for the dry run (restore/hooks/dry-run-hooks.ts). */
  hooks?: PodRestoreHooks;
}

export interface CreateOperation extends OperationBase {
  kind: 'create';
  object: KubeObject;
  /** The backed-up status, to write after the create when status restore is chosen (§4.4 step 11). */
  status?: unknown;
  /** Set for a namespace that exists but is Terminating: wait for it to go, then create (reference §4.3). */
  awaitTermination?: boolean;
  /** A pod's volumes whose data is restored once it exists (reference §6.5); absent when none. */
  podVolumes?: BackedUpVolume[];
  /** A claim whose moved snapshot data a DataDownload brings back once it exists (reference §7.5); absent when none. */
  dataDownload?: PlannedDataDownload;
}

export interface UpdateOperation extends OperationBase {
  kind: 'update';
  object: KubeObject;
  /** JSON merge patch (RFC 7386) from the live object to the desired one (reference §4.4 step 10). */
  patch: Record<string, unknown>;
  changes: FieldChange[];
  /** Only the restore labels differ (policy update on an otherwise identical object). */
  labelsOnly: boolean;
}

export interface SkipOperation extends OperationBase {
  kind: 'skip';
  reason: SkipReason;
  detail: string;
  /**
   * Identical and labelled with this restore's name: an earlier attempt of this same
   * restore created it (a run resumed after a server restart). The resource list records
   * it as created, so a resumed restore ends with the counts of an uninterrupted one.
   */
  restoredEarlier?: boolean;
  /**
   * The backed-up field owners, when the earlier attempt created the object but stopped before
   * it put them back (apply-operation.ts): the executor does that now.
   */
  managedFields?: unknown[];
}

export interface ConflictOperation extends OperationBase {
  kind: 'conflict';
  changes: FieldChange[];
}

export interface FailOperation extends OperationBase {
  kind: 'fail';
  error: string;
}

export type RestoreOperation = CreateOperation | UpdateOperation | SkipOperation | ConflictOperation | FailOperation;

export const TierWait = {
  /** CRDs: wait until Established before the next tier (reference §4.2 pass 1). */
  Established: 'established',
  /** Namespaces: wait until Active. */
  Active: 'active',
  /**
   * Webhook configurations and APIServices: each write first waits for the ready endpoints of
   * the Services its object calls (`backendWaitOf`), within one shared time limit.
   */
  Backends: 'backends',
} as const;
export type TierWait = (typeof TierWait)[keyof typeof TierWait];

/** Operations that may run in parallel; tiers run one after the other. */
export interface RestoreTier {
  /** Group-resources in this tier, e.g. `['persistentvolumes']`, or several for the alphabetical rest. */
  resources: string[];
  wait?: TierWait;
  operations: RestoreOperation[];
}

export interface RestorePlan {
  restoreName: string;
  backupName: string;
  policy: ExistingPolicy;
  tiers: RestoreTier[];
  /** Restore-level warnings and errors (reference §4.9 `velero` list). */
  warnings: string[];
  errors: string[];
  /** What actions need to clean a live object like the planned ones (AlreadyExists at apply time). */
  env: RestoreActionEnv;
}

/** A tier whose operations are produced one at a time, as the consumer asks for them. */
export interface StreamedTier {
  resources: string[];
  wait?: TierWait;
  operations: AsyncIterable<RestoreOperation> | Iterable<RestoreOperation>;
}

/**
 * The plan as the restore and the dry run consume it: a header known before anything is
 * planned, then the tiers, each planned only when it is reached. No list of every prepared
 * object exists at any time, so memory does not grow with the backup. A stream is consumed once.
 */
export interface RestorePlanStream {
  restoreName: string;
  backupName: string;
  policy: ExistingPolicy;
  /** Restore-level warnings and errors, all known before the first tier (reference §4.9 `velero` list). */
  warnings: string[];
  errors: string[];
  env: RestoreActionEnv;
  /** How many restore records the tiers will yield (progress.totalItems), counted before the first tier. */
  totalItems: number;
  tiers: AsyncIterable<StreamedTier> | Iterable<StreamedTier>;
}

/** A plan already in memory (a unit test's, or a small one), as a stream. */
export function streamOfPlan(plan: RestorePlan | RestorePlanStream): RestorePlanStream {
  return 'totalItems' in plan ? plan : { ...plan, totalItems: planTotals(plan).items };
}

export interface PlanTotals {
  create: number;
  update: number;
  skip: number;
  conflict: number;
  fail: number;
  /** Items the restore acts on: everything but filtered-out skips (progress.totalItems). */
  items: number;
}

export function isRestoreRecord(op: RestoreOperation): boolean {
  return !(op.kind === 'skip' && (op.reason === SkipReason.Excluded || op.reason === SkipReason.NonRestorable));
}

export function emptyTotals(): PlanTotals {
  return { create: 0, update: 0, skip: 0, conflict: 0, fail: 0, items: 0 };
}

/** Counts one operation into running totals (a streamed plan's totals are known at its end). */
export function countOperation(totals: PlanTotals, op: RestoreOperation): void {
  totals[op.kind]++;
  if (isRestoreRecord(op)) totals.items++;
}

export function planTotals(plan: RestorePlan): PlanTotals {
  const totals = emptyTotals();
  for (const tier of plan.tiers) for (const op of tier.operations) countOperation(totals, op);
  return totals;
}
