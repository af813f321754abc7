import type { KubeObject } from '../../kube/object.ts';

/** A reference to another object a backup item needs (a pod's PVC, a PVC's PV, ...). */
export interface ItemRef {
  group: string;
  resource: string;
  namespace?: string;
  name: string;
  /**
   * Taken even when the resource filters leave its type or namespace out (Velero's
   * `backup.velero.io/must-include-additional-items`): a CSI snapshot's objects, without which
   * the snapshot could not be found again.
   */
  mustInclude?: boolean;
}

export interface BackupActionResult {
  /** The item to write (actions may clean it). */
  item: KubeObject;
  additionalItems: ItemRef[];
  warnings?: string[];
}

/** What an action may look up while it runs (read-only). */
export interface BackupActionContext {
  backupName: string;
  /** Every object of a cluster-scoped type, fetched once per backup and shared by actions. */
  listClusterScoped(group: string, resource: string): Promise<KubeObject[]>;
  /** Takes CSI snapshots (src/backup/csi/); absent in a dry run, which takes none. */
  csi?: CsiSnapshotter;
}

/** A claim's CSI snapshot, taken and ready (reference §7.3). */
export interface ClaimSnapshot {
  volumeSnapshot: string;
  /** Why: the volume decision's rule and the class chosen. */
  rule: string;
  restoreSize?: string;
  /** `<server ns>/<DataUpload>` when the snapshot's data is moved (reference §7.3 step 8). */
  dataUpload?: string;
}

/** The CSI snapshot side of a backup, as the CSI actions use it. */
export interface CsiSnapshotter {
  /** Snapshots the claim if the volume decision says so (undefined otherwise); throws with the reason on failure. */
  snapshotClaim(pvc: KubeObject, ctx: BackupActionContext): Promise<ClaimSnapshot | undefined>;
  snapshotContent(name: string): Promise<KubeObject | undefined>;
}

/**
 * Per-resource behaviour during a backup (Velero's BackupItemAction): a small object in a
 * registry, selected by `appliesTo`, never a branch in the engine.
 */
export interface BackupItemAction {
  /** Velero's action name where one exists, e.g. `velero.io/pod`. */
  readonly name: string;
  /** Group-resources this action applies to, e.g. `pods`, `persistentvolumeclaims`. */
  readonly appliesTo: readonly string[];
  /**
   * Group-resources of the related items it may return. Only items of these types can reach
   * a backup twice (listed, and as someone's related item), so only they are remembered.
   */
  readonly mayAdd: readonly string[];
  execute(item: KubeObject, ctx: BackupActionContext): Promise<BackupActionResult> | BackupActionResult;
}
