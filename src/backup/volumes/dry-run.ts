/**
 * The pod-volume part of `backup create --dry-run`: per volume of every pod the backup would
 * take, the method (file system, CSI snapshot with its VolumeSnapshotClass, none) and the rule
 * that chose it (issue 14 item 5, issue 16 item 7). Reads the resource-policies
 * ConfigMap, the claims and the PVs; writes nothing. The server's defaults come from its
 * Deployment's args when there is one; without, an unset `defaultVolumesToFsBackup` is shown as
 * the server default, assumed false.
 */
import type { Backup } from '../../api/backup.ts';
import type { Cluster } from '../../kube/cluster.ts';
import type { KubeObject } from '../../kube/object.ts';
import { wholeObject } from '../../kube/served-list.ts';
import type { CollectedEvent } from '../collect/collect-items.ts';
import { loadResourcePolicies } from '../../volumes/policy/config-map.ts';
import type { BackupPlan } from '../plan/backup-plan.ts';
import { VolumePlanner, snapshotUnsupportedWarning, type VolumeDecision, type VolumeMethod } from './plan.ts';
import { boundVolumeName, claimName, podSpec } from './pod-volumes.ts';
import { resolveVolumeFields, type ServerVolumeDefaults } from './settings.ts';
import type { ResourceType } from '../../kube/resource.ts';
import { selectSnapshotClass } from '../../volumes/csi/class-selection.ts';
import { VOLUME_SNAPSHOT_CLASSES } from '../../volumes/csi/snapshot-objects.ts';
import { volumeGroupWarning } from '../csi/volume-group.ts';

export interface DryRunVolume {
  pod: string;
  volume: string;
  method: VolumeMethod;
  /** `spec.snapshotMoveData` with a CSI snapshot: the snapshot's data would be moved to the location (§7.3 step 8). */
  dataMoved?: boolean;
  rule: string;
  reason?: string;
}

/** How the report names a volume's method: `CSI snapshot, data moved` for moved data. */
export function methodText(v: Pick<DryRunVolume, 'method' | 'dataMoved'>): string {
  return v.dataMoved ? 'CSI snapshot, data moved' : v.method;
}

export interface DryRunVolumes {
  volumes: DryRunVolume[];
  warnings: string[];
  /** A missing or malformed policy: the backup would fail validation. */
  validationErrors: string[];
}

const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
const PVS = { group: '', version: 'v1', resource: 'persistentvolumes' };

/** The server's volume defaults a dry run plans with. */
export type DryRunVolumeDefaults = Pick<ServerVolumeDefaults, 'defaultVolumesToFsBackup' | 'uploaderType'>;

/** Velero's, assumed when the server's are not known (a server run by hand). */
const ASSUMED_DEFAULTS: DryRunVolumeDefaults = { defaultVolumesToFsBackup: false, uploaderType: 'kopia' };

/**
 * The server the dry run plans for: its namespace (volume policies live there) and its defaults,
 * when known (read from the server Deployment's args).
 */
export interface DryRunServer {
  namespace: string;
  defaults?: DryRunVolumeDefaults | undefined;
}

export async function dryRunVolumes(
  cluster: Cluster,
  server: DryRunServer,
  backup: Pick<Backup, 'spec' | 'metadata'>,
  plan: BackupPlan,
  pods: readonly KubeObject[],
): Promise<DryRunVolumes> {
  const fields = resolveVolumeFields(backup.spec, backup.metadata.annotations, server.defaults ?? ASSUMED_DEFAULTS);
  const out: DryRunVolumes = {
    volumes: [],
    warnings: [...fields.warnings],
    validationErrors: [...fields.validationErrors],
  };
  let policies;
  try {
    policies = await loadResourcePolicies(cluster, server.namespace, backup.spec);
  } catch (err) {
    out.validationErrors.push(err instanceof Error ? err.message : String(err));
    return out;
  }
  const { claims, pvs } = await claimsAndVolumes(cluster, pods);
  const planner = new VolumePlanner(
    {
      policies,
      defaultVolumesToFsBackup: fields.defaultVolumesToFsBackup,
      defaultSource:
        fields.defaultSource === 'server --default-volumes-to-fs-backup' && !server.defaults
          ? 'the server default --default-volumes-to-fs-backup, assumed'
          : fields.defaultSource,
      snapshotVolumes: backup.spec.snapshotVolumes ?? undefined,
      pvcsIncluded: !plan.skippedTypes.some((t) => t.groupResource === 'persistentvolumeclaims'),
    },
    { claim: (ns, name) => claims.get(`${ns}/${name}`), volume: (name) => pvs.get(name) },
  );
  const csiClass = snapshotClassChooser(cluster, backup.metadata.annotations ?? {});
  // A claim mounted by several pods is snapshotted once: its group warning is given once.
  const grouping = new Set<KubeObject>();
  for (const pod of pods) {
    const p = planner.planPod(pod);
    out.warnings.push(...p.warnings);
    for (const d of p.volumes) {
      const claim = d.method === 'csi-snapshot' ? claims.get(`${p.pod.namespace}/${d.pvc?.name ?? ''}`) : undefined;
      out.volumes.push(
        dryRunVolume(`${p.pod.namespace}/${p.pod.name}`, d, await csiClass(claim), backup.spec.snapshotMoveData),
      );
      if (d.method === 'snapshot-unsupported') out.warnings.push(snapshotUnsupportedWarning(p.pod, d));
      out.warnings.push(...groupWarningOnce(claim, grouping));
    }
  }
  return out;
}

/** The claim a volume would CSI-snapshot (if any): its volume-group warning, once per claim. */
function groupWarningOnce(claim: KubeObject | undefined, warned: Set<KubeObject>): string[] {
  if (!claim || warned.has(claim)) return [];
  warned.add(claim);
  const warning = volumeGroupWarning(claim, true);
  return warning === undefined ? [] : [warning];
}

function dryRunVolume(
  pod: string,
  d: VolumeDecision,
  chosen: { rule?: string; error?: string },
  moveData: boolean | null | undefined,
): DryRunVolume {
  const reason = chosen.error ?? d.reason;
  return {
    pod,
    volume: d.volume,
    method: d.method,
    ...(d.method === 'csi-snapshot' && moveData === true ? { dataMoved: true } : {}),
    rule: chosen.rule ? `${d.rule}; ${chosen.rule}` : d.rule,
    ...(reason ? { reason } : {}),
  };
}

/**
 * For a claim the dry run would CSI-snapshot, the VolumeSnapshotClass the backup would use
 * and the rule that chose it, or the error the backup would report (reference §7.2).
 */
function snapshotClassChooser(
  cluster: Cluster,
  backupAnnotations: Record<string, string>,
): (pvc: KubeObject | undefined) => Promise<{ rule?: string; error?: string }> {
  let lists: Promise<[KubeObject[], KubeObject[]]> | undefined;
  const all = async (rt: ResourceType | undefined): Promise<KubeObject[]> => {
    const out: KubeObject[] = [];
    if (rt) for await (const o of cluster.list(rt)) out.push(o);
    return out;
  };
  return async (pvc) => {
    if (!pvc) return {};
    lists ??= cluster.discover().then((d) => {
      const type = (group: string, resource: string): ResourceType | undefined =>
        d.preferred.find((t) => t.group === group && t.resource === resource);
      return Promise.all([
        all(type(VOLUME_SNAPSHOT_CLASSES.group, VOLUME_SNAPSHOT_CLASSES.resource)),
        all(type('storage.k8s.io', 'storageclasses')),
      ]);
    });
    const [classes, storageClasses] = await lists;
    const claim = `${pvc.metadata.namespace ?? ''}/${pvc.metadata.name ?? ''}`;
    const scName = (pvc.spec as { storageClassName?: string } | undefined)?.storageClassName;
    const sc = storageClasses.find((c) => c.metadata.name === scName) as { provisioner?: string } | undefined;
    if (!sc?.provisioner)
      return { error: `claim ${claim} has no StorageClass with a provisioner: no VolumeSnapshotClass can be chosen` };
    const choice = selectSnapshotClass({
      claim,
      claimAnnotations: pvc.metadata.annotations ?? {},
      driver: sc.provisioner,
      backupAnnotations,
      classes,
    });
    return 'error' in choice
      ? { error: choice.error }
      : { rule: `VolumeSnapshotClass ${choice.name} (${choice.rule})` };
  };
}

/** Passes the collector's events on, keeping the pods the backup would take. */
export async function* keepPods(
  events: AsyncIterable<CollectedEvent>,
  pods: KubeObject[],
): AsyncGenerator<CollectedEvent> {
  for await (const ev of events) {
    if (ev.kind === 'included' && ev.type.group === '' && ev.type.resource === 'pods') pods.push(wholeObject(ev.item));
    yield ev;
  }
}

/** The claims the pods mount and the volumes bound to them, each read once (`ns/claim` and PV name keys). */
async function claimsAndVolumes(
  cluster: Cluster,
  pods: readonly KubeObject[],
): Promise<{ claims: Map<string, KubeObject | undefined>; pvs: Map<string, KubeObject | undefined> }> {
  const claims = new Map<string, KubeObject | undefined>();
  const pvs = new Map<string, KubeObject | undefined>();
  for (const pod of pods) {
    const ns = pod.metadata.namespace ?? '';
    for (const v of podSpec(pod).volumes ?? []) {
      const claim = claimName(v);
      if (claim === undefined || claims.has(`${ns}/${claim}`)) continue;
      const pvc = await cluster.find(PVCS, claim, ns);
      claims.set(`${ns}/${claim}`, pvc);
      const pv = boundVolumeName(pvc);
      if (pv !== undefined && !pvs.has(pv)) pvs.set(pv, await cluster.find(PVS, pv));
    }
  }
  return { claims, pvs };
}
