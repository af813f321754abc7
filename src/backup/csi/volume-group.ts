/**
 * Claims labelled for a CSI volume group snapshot (reference §3.4, §7.3 step 3, Appendix A):
 * Velero snapshots the claims sharing the label's value together, in one VolumeGroupSnapshot,
 * so that they are consistent with each other. Skiff snapshots each claim on its own, and a
 * backup that does so for a labelled claim says it, naming the claim. Pure.
 */
import { Labels } from '../../api/labels.ts';
import type { KubeObject } from '../../kube/object.ts';

/**
 * The warning for a claim that carries the default group label (`spec.volumeGroupSnapshotLabelKey`,
 * which would name another key, fails validation), or undefined. `planned`: the dry run's wording.
 */
export function volumeGroupWarning(pvc: KubeObject, planned = false): string | undefined {
  const group = pvc.metadata.labels?.[Labels.VolumeGroup];
  if (group === undefined) return undefined;
  const claim = `${pvc.metadata.namespace ?? ''}/${pvc.metadata.name ?? ''}`;
  return (
    `claim ${claim} carries label ${Labels.VolumeGroup}=${group}: it ${planned ? 'would be' : 'was'} snapshotted on its own, ` +
    `not together with the other claims of group "${group}" in one VolumeGroupSnapshot, as Skiff does not support volume group snapshots`
  );
}
