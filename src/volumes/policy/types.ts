/** The volume policies of a resource-policies ConfigMap (reference §3.7), parsed and checked. */

/** Actions Skiff carries out (`snapshot`: a CSI snapshot of a claim whose PV is CSI, reference §3.7). */
export type VolumePolicyAction = 'skip' | 'fs-backup' | 'snapshot';

export interface CapacityRange {
  /** Inclusive bounds in bytes; absent = open on that side. */
  min?: number;
  max?: number;
  /** The text as written, for messages. */
  text: string;
}

export interface VolumePolicyConditions {
  capacity?: CapacityRange;
  storageClass?: string[];
  /** `{}` matches any NFS volume. */
  nfs?: { server?: string; path?: string };
  /** `{}` matches any CSI volume. */
  csi?: { driver?: string; volumeAttributes?: Record<string, string> };
  /** Lower-cased volume source names (emptyDir → emptydir). */
  volumeTypes?: string[];
  pvcLabels?: Record<string, string>;
  pvcPhase?: string[];
}

export interface VolumePolicy {
  /** Index in `volumePolicies`, and the line it starts on (1-based), to name the rule that chose a method. */
  index: number;
  line: number;
  conditions: VolumePolicyConditions;
  action: VolumePolicyAction;
}

export interface ResourcePolicies {
  /** Where the policies came from, e.g. `ConfigMap velero/my-policy`. */
  source: string;
  volumePolicies: VolumePolicy[];
}

/** What the matcher needs to know about one volume, as plain data. */
export interface PolicyVolume {
  /** The volume source's field name: `persistentVolumeClaim` resolves to its PV's source (`csi`, `local`, `nfs`, ...). */
  type: string;
  /** Bytes: the PV's capacity (or the PVC's request when unbound), an emptyDir's sizeLimit. */
  capacity?: number;
  storageClass?: string;
  nfs?: { server: string; path: string };
  csi?: { driver: string; volumeAttributes: Record<string, string> };
  /** Only for PVC volumes. */
  pvcLabels?: Record<string, string>;
  pvcPhase?: string;
}
