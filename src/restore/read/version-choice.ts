import type { ParsedEntryPath } from '../../archive/index.ts';
import { compareKubeVersions } from '../../kube/version-priority.ts';

/**
 * Which copy of an item a restore uses, when the backup holds it at several API versions.
 *
 * Without EnableAPIGroupVersions (reference §2.4 "Restore-side parsing"): the legacy,
 * unversioned copy; the `<v>-preferredversion/` copy only when the legacy one is missing;
 * other version folders never.
 *
 * With it, per group-resource and in this order (reference §2.4, "Restore with
 * EnableAPIGroupVersions"):
 * 1. the user's priority (ConfigMap `enableapigroupversions`, key
 *    `restoreResourcesVersionPriority`): its first version the backup holds and the target serves;
 * 2. the target cluster's preferred version, if the backup holds it;
 * 3. the source cluster's preferred version, if the target serves it;
 * 4. the highest version both have, by Kubernetes version priority;
 * 5. otherwise the source's preferred version (the restore of each such item then fails,
 *    naming the versions the target serves).
 * The order is a rank of each version, so it can be applied one tar entry at a time: an item
 * is restored from its best-ranked copy, which is the group's choice whenever the item exists
 * at that version (an item missing there falls back to its next-best copy, not to nothing).
 */

/** What the target cluster serves of one group-resource. */
export interface TargetVersions {
  /** Versions the resource is served at; empty when the target does not serve it (yet). */
  readonly served: readonly string[];
  /** The preferred version of the resource's group on the target. */
  readonly preferred: string | undefined;
}

/** The user's priorities: group-resource (`rockbands.music.example.io`) → versions, first preferred. */
export type UserVersionPriorities = ReadonlyMap<string, readonly string[]>;

/** Which rule of the order picked a version (reference §2.4, rules 1–5). */
export const VersionRule = {
  UserPriority: 'user-priority',
  TargetPreferred: 'target-preferred',
  SourcePreferred: 'source-preferred',
  HighestCommon: 'highest-common',
  SourcePreferredFallback: 'source-preferred-fallback',
} as const;
export type VersionRule = (typeof VersionRule)[keyof typeof VersionRule];

export interface RankedVersion {
  /** Lower is better. */
  rank: number;
  rule: VersionRule;
}

export interface VersionChoice extends RankedVersion {
  groupResource: string;
  version: string;
  /** The versions the backup holds, in Kubernetes version priority. */
  sourceVersions: string[];
  /** The versions the target serves, in Kubernetes version priority. */
  targetVersions: string[];
}

const RULE_TEXT: Record<VersionRule, string> = {
  [VersionRule.UserPriority]: `the first version of ConfigMap enableapigroupversions that both clusters have`,
  [VersionRule.TargetPreferred]: `the target cluster's preferred version`,
  [VersionRule.SourcePreferred]: `the source cluster's preferred version, which the target serves`,
  [VersionRule.HighestCommon]: `the highest version both clusters have`,
  [VersionRule.SourcePreferredFallback]: `no version in common with the target cluster: the source's preferred version`,
};

/** The reference's order (§2.4) as a rank per version, for one target cluster and user priority. */
export class VersionPriority {
  private readonly targets = new Map<string, TargetVersions & { byPriority: string[] }>();

  constructor(
    private readonly targetOf: (groupResource: string) => TargetVersions,
    private readonly user: UserVersionPriorities = new Map(),
  ) {}

  /**
   * Where a copy at `version` stands for its group-resource; undefined when that copy is never
   * restored (a non-preferred version the target does not serve). `sourcePreferred` marks the
   * source cluster's preferred version (the legacy copy and the `-preferredversion` folder).
   */
  rank(groupResource: string, version: string | undefined, sourcePreferred: boolean): RankedVersion | undefined {
    const target = this.target(groupResource);
    const user = (this.user.get(groupResource) ?? []).filter((v) => target.served.includes(v));
    const fallback = { rank: user.length + 2 + target.byPriority.length, rule: VersionRule.SourcePreferredFallback };
    if (version === undefined) return sourcePreferred ? fallback : undefined;
    const inUser = user.indexOf(version);
    if (inUser >= 0) return { rank: inUser, rule: VersionRule.UserPriority };
    if (version === target.preferred && target.served.includes(version)) {
      return { rank: user.length, rule: VersionRule.TargetPreferred };
    }
    const served = target.byPriority.indexOf(version);
    if (sourcePreferred && served >= 0) return { rank: user.length + 1, rule: VersionRule.SourcePreferred };
    if (served >= 0) return { rank: user.length + 2 + served, rule: VersionRule.HighestCommon };
    return sourcePreferred ? fallback : undefined;
  }

  /** The group's choice among the versions the backup holds; undefined when none can be restored. */
  choose(
    groupResource: string,
    sourceVersions: Iterable<string>,
    sourcePreferred: string | undefined,
  ): VersionChoice | undefined {
    const versions = [...new Set(sourceVersions)].sort(compareKubeVersions);
    let best: VersionChoice | undefined;
    for (const version of versions) {
      const ranked = this.rank(groupResource, version, version === sourcePreferred);
      if (ranked && (!best || ranked.rank < best.rank)) {
        best = {
          groupResource,
          version,
          sourceVersions: versions,
          targetVersions: this.served(groupResource),
          ...ranked,
        };
      }
    }
    return best;
  }

  /** The versions the target serves the group-resource at, in Kubernetes version priority. */
  served(groupResource: string): string[] {
    return [...this.target(groupResource).byPriority];
  }

  private target(groupResource: string): TargetVersions & { byPriority: string[] } {
    let t = this.targets.get(groupResource);
    if (!t) {
      const found = this.targetOf(groupResource);
      t = { ...found, byPriority: [...new Set(found.served)].sort(compareKubeVersions) };
      this.targets.set(groupResource, t);
    }
    return t;
  }
}

/** Chooses among the copies of each item while a tarball is read, one entry at a time. */
export interface CopyChooser {
  /**
   * Rank of this copy (lower wins), or undefined when it is never restored. `apiVersion` is
   * the item's own, which tells a legacy copy's version; undefined for an unreadable item.
   */
  rank(parsed: ParsedEntryPath, apiVersion: string | undefined): number | undefined;
  /** What was chosen, per group-resource, for the restore log. */
  notes(): string[];
}

/** Velero's choice without EnableAPIGroupVersions (§2.4): legacy copy, else the preferred-version copy. */
export function legacyCopyChooser(): CopyChooser {
  const ignored = new Set<string>();
  return {
    rank(parsed) {
      if (parsed.version === undefined) return 0;
      if (parsed.preferred) return 1;
      ignored.add(parsed.groupResource);
      return undefined;
    },
    notes: () =>
      [...ignored].map(
        (gr) =>
          `${gr}: non-preferred version folders are ignored (the server runs without the EnableAPIGroupVersions feature)`,
      ),
  };
}

/** The choice with EnableAPIGroupVersions (§2.4): each copy ranked by `priority`. */
export function versionedCopyChooser(priority: VersionPriority): CopyChooser {
  const seen = new Map<string, { versions: Set<string>; preferred: string | undefined }>();
  return {
    rank(parsed, apiVersion) {
      const sourcePreferred = parsed.version === undefined || parsed.preferred;
      const version = parsed.version ?? versionOf(apiVersion);
      if (parsed.version !== undefined) {
        const folder = seen.get(parsed.groupResource) ?? { versions: new Set(), preferred: undefined };
        folder.versions.add(parsed.version);
        if (parsed.preferred) folder.preferred ??= parsed.version;
        seen.set(parsed.groupResource, folder);
      }
      const ranked = priority.rank(parsed.groupResource, version, sourcePreferred);
      // The legacy copy wins a tie with its `-preferredversion` twin, as without the feature.
      return ranked === undefined ? undefined : ranked.rank * 2 + (parsed.preferred ? 1 : 0);
    },
    notes() {
      const out: string[] = [];
      for (const [gr, folder] of seen) {
        const choice = priority.choose(gr, folder.versions, folder.preferred);
        const noCommon = choice?.rule === VersionRule.SourcePreferredFallback && choice.targetVersions.length > 0;
        if (!choice || (folder.versions.size < 2 && !noCommon)) continue;
        out.push(describeChoice(choice));
      }
      return out;
    },
  };
}

export function describeChoice(choice: VersionChoice): string {
  const why =
    choice.rule === VersionRule.SourcePreferredFallback && choice.targetVersions.length === 0
      ? `the target cluster does not serve it yet: the source's preferred version`
      : choice.rule === VersionRule.SourcePreferredFallback
        ? `${RULE_TEXT[choice.rule]}; the target serves only ${choice.targetVersions.join(', ')}`
        : RULE_TEXT[choice.rule];
  return `${choice.groupResource}: restoring version ${choice.version} of ${choice.sourceVersions.join(', ')} in the backup (${why})`;
}

function versionOf(apiVersion: string | undefined): string | undefined {
  if (apiVersion === undefined || apiVersion === '') return undefined;
  return apiVersion.slice(apiVersion.indexOf('/') + 1);
}

/** The ConfigMap key's text, parsed; each line that cannot be used is a problem naming it. */
export function parseVersionPriorities(text: string): { priorities: Map<string, string[]>; problems: string[] } {
  const priorities = new Map<string, string[]>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `line ${i + 1} ${JSON.stringify(line)}`;
    const eq = line.indexOf('=');
    const gr = eq < 0 ? '' : line.slice(0, eq).trim();
    const versions =
      eq < 0
        ? []
        : line
            .slice(eq + 1)
            .split(',')
            .map((v) => v.trim());
    if (gr === '' || /\s/.test(gr) || versions.length === 0 || versions.some((v) => !/^v\d[a-z0-9]*$/.test(v))) {
      problems.push(`${where} is not "<resource>.<group>=<version>[,<version>...]"; it is not used`);
      return;
    }
    if (priorities.has(gr)) problems.push(`${where} names ${gr} again; the later line is used`);
    priorities.set(gr, versions);
  });
  return { priorities, problems };
}
