/**
 * A restic repository's URL follows its location (reference §1.6, §2.5): when a location's
 * `resticRepoPrefix`, bucket, prefix or `s3Url` changes, the BackupRepository's
 * `spec.resticIdentifier` is brought up to date and the repository is connected again at the
 * new place, as Velero's repository controller does when a location changes. A
 * PodVolumeBackup's or PodVolumeRestore's `spec.repoIdentifier` that is not where the location
 * now keeps that namespace's repository is refused by name rather than silently replaced.
 */
import { Kinds, resourceRef, type BackupRepository } from '../../api/index.ts';
import type { Cluster } from '../../kube/index.ts';
import { resticIdentifier, type LocationForIdentifier } from './identity.ts';

const BSL = resourceRef(Kinds.BackupStorageLocation);
const REPO = resourceRef(Kinds.BackupRepository);

/**
 * The restic repository URL the location names for a workload namespace now; undefined when the
 * location does not exist (whoever opens the repository names it). A `resticRepoPrefix` that
 * restic could not use is an error naming it.
 */
export async function currentResticIdentifier(
  cluster: Pick<Cluster, 'find'>,
  serverNamespace: string,
  location: string,
  volumeNamespace: string,
): Promise<string | undefined> {
  const bsl = await cluster.find(BSL, location, serverNamespace);
  if (!bsl) return undefined;
  return resticIdentifier(bsl as unknown as LocationForIdentifier, volumeNamespace);
}

/** A PodVolumeBackup's or PodVolumeRestore's `spec.repoIdentifier`, and what records it (`PodVolumeBackup <name>`). */
export interface RecordedIdentifier {
  owner: string;
  repoIdentifier: string;
}

/** Throws, naming both URLs, when a recorded restic repository URL is not the location's repository now. */
export function checkRecordedResticIdentifier(
  bsl: LocationForIdentifier & { metadata?: { name?: string } },
  volumeNamespace: string,
  recorded: RecordedIdentifier,
): void {
  const expected = resticIdentifier(bsl, volumeNamespace);
  if (recorded.repoIdentifier === expected) return;
  throw new Error(
    `${recorded.owner}: spec.repoIdentifier "${recorded.repoIdentifier}" is not the restic repository of location ${bsl.metadata?.name ?? ''} for namespace ${volumeNamespace} ("${expected}")`,
  );
}

/** The message a moved repository carries until it is connected at its new place. */
export function movedMessage(location: string, from: string, to: string): string {
  return `location ${location} now keeps this restic repository at "${to}" (was "${from}"): connecting there`;
}

/**
 * Sends a restic BackupRepository whose location has moved it back through initialisation
 * (phase New). The repository controller then connects at the new URL, or initialises a
 * repository when nothing is there yet, and only then writes it into `spec.resticIdentifier`:
 * the repository is never Ready under a URL it is not connected to.
 */
export async function markRepositoryMoved(
  cluster: Pick<Cluster, 'patchStatus'>,
  repo: BackupRepository,
  identifier: string,
): Promise<void> {
  const target = { name: repo.metadata.name ?? '', namespace: repo.metadata.namespace ?? '' };
  await cluster.patchStatus(REPO, target, {
    phase: 'New',
    message: movedMessage(repo.spec.backupStorageLocation, repo.spec.resticIdentifier ?? '', identifier),
  });
}
