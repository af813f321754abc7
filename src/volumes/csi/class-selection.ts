/**
 * Which VolumeSnapshotClass snapshots a claim (reference §7.2), in Velero's order: the claim's
 * annotation, the Backup's per-driver annotation, then among the driver's classes the first
 * with the selector label, the first marked default, or the only one. Pure.
 */
import { Annotations, csiVolumeSnapshotClassForDriver, Labels } from '../../api/labels.ts';
import type { KubeObject } from '../../kube/object.ts';

/** The annotation the CSI snapshot API puts on a cluster's default class. */
export const DEFAULT_CLASS_ANNOTATION = 'snapshot.storage.kubernetes.io/is-default-class';

export type ClassChoice = { name: string; rule: string } | { error: string };

export interface ClassSelectionInput {
  /** `namespace/name` of the claim, for messages. */
  claim: string;
  claimAnnotations: Record<string, string>;
  /** The provisioner of the claim's StorageClass. */
  driver: string;
  backupAnnotations: Record<string, string>;
  /** Every VolumeSnapshotClass in the cluster, in listing order. */
  classes: readonly KubeObject[];
}

function driverOf(cls: KubeObject): string {
  return (cls as { driver?: unknown }).driver === undefined ? '' : String((cls as { driver?: unknown }).driver);
}

export function selectSnapshotClass(input: ClassSelectionInput): ClassChoice {
  const { claim, driver, classes } = input;
  const byName = (name: string): KubeObject | undefined => classes.find((c) => c.metadata.name === name);
  const named = (name: string, source: string): ClassChoice => {
    const cls = byName(name);
    if (!cls) return { error: `VolumeSnapshotClass ${name} named by ${source} does not exist (claim ${claim})` };
    if (driverOf(cls) !== driver)
      return {
        error: `VolumeSnapshotClass ${name} named by ${source} is for driver ${driverOf(cls) || '(none)'}, but claim ${claim} uses driver ${driver}`,
      };
    return { name, rule: source };
  };
  const onClaim = input.claimAnnotations[Annotations.CSIVolumeSnapshotClass];
  if (onClaim) return named(onClaim, `annotation ${Annotations.CSIVolumeSnapshotClass} on the claim`);
  // Velero looks the per-driver key up lower-cased (reference §7.2).
  const backupKey = csiVolumeSnapshotClassForDriver(driver).toLowerCase();
  const onBackup = Object.entries(input.backupAnnotations).find(([k]) => k.toLowerCase() === backupKey)?.[1];
  if (onBackup) return named(onBackup, `annotation ${backupKey} on the backup`);
  const forDriver = classes.filter((c) => driverOf(c) === driver);
  const labelled = forDriver.find((c) => c.metadata.labels?.[Labels.CSIVolumeSnapshotClass] !== undefined);
  if (labelled) return { name: labelled.metadata.name ?? '', rule: `label ${Labels.CSIVolumeSnapshotClass}` };
  const byDefault = forDriver.find((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
  if (byDefault) return { name: byDefault.metadata.name ?? '', rule: `annotation ${DEFAULT_CLASS_ANNOTATION}` };
  if (forDriver.length === 1)
    return { name: forDriver[0]?.metadata.name ?? '', rule: `the only VolumeSnapshotClass of driver ${driver}` };
  return {
    error:
      forDriver.length === 0
        ? `no VolumeSnapshotClass for driver ${driver} (claim ${claim}): create one, or label one ${Labels.CSIVolumeSnapshotClass}`
        : `${forDriver.length} VolumeSnapshotClasses for driver ${driver} and none chosen (claim ${claim}): label one ${Labels.CSIVolumeSnapshotClass}, annotate the claim ${Annotations.CSIVolumeSnapshotClass}, or the backup ${backupKey}`,
  };
}
