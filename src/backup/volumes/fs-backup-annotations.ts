/**
 * The pod annotations that opt volumes in to, or out of, file-system backup (reference §3.7):
 * their entries, and the warnings for what in them has no effect. Velero drops such entries
 * without a word; Skiff's rule is that nothing accepted is silently ignored, so the backup
 * says which pod, which annotation and which entry. Pure.
 */
import { Annotations } from '../../api/labels.ts';
import type { KubeObject } from '../../kube/object.ts';

export const BACKUP_VOLUMES_ANNOTATION = Annotations.BackupVolumes;
export const BACKUP_VOLUMES_EXCLUDES_ANNOTATION = Annotations.BackupVolumesExcludes;

/** The mode a backup is in, and what set it (for the warning text). */
export interface FsBackupMode {
  defaultVolumesToFsBackup: boolean;
  /** `spec.defaultVolumesToFsBackup`, `server --default-volumes-to-fs-backup`, ... */
  defaultSource: string;
}

/**
 * An annotation's entries as Velero reads them: split on commas, not trimmed (reference §3.7),
 * so `data, logs` names `data` and ` logs`. Empty entries name nothing and are left out.
 */
export function annotationEntries(pod: KubeObject, annotation: string): string[] {
  const value = pod.metadata.annotations?.[annotation];
  if (value === undefined) return [];
  return value.split(',').filter((e) => e !== '');
}

/**
 * What the pod's file-system backup annotations say that the backup does not act on: the
 * annotation of the other mode, and entries naming no volume of the pod. The volumes are
 * decided exactly as Velero decides them; these only say what was left unused.
 */
export function fsBackupAnnotationWarnings(
  pod: KubeObject,
  volumeNames: readonly string[],
  mode: FsBackupMode,
): string[] {
  const ref = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
  const [applies, ignored] = mode.defaultVolumesToFsBackup
    ? [BACKUP_VOLUMES_EXCLUDES_ANNOTATION, BACKUP_VOLUMES_ANNOTATION]
    : [BACKUP_VOLUMES_ANNOTATION, BACKUP_VOLUMES_EXCLUDES_ANNOTATION];
  const out: string[] = [];
  if (annotationEntries(pod, ignored).length > 0) out.push(otherModeWarning(ref, ignored, mode));
  const unmatched = annotationEntries(pod, applies).filter((e) => !volumeNames.includes(e));
  if (unmatched.length > 0) out.push(unmatchedWarning(ref, applies, unmatched, volumeNames));
  return out;
}

function otherModeWarning(ref: string, annotation: string, mode: FsBackupMode): string {
  const setting = `defaultVolumesToFsBackup ${String(mode.defaultVolumesToFsBackup)}, set by ${mode.defaultSource}`;
  const why = mode.defaultVolumesToFsBackup
    ? `the backup is opt-out (${setting}): every volume is backed up from the file system unless annotation ${BACKUP_VOLUMES_EXCLUDES_ANNOTATION} lists it`
    : `the backup is opt-in (${setting}): only the volumes annotation ${BACKUP_VOLUMES_ANNOTATION} lists are backed up from the file system`;
  return `annotation ${annotation} of pod ${ref} has no effect: ${why}`;
}

function unmatchedWarning(
  ref: string,
  annotation: string,
  unmatched: readonly string[],
  volumeNames: readonly string[],
): string {
  const effect =
    annotation === BACKUP_VOLUMES_ANNOTATION
      ? 'nothing is backed up from the file system for them'
      : 'nothing is excluded from file-system backup by them';
  const entries = unmatched.map((e) => JSON.stringify(e)).join(', ');
  const volumes = volumeNames.length > 0 ? volumeNames.join(', ') : 'none';
  const spaced = unmatched.filter((e) => e.trim() !== e);
  // Velero splits on commas and keeps the spaces: `data, logs` names ` logs`, which is no volume.
  const note =
    spaced.length > 0
      ? `; entries are not trimmed (as in Velero): remove the spaces around ${spaced.map((e) => JSON.stringify(e)).join(', ')}`
      : '';
  return `annotation ${annotation} of pod ${ref} lists ${entries}, which name no volume of the pod (its volumes: ${volumes}): ${effect}${note}`;
}
