/**
 * Server feature flags (`--features`, reference §0 and §10.2). Velero takes any name and
 * enables what it knows; Skiff refuses a name it does not know, so that a typo is not a
 * feature silently left off.
 */
export const Feature = {
  /** Backups take every served version of each group; restores choose one (reference §2.4). */
  EnableAPIGroupVersions: 'EnableAPIGroupVersions',
} as const;
export type Feature = (typeof Feature)[keyof typeof Feature];

/** Velero's features that Skiff accepts but does not act on, and why: each is warned about at start-up. */
const NOT_ACTED_ON: Readonly<Record<string, string>> = {
  EnableCSI: 'Skiff takes CSI snapshots without this feature, so it changes nothing',
};

/** What is wrong with a `--features` list: each unknown name, named. */
export function featureProblems(names: readonly string[]): string[] {
  const known = [...Object.values(Feature), ...Object.keys(NOT_ACTED_ON)];
  return names
    .filter((n) => !known.includes(n))
    .map((n) => {
      const near = known.find((k) => k.toLowerCase() === n.toLowerCase());
      const hint = near ? ` (did you mean ${near}?)` : '';
      return `--features: unknown feature "${n}"${hint}; known features: ${known.join(', ')}`;
    });
}

/** A warning for each Velero feature in the list that Skiff does not act on. */
export function featureWarnings(names: readonly string[]): string[] {
  return names.filter((n) => n in NOT_ACTED_ON).map((n) => `--features ${n}: ${NOT_ACTED_ON[n] ?? ''}`);
}

export function featureEnabled(names: readonly string[] | undefined, feature: Feature): boolean {
  return names?.includes(feature) ?? false;
}
