/**
 * The pod-volume part of `backup create --dry-run`: per volume of every pod the backup would
 * take, the method and the rule that chose it (issue 14 item 5). Reads the resource-policies
 * ConfigMap, the claims and the PVs; writes nothing. The server's defaults are not known to
 * the CLI: an unset `defaultVolumesToFsBackup` is shown as the server default, assumed false.
 */
import type { Backup } from '../../api/backup.ts';
import type { Cluster } from '../../kube/cluster.ts';
import type { KubeObject } from '../../kube/object.ts';
import { wholeObject } from '../../kube/served-list.ts';
import type { CollectedEvent } from '../collect/collect-items.ts';
import { loadResourcePolicies } from '../../volumes/policy/config-map.ts';
import type { BackupPlan } from '../plan/backup-plan.ts';
import { VolumePlanner, snapshotUnsupportedWarning, type VolumeMethod } from './plan.ts';
import { boundVolumeName, claimName, podSpec } from './pod-volumes.ts';
import { resolveVolumeFields } from './settings.ts';

export interface DryRunVolume {
  pod: string;
  volume: string;
  method: VolumeMethod;
  rule: string;
  reason?: string;
}

export interface DryRunVolumes {
  volumes: DryRunVolume[];
  warnings: string[];
  /** A missing or malformed policy: the backup would fail validation. */
  validationErrors: string[];
}

const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
const PVS = { group: '', version: 'v1', resource: 'persistentvolumes' };

export async function dryRunVolumes(
  cluster: Cluster,
  serverNamespace: string,
  backup: Pick<Backup, 'spec' | 'metadata'>,
  plan: BackupPlan,
  pods: readonly KubeObject[],
): Promise<DryRunVolumes> {
  const fields = resolveVolumeFields(backup.spec, backup.metadata.annotations, {
    defaultVolumesToFsBackup: false,
    uploaderType: 'kopia',
  });
  const out: DryRunVolumes = {
    volumes: [],
    warnings: [...fields.warnings],
    validationErrors: [...fields.validationErrors],
  };
  let policies;
  try {
    policies = await loadResourcePolicies(cluster, serverNamespace, backup.spec);
  } catch (err) {
    out.validationErrors.push(err instanceof Error ? err.message : String(err));
    return out;
  }
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
  const planner = new VolumePlanner(
    {
      policies,
      defaultVolumesToFsBackup: fields.defaultVolumesToFsBackup,
      defaultSource:
        fields.defaultSource === 'server --default-volumes-to-fs-backup'
          ? 'the server default --default-volumes-to-fs-backup, assumed'
          : fields.defaultSource,
      snapshotVolumes: backup.spec.snapshotVolumes ?? undefined,
      pvcsIncluded: !plan.skippedTypes.some((t) => t.groupResource === 'persistentvolumeclaims'),
    },
    { claim: (ns, name) => claims.get(`${ns}/${name}`), volume: (name) => pvs.get(name) },
  );
  for (const pod of pods) {
    const p = planner.planPod(pod);
    for (const d of p.volumes) {
      out.volumes.push({
        pod: `${p.pod.namespace}/${p.pod.name}`,
        volume: d.volume,
        method: d.method,
        rule: d.rule,
        ...(d.reason ? { reason: d.reason } : {}),
      });
      if (d.method === 'snapshot-unsupported') out.warnings.push(snapshotUnsupportedWarning(p.pod, d));
    }
  }
  return out;
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
