/**
 * Where a pod volume's data lives on its node, and which volumes file-system backup skips
 * (reference §6.2, §6.3 "Host path discovery"). The kubelet keeps every mounted volume of a
 * pod at `<kubeletRoot>/pods/<podUID>/volumes/<escaped plugin>/<dir>`; a node agent sees the
 * node's file system under its host root.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, isAbsolute, sep } from 'node:path';

/** The kubelet's pods folder, relative to a node's root (Velero's default `--kubelet-root-dir`). */
export const KUBELET_PODS_DIR = 'var/lib/kubelet/pods';

/** The parts of a pod volume that decide where it lives and whether it is backed up. */
export interface PodVolumeLike {
  name: string;
  persistentVolumeClaim?: { claimName: string } | undefined;
  emptyDir?: unknown;
  csi?: unknown;
  hostPath?: unknown;
  secret?: unknown;
  configMap?: unknown;
  projected?: unknown;
  downwardAPI?: unknown;
}

interface ContainerLike {
  volumeMounts?: { name: string }[] | undefined;
  volumeDevices?: { name: string }[] | undefined;
}

export interface PodLike {
  metadata: { uid?: string | undefined; name?: string | undefined; namespace?: string | undefined };
  spec?:
    | {
        volumes?: PodVolumeLike[] | undefined;
        containers?: ContainerLike[] | undefined;
        initContainers?: ContainerLike[] | undefined;
      }
    | undefined;
}

/** The parts of a PersistentVolume that decide the directory name. */
export interface PersistentVolumeLike {
  metadata: { name?: string | undefined };
  spec?: { csi?: unknown; hostPath?: unknown; volumeMode?: string | undefined } | undefined;
}

/**
 * The name of the volume's directory under `volumes/<plugin>/` (§6.3 step 1): the PV name for
 * a PVC volume (`<pv>/mount` when the PV is a CSI file-system volume), else the pod volume's
 * name (`<name>/mount` for an inline CSI volume).
 */
export function volumeDirName(volume: PodVolumeLike, pv?: PersistentVolumeLike): string {
  if (volume.persistentVolumeClaim) {
    const pvName = pv?.metadata.name;
    if (!pvName) throw new Error(`volume "${volume.name}": its claim is not bound to a PersistentVolume`);
    const csiFilesystem = pv.spec?.csi !== undefined && (pv.spec.volumeMode ?? 'Filesystem') === 'Filesystem';
    return csiFilesystem ? `${pvName}/mount` : pvName;
  }
  return volume.csi !== undefined ? `${volume.name}/mount` : volume.name;
}

/** Thrown when a volume's directory cannot be found, or is not where it may be. */
export class VolumePathError extends Error {
  override name = 'VolumePathError';
}

/**
 * The real path of a pod volume's data under `hostRoot` (§6.3 step 2): the one match of
 * `<hostRoot>/var/lib/kubelet/pods/<podUID>/volumes/* /<dirName>` (or `<podsDir>/<podUID>/...`),
 * symlinks resolved. A result outside the host root (a link pointing elsewhere) is refused.
 */
export async function resolveVolumePath(
  hostRoot: string,
  podUID: string,
  dirName: string,
  podsDir?: string,
): Promise<string> {
  if (!/^[A-Za-z0-9-]+$/.test(podUID)) throw new VolumePathError(`pod UID "${podUID}" is not a UID`);
  if (dirName.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new VolumePathError(`volume directory name "${dirName}" is not a plain name`);
  }
  const root = await realpath(hostRoot).catch((err: unknown) => {
    throw new VolumePathError(`host root ${hostRoot} cannot be read: ${(err as Error).message}`);
  });
  // Velero's node-agent sees the kubelet's pods folder mounted elsewhere (`/host_pods`, §6.1).
  const pods = podsDir === undefined ? join(root, KUBELET_PODS_DIR) : await realpath(podsDir);
  const volumesDir = join(pods, podUID, 'volumes');
  const plugins = await readdir(volumesDir, { withFileTypes: true }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new VolumePathError(`no volumes of pod ${podUID} on this node (${volumesDir} does not exist)`);
    }
    throw err;
  });
  const matches: string[] = [];
  for (const plugin of plugins) {
    if (!plugin.isDirectory()) continue;
    const candidate = join(volumesDir, plugin.name, dirName);
    const exists = await stat(candidate).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (exists) matches.push(candidate);
  }
  if (matches.length === 0) {
    throw new VolumePathError(`no directory for volume "${dirName}" under ${join(volumesDir, '*')}`);
  }
  if (matches.length > 1) {
    throw new VolumePathError(`volume "${dirName}" matches ${matches.length} directories: ${matches.join(', ')}`);
  }
  const real = await realpath(matches[0] as string);
  if (!isInside(root, real)) {
    throw new VolumePathError(`volume "${dirName}" resolves to ${real}, outside the host root ${root}`);
  }
  return real;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

/** Volume types Velero never backs up with a file-system backup (§6.2, §3.7). */
const SKIPPED_SOURCES = ['hostPath', 'secret', 'configMap', 'projected', 'downwardAPI'] as const;

/**
 * Why file-system backup skips this volume of this pod, or undefined when it does not (§6.2):
 * hostPath, secret, configMap, projected and downwardAPI volumes, service-account token
 * volumes (`default-token*`), block volumes (a container's `volumeDevices`), volumes no
 * container mounts, and PVCs bound to a hostPath PV (when that PV is given).
 */
export function skipReason(volume: PodVolumeLike, pod: PodLike, pv?: PersistentVolumeLike): string | undefined {
  for (const source of SKIPPED_SOURCES) {
    if (volume[source] !== undefined && volume[source] !== null) return `${source} volumes are not backed up`;
  }
  if (volume.name.startsWith('default-token')) return 'service account token volumes are not backed up';
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  if (containers.some((c) => (c.volumeDevices ?? []).some((d) => d.name === volume.name))) {
    return 'block volumes (volumeDevices) are not backed up by file-system backup';
  }
  if (!containers.some((c) => (c.volumeMounts ?? []).some((m) => m.name === volume.name))) {
    return 'no container mounts the volume';
  }
  if (volume.persistentVolumeClaim && pv?.spec?.hostPath !== undefined) {
    return `its claim is bound to hostPath PersistentVolume ${pv.metadata.name ?? ''}, which is not backed up`;
  }
  return undefined;
}
