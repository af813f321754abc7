/**
 * `--disable-controllers` takes Velero's controller names (reference §10.1). A name Skiff
 * has no controller for is accepted and changes nothing (that controller does not run
 * anyway); an unknown name is refused. `backup-storage-location` always runs, as in Velero.
 */
export const DISABLEABLE_CONTROLLERS = [
  'backup-queue',
  'backup',
  'backup-operations',
  'backup-deletion',
  'backup-finalizer',
  'backup-sync',
  'download-request',
  'gc',
  'backup-repo',
  'restore',
  'restore-operations',
  'schedule',
  'server-status-request',
  'restore-finalizer',
] as const;

/** The problems with a `--disable-controllers` list, one per unknown name. */
export function disableControllersProblems(names: readonly string[]): string[] {
  const known: readonly string[] = DISABLEABLE_CONTROLLERS;
  return names
    .filter((n) => !known.includes(n))
    .map((n) => `--disable-controllers: "${n}" is not a controller; use any of ${DISABLEABLE_CONTROLLERS.join(', ')}`);
}
