import type { KubeObject } from '../../kube/object.ts';
import { isBlockDevice, isMounted, pvSpec, sourceType, type PodSpecView, type PodVolume } from './pod-volumes.ts';

/** Volume sources file-system backup never takes (reference §3.7, §6.2). */
const NEVER_BACKED_UP = ['hostPath', 'secret', 'configMap', 'projected', 'downwardAPI'];

/**
 * Why a pod volume cannot be backed up from the file system, or undefined when it can
 * (reference §3.7 `ShouldPerformFSBackup`, §6.2). The same rule as fs-agent's
 * `src/volumes/host-path.ts` skipReason; reconcile the two when both are in main.
 */
export function fsBackupSkipReason(spec: PodSpecView, volume: PodVolume, pv?: KubeObject): string | undefined {
  const type = sourceType(volume);
  if (NEVER_BACKED_UP.includes(type)) return `${type} volumes are not backed up from the file system`;
  if (volume.name.startsWith('default-token'))
    return 'service account token volumes (default-token*) are not backed up';
  if (pvSpec(pv)?.hostPath)
    return `its PV ${pv?.metadata.name ?? ''} is a hostPath volume, not backed up from the file system`;
  if (isBlockDevice(spec, volume.name)) return 'block volumes (volumeDevices) are not backed up from the file system';
  if (!isMounted(spec, volume.name)) return 'no container mounts it';
  return undefined;
}
