import type { PolicyVolume, ResourcePolicies, VolumePolicy, VolumePolicyConditions } from './types.ts';

/** The first volume policy whose conditions all hold for the volume (reference §3.7), or undefined. */
export function matchVolumePolicy(
  policies: ResourcePolicies | undefined,
  volume: PolicyVolume,
): VolumePolicy | undefined {
  return policies?.volumePolicies.find((p) => conditionsHold(p.conditions, volume));
}

/** A condition about something the volume does not have (a PVC label on an emptyDir) does not hold. */
export function conditionsHold(c: VolumePolicyConditions, v: PolicyVolume): boolean {
  if (c.capacity) {
    if (v.capacity === undefined) return false;
    if (c.capacity.min !== undefined && v.capacity < c.capacity.min) return false;
    if (c.capacity.max !== undefined && v.capacity > c.capacity.max) return false;
  }
  if (c.storageClass && c.storageClass.length > 0) {
    if (v.storageClass === undefined || !c.storageClass.includes(v.storageClass)) return false;
  }
  if (c.nfs) {
    if (!v.nfs) return false;
    if (c.nfs.server !== undefined && c.nfs.server !== v.nfs.server) return false;
    if (c.nfs.path !== undefined && trimSlash(c.nfs.path) !== trimSlash(v.nfs.path)) return false;
  }
  if (c.csi) {
    if (!v.csi) return false;
    if (c.csi.driver !== undefined && c.csi.driver !== v.csi.driver) return false;
    for (const [k, val] of Object.entries(c.csi.volumeAttributes ?? {}))
      if (v.csi.volumeAttributes[k] !== val) return false;
  }
  if (c.volumeTypes && c.volumeTypes.length > 0 && !c.volumeTypes.includes(v.type.toLowerCase())) return false;
  if (c.pvcLabels && Object.keys(c.pvcLabels).length > 0) {
    const labels = v.pvcLabels;
    if (!labels) return false;
    for (const [k, val] of Object.entries(c.pvcLabels)) if (labels[k] !== val) return false;
  }
  if (c.pvcPhase && c.pvcPhase.length > 0) {
    if (v.pvcPhase === undefined || !c.pvcPhase.includes(v.pvcPhase)) return false;
  }
  return true;
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/u, '') : p;
}

/** How a policy is named in a dry run or a reason: `volume policy #2 (line 9 of ConfigMap velero/p): skip`. */
export function describePolicy(policies: ResourcePolicies, p: VolumePolicy): string {
  return `volume policy #${p.index + 1} (line ${p.line} of ${policies.source}): ${p.action}`;
}
