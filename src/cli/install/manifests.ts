/**
 * The objects `skiff install` creates, built without touching the cluster (reference
 * §8.5, §5.7): CRDs, the namespace, the ServiceAccount and RBAC, the `cloud-credentials`
 * Secret, the `default` BackupStorageLocation and VolumeSnapshotLocation, and the server
 * Deployment, in the order `velero install` creates them.
 */
import { buildAllCrds } from '../../api/all-crds.ts';
import { tenantInstallObjects } from '../../tenant/install.ts';
import { Names } from '../../api/labels.ts';
import type { KubeObject } from '../../kube/object.ts';
import { featureProblems } from '../../server/features.ts';
import { parseKeyValues, parseLabels, parseOptionalBool, ProblemCollector, splitList } from '../flags.ts';
import { buildLocation } from '../backup-location/location-options.ts';
import { DEFAULT_IMAGE, DEFAULT_RESOURCES, serverDeployment, serviceAccountObject } from './deployment.ts';
import { RBAC_MODES, rbacObjects, type RbacMode } from './rbac.ts';
import { nodeAgentDaemonSet, type NodeAgentSettings } from './node-agent.ts';
import { volumeServerOptions } from '../../volumes/server-flags.ts';
import { VIEW_API_PORT, viewApiInstallObjects } from '../../tenant/view/manifests.ts';
import { pluginNotes, SERVER_DEFAULT_FLAGS, serverDefaultArgs, type ServerDefaultFlags } from './server-defaults.ts';

export interface InstallFlags extends ServerDefaultFlags {
  crdsOnly?: boolean | undefined;
  provider?: string | undefined;
  bucket?: string | undefined;
  prefix?: string | undefined;
  backupLocationConfig?: string[] | undefined;
  snapshotLocationConfig?: string[] | undefined;
  /** Commander's value of `--no-default-backup-location`: false when the flag is given. */
  defaultBackupLocation?: boolean | undefined;
  useVolumeSnapshots?: string | boolean | undefined;
  /** `--secret-file`: the path, checked against `--crds-only` (the CLI reads it only without). */
  secretFile?: string | undefined;
  /** `--cacert`: the path, checked against `--crds-only` and `--no-default-backup-location`. */
  cacert?: string | undefined;
  /** Contents of --cacert, base64, for the default location's `objectStorage.caCert` (the CLI reads it). */
  caCertBase64?: string | undefined;
  /** Contents of --secret-file (the CLI reads it). */
  secretFileContents?: Buffer | undefined;
  /** Commander's value of `--no-secret`: false when the flag is given. */
  secret?: boolean | undefined;
  image?: string | undefined;
  veleroPodCpuRequest?: string | undefined;
  veleroPodMemRequest?: string | undefined;
  veleroPodCpuLimit?: string | undefined;
  veleroPodMemLimit?: string | undefined;
  podAnnotations?: string[] | undefined;
  podLabels?: string[] | undefined;
  saAnnotations?: string[] | undefined;
  /** An existing ServiceAccount: install then creates neither it nor RBAC (as Velero). */
  serviceAccountName?: string | undefined;
  rbac?: string | undefined;
  /** Extra `skiff server` flags, passed through to the Deployment. */
  serverArg?: string[] | undefined;
  /** `--features`: the server's feature flags (Velero's install flag), checked here. */
  features?: string | undefined;
  /** Commander's value of `--no-server`: false when given (no ServiceAccount, RBAC or Deployment). */
  server?: boolean | undefined;
  /** `--use-node-agent`: add the node-agent DaemonSet (file-system backup). */
  useNodeAgent?: boolean | undefined;
  nodeAgentPodCpuRequest?: string | undefined;
  nodeAgentPodMemRequest?: string | undefined;
  nodeAgentPodCpuLimit?: string | undefined;
  nodeAgentPodMemLimit?: string | undefined;
  privilegedNodeAgent?: boolean | undefined;
  kubeletRootDir?: string | undefined;
  nodeAgentPriorityClassName?: string | undefined;
  serverPriorityClassName?: string | undefined;
  /** `--uploader-type`: passed to the server as its own flag, checked here. */
  uploaderType?: string | undefined;
  /** `--view-api`: serve view.skiff.dev (tenants' logs) from the server, with its Service and APIService. */
  viewApi?: boolean | undefined;
  /** `--wait` (the CLI waits for the Deployment): checked here against `--crds-only` only. */
  wait?: boolean | undefined;
}

/** The flags that shape the node-agent DaemonSet, refused without `--use-node-agent`. */
const NODE_AGENT_FLAGS: [keyof InstallFlags, string][] = [
  ['nodeAgentPodCpuRequest', '--node-agent-pod-cpu-request'],
  ['nodeAgentPodMemRequest', '--node-agent-pod-mem-request'],
  ['nodeAgentPodCpuLimit', '--node-agent-pod-cpu-limit'],
  ['nodeAgentPodMemLimit', '--node-agent-pod-mem-limit'],
  ['privilegedNodeAgent', '--privileged-node-agent'],
  ['kubeletRootDir', '--kubelet-root-dir'],
  ['nodeAgentPriorityClassName', '--node-agent-priority-class-name'],
];

/** The flags that shape the in-cluster server, refused with `--no-server`. */
const SERVER_FLAGS: [keyof InstallFlags, string][] = [
  ['image', '--image'],
  ['veleroPodCpuRequest', '--velero-pod-cpu-request'],
  ['veleroPodMemRequest', '--velero-pod-mem-request'],
  ['veleroPodCpuLimit', '--velero-pod-cpu-limit'],
  ['veleroPodMemLimit', '--velero-pod-mem-limit'],
  ['podAnnotations', '--pod-annotations'],
  ['podLabels', '--pod-labels'],
  ['saAnnotations', '--sa-annotations'],
  ['serviceAccountName', '--service-account-name'],
  ['rbac', '--rbac'],
  ['serverArg', '--server-arg'],
  ['features', '--features'],
  ['useNodeAgent', '--use-node-agent'],
  ['uploaderType', '--uploader-type'],
  ['viewApi', '--view-api'],
  ['serverPriorityClassName', '--server-priority-class-name'],
  ...NODE_AGENT_FLAGS,
  ...SERVER_DEFAULT_FLAGS.map(({ key, flag }): [keyof InstallFlags, string] => [key, flag]),
  ['plugins', '--plugins'],
];

/**
 * Every flag that shapes an object other than the CRDs, refused with `--crds-only`; `--dry-run`
 * and `-o` print the CRDs instead of installing them, so they are not here.
 */
const NON_CRD_FLAGS: [keyof InstallFlags, string][] = [
  ['provider', '--provider'],
  ['bucket', '--bucket'],
  ['prefix', '--prefix'],
  ['backupLocationConfig', '--backup-location-config'],
  ['snapshotLocationConfig', '--snapshot-location-config'],
  ['useVolumeSnapshots', '--use-volume-snapshots'],
  ['secretFile', '--secret-file'],
  ['secretFileContents', '--secret-file'],
  ['cacert', '--cacert'],
  ...SERVER_FLAGS,
  ['wait', '--wait'],
];

/** The `--no-*` flags: commander gives false when one is given and true otherwise. */
const NEGATED_NON_CRD_FLAGS: [keyof InstallFlags, string][] = [
  ['defaultBackupLocation', '--no-default-backup-location'],
  ['secret', '--no-secret'],
  ['server', '--no-server'],
];

/** `--crds-only` installs the CRDs alone: any other flag given would change nothing. */
function crdsOnlyProblems(flags: InstallFlags): string[] {
  const given = new Set([
    ...NON_CRD_FLAGS.filter(([key]) => flags[key] !== undefined).map(([, flag]) => flag),
    ...NEGATED_NON_CRD_FLAGS.filter(([key]) => flags[key] === false).map(([, flag]) => flag),
  ]);
  if (given.size === 0) return [];
  return [
    `${[...given].join(', ')} configure what install creates besides the CRDs, which --crds-only leaves out: ` +
      'drop them or drop --crds-only',
  ];
}

const COMPONENT = { component: 'velero' };

/**
 * Everything install would create, in creation order; `problems` lists every bad flag, and
 * `notes` what a flag asked for that needs nothing (a plugin Skiff has built in).
 */
export function installObjects(
  namespace: string,
  flags: InstallFlags,
): { objects: KubeObject[]; problems: string[]; notes: string[] } {
  // The tenant kinds come with their admission policies and roles, never without them.
  const crds = [...buildAllCrds(), ...tenantInstallObjects()];
  if (flags.crdsOnly) return { objects: crds, problems: crdsOnlyProblems(flags), notes: [] };
  const p = new ProblemCollector();
  const notes = pluginNotes(flags.plugins, p);
  const withLocation = flags.defaultBackupLocation !== false;
  const withSnapshots = p.attempt(() => parseOptionalBool(flags.useVolumeSnapshots, '--use-volume-snapshots')) ?? true;
  checkInstallFlags(p, flags, withLocation, withSnapshots);
  const objects: KubeObject[] = [...crds, namespaceObject(namespace)];
  const inCluster = flags.server !== false;
  if (!inCluster) {
    const given = SERVER_FLAGS.filter(([key]) => flags[key] !== undefined).map(([, flag]) => flag);
    if (given.length > 0) p.add(`${given.join(', ')} configure the server Deployment: drop them or drop --no-server`);
  }
  const server = serverSettings(flags, p);
  if (inCluster && !flags.serviceAccountName) {
    objects.push(serviceAccountObject(namespace, Names.ServiceAccount, COMPONENT, server.saAnnotations));
    objects.push(...rbacObjects(namespace, server.rbac, Names.ServiceAccount, COMPONENT));
  }
  const withSecret = flags.secretFileContents !== undefined;
  if (withSecret) objects.push(secretObject(namespace, flags.secretFileContents ?? Buffer.alloc(0)));
  if (withLocation) {
    const { location, problems } = buildLocation(Names.DefaultBackupStorageLocation, namespace, {
      provider: flags.provider,
      bucket: flags.bucket,
      prefix: flags.prefix,
      config: flags.backupLocationConfig,
      caCertBase64: flags.caCertBase64,
      default: true,
      ...(withSecret ? { credential: `${Names.CredentialsSecret}=${Names.CredentialsSecretKey}` } : {}),
    });
    for (const e of problems) p.add(e);
    location.metadata.labels = { ...COMPONENT };
    objects.push(location);
  }
  if (withSnapshots) objects.push(snapshotLocation(namespace, flags, p));
  if (!inCluster) return { objects, problems: p.problems, notes };
  objects.push(
    serverDeployment(
      namespace,
      {
        image: server.image,
        serviceAccount: flags.serviceAccountName ?? Names.ServiceAccount,
        resources: server.resources,
        podAnnotations: server.podAnnotations,
        podLabels: server.podLabels,
        withCredentials: withSecret,
        serverArgs: serverArgs(flags, p),
        priorityClassName: nonEmpty(p, flags.serverPriorityClassName, '--server-priority-class-name'),
      },
      COMPONENT,
    ),
  );
  objects.push(...viewApiFor(namespace, flags, server.rbac));
  const nodeAgent = nodeAgentSettings(flags, p);
  if (nodeAgent) {
    objects.push(
      nodeAgentDaemonSet(
        namespace,
        {
          image: server.image,
          serviceAccount: flags.serviceAccountName ?? Names.ServiceAccount,
          withCredentials: withSecret,
          ...nodeAgent,
        },
        COMPONENT,
      ),
    );
  }
  return { objects, problems: p.problems, notes };
}

/** The Deployment's `skiff server` flags: those install derives, then `--server-arg`s. */
function serverArgs(flags: InstallFlags, p: ProblemCollector): string[] {
  return [
    ...featureArgs(flags, p),
    ...uploaderArgs(flags, p),
    ...serverDefaultArgs(flags, p),
    ...(flags.viewApi ? [`--view-api-bind-address=:${VIEW_API_PORT}`] : []),
    ...(flags.serverArg ?? []),
  ];
}

/** `--view-api`: the Service, the APIService and the server's rights to serve it. */
function viewApiFor(namespace: string, flags: InstallFlags, rbac: RbacMode): KubeObject[] {
  if (!flags.viewApi) return [];
  return viewApiInstallObjects({
    namespace,
    labels: COMPONENT,
    selector: { deploy: Names.Deployment },
    // An existing ServiceAccount keeps its own RBAC, as for the rest of the server's rights.
    serviceAccount: flags.serviceAccountName ? undefined : Names.ServiceAccount,
    leastPrivilege: rbac === 'least-privilege',
  });
}

/** `--uploader-type` becomes the server's own flag, after the same check `skiff server` makes. */
function uploaderArgs(flags: InstallFlags, p: ProblemCollector): string[] {
  if (flags.uploaderType === undefined) return [];
  const { problems } = volumeServerOptions({ uploaderType: flags.uploaderType });
  for (const problem of problems) p.add(problem);
  return [`--uploader-type=${flags.uploaderType}`];
}

/** `--features` becomes the server's own flag, after the same check `skiff server` makes. */
function featureArgs(flags: InstallFlags, p: ProblemCollector): string[] {
  const features = splitList(flags.features === undefined ? undefined : [flags.features]) ?? [];
  for (const problem of featureProblems(features)) p.add(problem);
  return features.length > 0 ? [`--features=${features.join(',')}`] : [];
}

interface ServerSettings {
  image: string;
  rbac: RbacMode;
  resources: { cpuRequest: string; memRequest: string; cpuLimit: string; memLimit: string };
  podAnnotations: Record<string, string>;
  podLabels: Record<string, string>;
  saAnnotations: Record<string, string>;
}

/** A Kubernetes quantity (`500m`, `128Mi`, `1.5`, `0`): checked here so a typo fails before anything is created. */
const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+)?$/;

/** A resource flag's quantity, or `fallback` when not given; a malformed one is a problem naming the flag. */
function quantityFlag(p: ProblemCollector, value: string | undefined, fallback: string, flag: string): string {
  if (value === undefined) return fallback;
  if (!QUANTITY.test(value.trim()))
    p.add(`${flag}: "${value}" is not a Kubernetes quantity (e.g. 500m, 128Mi; 0 for none)`);
  return value.trim();
}

function nonEmpty(p: ProblemCollector, value: string | undefined, flag: string): string | undefined {
  if (value !== undefined && value.trim() === '') p.add(`${flag} must not be empty`);
  return value?.trim() || undefined;
}

/**
 * The node-agent DaemonSet's own settings (Velero's `--node-agent-pod-*`, `--privileged-node-agent`,
 * `--kubelet-root-dir`, `--node-agent-priority-class-name`), or undefined without `--use-node-agent`,
 * when each of them given is a problem.
 */
function nodeAgentSettings(
  flags: InstallFlags,
  p: ProblemCollector,
): Omit<NodeAgentSettings, 'image' | 'serviceAccount' | 'withCredentials'> | undefined {
  if (!flags.useNodeAgent) {
    const given = NODE_AGENT_FLAGS.filter(([key]) => flags[key] !== undefined).map(([, flag]) => flag);
    if (given.length > 0) {
      p.add(`${given.join(', ')} configure the node-agent DaemonSet, which --use-node-agent adds: add it or drop them`);
    }
    return undefined;
  }
  const root = flags.kubeletRootDir;
  if (root !== undefined && !root.startsWith('/')) p.add(`--kubelet-root-dir: "${root}" is not an absolute path`);
  return {
    // Velero's node agent has no requests or limits unless asked (BestEffort).
    resources: {
      cpuRequest: quantityFlag(p, flags.nodeAgentPodCpuRequest, '0', '--node-agent-pod-cpu-request'),
      memRequest: quantityFlag(p, flags.nodeAgentPodMemRequest, '0', '--node-agent-pod-mem-request'),
      cpuLimit: quantityFlag(p, flags.nodeAgentPodCpuLimit, '0', '--node-agent-pod-cpu-limit'),
      memLimit: quantityFlag(p, flags.nodeAgentPodMemLimit, '0', '--node-agent-pod-mem-limit'),
    },
    privileged: flags.privilegedNodeAgent === true,
    ...(root !== undefined ? { kubeletRootDir: root } : {}),
    priorityClassName: nonEmpty(p, flags.nodeAgentPriorityClassName, '--node-agent-priority-class-name'),
  };
}

function serverSettings(flags: InstallFlags, p: ProblemCollector): ServerSettings {
  const quantity = (value: string | undefined, fallback: string, flag: string): string =>
    quantityFlag(p, value, fallback, flag);
  const rbac = flags.rbac ?? 'cluster-admin';
  if (!(RBAC_MODES as readonly string[]).includes(rbac)) {
    p.add(`--rbac: "${rbac}" is not one of ${RBAC_MODES.join(', ')}`);
  }
  if (flags.serviceAccountName && flags.rbac !== undefined) {
    p.add(
      '--rbac applies to the ServiceAccount install creates: drop it with --service-account-name (that account keeps its own RBAC)',
    );
  }
  if (flags.serviceAccountName && flags.saAnnotations?.length) {
    p.add('--sa-annotations applies to the ServiceAccount install creates: drop it with --service-account-name');
  }
  return {
    image: nonEmpty(p, flags.image, '--image') ?? DEFAULT_IMAGE,
    rbac: rbac as RbacMode,
    resources: {
      cpuRequest: quantity(flags.veleroPodCpuRequest, DEFAULT_RESOURCES.cpuRequest, '--velero-pod-cpu-request'),
      memRequest: quantity(flags.veleroPodMemRequest, DEFAULT_RESOURCES.memRequest, '--velero-pod-mem-request'),
      cpuLimit: quantity(flags.veleroPodCpuLimit, DEFAULT_RESOURCES.cpuLimit, '--velero-pod-cpu-limit'),
      memLimit: quantity(flags.veleroPodMemLimit, DEFAULT_RESOURCES.memLimit, '--velero-pod-mem-limit'),
    },
    podAnnotations: p.attempt(() => parseKeyValues(flags.podAnnotations, '--pod-annotations')) ?? {},
    podLabels: p.attempt(() => parseLabels(flags.podLabels, '--pod-labels')) ?? {},
    saAnnotations: p.attempt(() => parseKeyValues(flags.saAnnotations, '--sa-annotations')) ?? {},
  };
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
  for (const problem of unusedLocationFlags(flags, withLocation, withSnapshots)) p.add(problem);
  const hasSecret = flags.secretFileContents !== undefined;
  if (hasSecret && flags.secret === false) p.add('use either --secret-file or --no-secret, not both');
  // The location would name the secret as its credential, which a filesystem location refuses.
  if (hasSecret && flags.provider === 'filesystem') {
    p.add('--secret-file: a filesystem location takes no credentials (it refuses spec.credential): drop --secret-file');
  }
  // Velero requires one of the two; a filesystem location needs no credentials, so it is exempt.
  if (!hasSecret && flags.secret !== false && flags.provider !== undefined && flags.provider !== 'filesystem') {
    p.add('give credentials with --secret-file FILE, or --no-secret if the server gets them another way');
  }
}

/** The location flags whose location `--no-default-backup-location` or `--use-volume-snapshots=false` leaves out. */
function unusedLocationFlags(flags: InstallFlags, withLocation: boolean, withSnapshots: boolean): string[] {
  const problems: string[] = [];
  const bslFlags = [
    flags.bucket ? '--bucket' : undefined,
    flags.prefix ? '--prefix' : undefined,
    flags.backupLocationConfig !== undefined ? '--backup-location-config' : undefined,
    flags.cacert !== undefined ? '--cacert' : undefined,
  ].filter((flag) => flag !== undefined);
  if (!withLocation && bslFlags.length > 0) {
    problems.push(
      `${bslFlags.join(', ')} configure the default location: drop them or drop --no-default-backup-location`,
    );
  }
  if (!withSnapshots && flags.snapshotLocationConfig !== undefined) {
    problems.push(
      '--snapshot-location-config configures the default volume snapshot location, which --use-volume-snapshots=false leaves out: drop one of them',
    );
  }
  if (!withLocation && !withSnapshots && flags.provider !== undefined) {
    problems.push(
      '--provider is the provider of the default locations, which --no-default-backup-location and --use-volume-snapshots=false leave out: drop it',
    );
  }
  return problems;
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
