import type { RestoreResourceHookSpec } from '../../api/restore.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { PodVolumeRestoreEnv } from '../volumes/pod-volumes.ts';
import type { DataMoverRestoreEnv } from './data-mover-actions.ts';

/** What a PV decision says about a backed-up PersistentVolume (reference §4.5). */
export const PvDecision = {
  /** Create the PV object from the backup (no snapshot, or a snapshot we cannot restore). */
  Restore: 'restore',
  /** Do not create the PV; its PVC loses `volumeName` and gets a fresh volume. */
  Dynamic: 'dynamic',
} as const;
export type PvDecision = (typeof PvDecision)[keyof typeof PvDecision];

/**
 * Everything restore actions may consult, as plain data fixed for one restore, so that the
 * plan can carry it and the executor can clean a live object the same way later.
 */
export interface RestoreActionEnv {
  restoreName: string;
  backupName: string;
  namespaceMapping: Record<string, string>;
  preserveNodePorts: boolean;
  /** `spec.restorePVs`; nil behaves as true (reference §1.2). */
  restorePVs: boolean;
  /** PV name (in the backup) → decision. PVs not listed are not part of the backup. */
  pvDecisions: Record<string, PvDecision>;
  /**
   * `namespace/claim` (source namespace) of the claims whose data a PodVolumeBackup took, when
   * pod volume data is restored: such a claim whose PV is not in the backup (a tenant's backup
   * never holds PVs) is provisioned again, as it would be with its PV in the backup.
   */
  podVolumeClaims?: string[];
  /** Plugin ConfigMap data keyed by the plugin label (`velero.io/change-storage-class`). */
  pluginConfigs: Record<string, Record<string, string>>;
  /** StorageClasses that exist in the target or are restored; undefined skips the check. */
  storageClasses?: string[];
  /** ServiceAccount names per source namespace, for the secret action (reference §4.6). */
  serviceAccounts: Record<string, string[]>;
  /**
   * Pod volume data this restore brings back (reference §6.5); absent when the backup has none
   * or the restore leaves out PVCs or PVs.
   */
  podVolumes?: PodVolumeRestoreEnv;
  /** `spec.hooks.resources` (reference §4.7), for the init hook action; absent when there are none. */
  hooks?: RestoreResourceHookSpec[];
  /** For the CSI actions (reference §7.5): restored snapshots' names and the target's nodes. */
  csi?: { restoreUID: string; nodes?: string[] };
  /** The backup's moved CSI snapshot data (reference §7.5); absent when the backup has no DataUploads. */
  dataMover?: DataMoverRestoreEnv;
}

export interface RestoreActionInput {
  /** The object as cleaned so far; actions may mutate and return it. */
  item: KubeObject;
  /** The object as it was in the backup (or in the cluster, when cleaning a live copy). */
  original: KubeObject;
  env: RestoreActionEnv;
  sourceNamespace: string | undefined;
  targetNamespace: string | undefined;
}

/** One value an action rewrote on purpose (a storage class, a zone): the dry run shows each. */
export interface FieldRewrite {
  /** The action's name, e.g. `velero.io/change-storage-class`. */
  action: string;
  /** RFC 6901 JSON pointer to the field, e.g. `/spec/storageClassName`. */
  path: string;
  from: string;
  to: string;
}

export interface RestoreActionResult {
  item: KubeObject;
  /** Set to skip the item without error (Velero's `skipRestore`). */
  skip?: string;
  warnings?: string[];
  /** Values rewritten through a plugin ConfigMap, for the plan. */
  rewrites?: FieldRewrite[];
}

/**
 * Per-resource restore behaviour (Velero's RestoreItemAction, reference §4.6): a small object
 * in a registry, selected by group-resource. Throwing `RestoreActionError` fails the item.
 */
export interface RestoreItemAction {
  readonly name: string;
  readonly appliesTo: readonly string[];
  execute(input: RestoreActionInput): RestoreActionResult;
  /**
   * Whether `execute` may change `item` anywhere but its top-level keys and the keys of its
   * `metadata` (replacing a value there is fine, changing one in place is not). Only then does
   * the item get a deep copy; absent, it always does. Most Secrets are no token and pass through
   * the Secret action untouched: a deep copy of each cost a restore of them CPU and garbage.
   */
  changesInPlace?(item: KubeObject): boolean;
}

/** An action refused the item; the restore records a namespace-scoped error (reference §4.4 step 3). */
export class RestoreActionError extends Error {
  readonly code = 'RestoreActionError';
  constructor(
    readonly action: string,
    message: string,
  ) {
    super(message);
    this.name = 'RestoreActionError';
  }
}

export function getPath(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** RFC 6901 JSON pointer of a path, as the plan's field changes spell them. */
export function jsonPointer(path: readonly string[]): string {
  return path.map((p) => `/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Removes annotation keys, and the annotations map itself when it ends up empty. */
export function removeAnnotations(obj: KubeObject, keys: readonly string[]): void {
  const ann = obj.metadata.annotations;
  if (!ann) return;
  for (const k of keys) delete ann[k];
  if (Object.keys(ann).length === 0) delete obj.metadata.annotations;
}

export function removeLabels(obj: KubeObject, keys: readonly string[]): void {
  const labels = obj.metadata.labels;
  if (!labels) return;
  for (const k of keys) delete labels[k];
  if (Object.keys(labels).length === 0) delete obj.metadata.labels;
}
