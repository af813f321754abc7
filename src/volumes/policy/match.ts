import type { PolicyVolume, ResourcePolicies, VolumePolicy, VolumePolicyConditions } from './types.ts';

/** The first volume policy whose conditions all hold for the volume (reference §3.7), or undefined. */
export function matchVolumePolicy(
  policies: ResourcePolicies | undefined,
  volume: PolicyVolume,
): VolumePolicy | undefined {
  return policies?.volumePolicies.find((p) => conditionsHold(p.conditions, volume));
}

type Check = (c: VolumePolicyConditions, v: PolicyVolume) => boolean;

/**
 * One check per condition; an absent condition holds. A condition about something the volume
 * does not have (a PVC label on an emptyDir, a capacity nobody states) does not hold.
 */
const CHECKS: readonly Check[] = [
  ({ capacity }, v) =>
    !capacity ||
    (v.capacity !== undefined &&
      (capacity.min === undefined || v.capacity >= capacity.min) &&
      (capacity.max === undefined || v.capacity <= capacity.max)),
  ({ storageClass }, v) =>
    !storageClass?.length || (v.storageClass !== undefined && storageClass.includes(v.storageClass)),
  ({ nfs }, v) =>
    !nfs ||
    (v.nfs !== undefined &&
      (nfs.server === undefined || nfs.server === v.nfs.server) &&
      (nfs.path === undefined || trimSlash(nfs.path) === trimSlash(v.nfs.path))),
  ({ csi }, v) =>
    !csi ||
    (v.csi !== undefined &&
      (csi.driver === undefined || csi.driver === v.csi.driver) &&
      isSubset(csi.volumeAttributes, v.csi.volumeAttributes)),
  ({ volumeTypes }, v) => !volumeTypes?.length || volumeTypes.includes(v.type.toLowerCase()),
  ({ pvcLabels }, v) =>
    !pvcLabels ||
    Object.keys(pvcLabels).length === 0 ||
    (v.pvcLabels !== undefined && isSubset(pvcLabels, v.pvcLabels)),
  ({ pvcPhase }, v) => !pvcPhase?.length || (v.pvcPhase !== undefined && pvcPhase.includes(v.pvcPhase)),
];

export function conditionsHold(c: VolumePolicyConditions, v: PolicyVolume): boolean {
  return CHECKS.every((check) => check(c, v));
}

function isSubset(wanted: Record<string, string> | undefined, have: Record<string, string>): boolean {
  return Object.entries(wanted ?? {}).every(([k, val]) => have[k] === val);
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/u, '') : p;
}

/** How a policy is named in a dry run or a reason: `volume policy #2 (line 9 of ConfigMap velero/p): skip`. */
export function describePolicy(policies: ResourcePolicies, p: VolumePolicy): string {
  return `volume policy #${p.index + 1} (line ${p.line} of ${policies.source}): ${p.action}`;
}
