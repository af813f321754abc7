/**
 * `--disable-controllers` takes Velero's controller names (reference §10.1). Each name here is
 * the name of a Skiff controller, so disabling it stops that controller. `backup-storage-location`
 * always runs, as in Velero.
 */
export const DISABLEABLE_CONTROLLERS = [
  'backup-queue',
  'backup',
  'backup-deletion',
  'backup-sync',
  'download-request',
  'gc',
  'backup-repo',
  'restore',
  'schedule',
  'server-status-request',
] as const;

export type DisableableController = (typeof DISABLEABLE_CONTROLLERS)[number];

/**
 * Velero controllers that Skiff folds into another one: the `backup` controller waits for a
 * backup's item operations and finalizes it, and the `restore` controller does the same for a
 * restore. Disabling only the Velero name would change nothing (in Velero it leaves backups in
 * Finalizing, §10.1), so such a name is accepted only together with the controller that does
 * its work.
 */
const FOLDED_CONTROLLERS: ReadonlyMap<string, DisableableController> = new Map([
  ['backup-operations', 'backup'],
  ['backup-finalizer', 'backup'],
  ['restore-operations', 'restore'],
  ['restore-finalizer', 'restore'],
]);

/** The problems with a `--disable-controllers` list: unknown names, and folded ones without their host. */
export function disableControllersProblems(names: readonly string[]): string[] {
  const known: readonly string[] = DISABLEABLE_CONTROLLERS;
  const problems: string[] = [];
  for (const name of names) {
    const host = FOLDED_CONTROLLERS.get(name);
    if (host !== undefined) {
      if (!names.includes(host)) {
        problems.push(
          `--disable-controllers: "${name}" is not a separate controller in Skiff: its work runs inside the "${host}" ` +
            `controller, so it can be disabled only together with it (--disable-controllers ${host},${name})`,
        );
      }
    } else if (!known.includes(name)) {
      problems.push(
        `--disable-controllers: "${name}" is not a controller; use any of ${DISABLEABLE_CONTROLLERS.join(', ')}`,
      );
    }
  }
  return problems;
}
