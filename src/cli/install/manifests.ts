/**
 * The objects `skiff install` creates, built without touching the cluster (reference
 * §8.5, §5.7): CRDs, the namespace, the `cloud-credentials` Secret, the `default`
 * BackupStorageLocation and VolumeSnapshotLocation. No Deployment: `skiff server` runs
 * wherever the user starts it.
 */
import { buildCrds } from '../../api/crds.ts';
import { Names } from '../../api/labels.ts';
import type { KubeObject } from '../../kube/object.ts';
import { parseKeyValues, parseOptionalBool, ProblemCollector } from '../flags.ts';
import { buildLocation } from '../backup-location/location-options.ts';

export interface InstallFlags {
  crdsOnly?: boolean | undefined;
  provider?: string | undefined;
  bucket?: string | undefined;
  prefix?: string | undefined;
  backupLocationConfig?: string[] | undefined;
  snapshotLocationConfig?: string[] | undefined;
  /** Commander's value of `--no-default-backup-location`: false when the flag is given. */
  defaultBackupLocation?: boolean | undefined;
  useVolumeSnapshots?: string | boolean | undefined;
  /** Contents of --secret-file (the CLI reads it). */
  secretFileContents?: Buffer | undefined;
  /** Commander's value of `--no-secret`: false when the flag is given. */
  secret?: boolean | undefined;
}

const COMPONENT = { component: 'velero' };

/** Everything install would create, in creation order; `problems` lists every bad flag. */
export function installObjects(namespace: string, flags: InstallFlags): { objects: KubeObject[]; problems: string[] } {
  const crds = buildCrds();
  if (flags.crdsOnly) return { objects: crds, problems: [] };
  const p = new ProblemCollector();
  const withLocation = flags.defaultBackupLocation !== false;
  const withSnapshots = p.attempt(() => parseOptionalBool(flags.useVolumeSnapshots, '--use-volume-snapshots')) ?? true;
  checkInstallFlags(p, flags, withLocation, withSnapshots);
  const objects: KubeObject[] = [...crds, namespaceObject(namespace)];
  const withSecret = flags.secretFileContents !== undefined;
  if (withSecret) objects.push(secretObject(namespace, flags.secretFileContents ?? Buffer.alloc(0)));
  if (withLocation) {
    const { location, problems } = buildLocation(Names.DefaultBackupStorageLocation, namespace, {
      provider: flags.provider,
      bucket: flags.bucket,
      prefix: flags.prefix,
      config: flags.backupLocationConfig,
      default: true,
      ...(withSecret ? { credential: `${Names.CredentialsSecret}=${Names.CredentialsSecretKey}` } : {}),
    });
    for (const e of problems) p.add(e);
    location.metadata.labels = { ...COMPONENT };
    objects.push(location);
  }
  if (withSnapshots) objects.push(snapshotLocation(namespace, flags, p));
  return { objects, problems: p.problems };
}

function checkInstallFlags(
  p: ProblemCollector,
  flags: InstallFlags,
  withLocation: boolean,
  withSnapshots: boolean,
): void {
  if ((withLocation || withSnapshots) && !flags.provider) {
    p.add(
      '--provider is required (aws or filesystem), unless --no-default-backup-location and --use-volume-snapshots=false',
    );
  }
  if (!withLocation && (flags.bucket || flags.prefix)) {
    p.add('--bucket and --prefix configure the default location: drop them or drop --no-default-backup-location');
  }
  const hasSecret = flags.secretFileContents !== undefined;
  if (hasSecret && flags.secret === false) p.add('use either --secret-file or --no-secret, not both');
  // Velero requires one of the two; a filesystem location needs no credentials, so it is exempt.
  if (!hasSecret && flags.secret !== false && flags.provider !== undefined && flags.provider !== 'filesystem') {
    p.add('give credentials with --secret-file FILE, or --no-secret if the server gets them another way');
  }
}

function namespaceObject(namespace: string): KubeObject {
  // Pod security labels as Velero sets them, so node-agent style pods may run privileged later.
  const labels: Record<string, string> = { ...COMPONENT };
  for (const mode of ['enforce', 'audit', 'warn']) {
    labels[`pod-security.kubernetes.io/${mode}`] = 'privileged';
    labels[`pod-security.kubernetes.io/${mode}-version`] = 'latest';
  }
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } };
}

function secretObject(namespace: string, contents: Buffer): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: Names.CredentialsSecret, namespace, labels: { ...COMPONENT } },
    type: 'Opaque',
    data: { [Names.CredentialsSecretKey]: contents.toString('base64') },
  };
}

function snapshotLocation(namespace: string, flags: InstallFlags, p: ProblemCollector): KubeObject {
  const config = p.attempt(() => parseKeyValues(flags.snapshotLocationConfig, '--snapshot-location-config')) ?? {};
  return {
    apiVersion: 'velero.io/v1',
    kind: 'VolumeSnapshotLocation',
    metadata: { name: Names.DefaultVolumeSnapshotLocation, namespace, labels: { ...COMPONENT } },
    spec: { provider: flags.provider ?? '', ...(Object.keys(config).length > 0 ? { config } : {}) },
  };
}
