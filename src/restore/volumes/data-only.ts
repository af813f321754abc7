/**
 * Data-only restore (issue 14 item 6, a Skiff extension): the backup's pod volume data goes
 * back into the pods that exist now, matched by namespace (mapping honoured) and pod name,
 * through PodVolumeRestores marked `skiff.io/data-only: "true"` (contract §4). No other
 * object is created or changed. Asked for with that annotation on the Restore
 * (`skiff restore create --data-only`); the spec fields it cannot honour are refused.
 */
import type { RestoreSpec } from '../../api/restore.ts';
import type { KubeObject } from '../../kube/object.ts';
import { includesExcludes, mapNamespace, matchingEntry, shouldInclude } from '../../selection/index.ts';
import { podKey, volumeLine, volumesToRestore, type BackedUpVolume, type PodVolumeIndex } from './pod-volumes.ts';
import { DATA_ONLY_ANNOTATION } from './pod-volume-restores.ts';

/** Whether a Restore asks for a data-only restore (the annotation is `"true"`). */
export function isDataOnly(annotations: Record<string, string> | undefined): boolean {
  return annotations?.[DATA_ONLY_ANNOTATION] === 'true';
}

/**
 * Why a Restore's data-only request cannot be honoured, as validation errors: a value of the
 * annotation other than true/false, or spec fields that act on objects (a data-only restore
 * touches none). Namespace filters, namespace mapping and `uploaderConfig` are honoured.
 */
export function dataOnlyProblems(annotations: Record<string, string> | undefined, spec: RestoreSpec): string[] {
  const value = annotations?.[DATA_ONLY_ANNOTATION];
  if (value === undefined || value === 'false') return [];
  if (value !== 'true')
    return [`annotation ${DATA_ONLY_ANNOTATION} must be "true" or "false", not ${JSON.stringify(value)}`];
  const refused: string[] = [];
  const set = (v: unknown): boolean => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
  const fields: [keyof RestoreSpec, string][] = [
    ['includedResources', 'it restores pod volume data only'],
    ['excludedResources', 'it restores pod volume data only'],
    ['includeClusterResources', 'it restores no cluster-scoped objects'],
    ['labelSelector', 'pods are matched by namespace and name'],
    ['orLabelSelectors', 'pods are matched by namespace and name'],
    ['existingResourcePolicy', 'it changes no existing object'],
    ['restoreStatus', 'it restores no object status'],
    ['preserveNodePorts', 'it restores no Service'],
    ['hooks', 'it starts no pod, so no hook would run'],
    ['resourceModifier', 'it modifies no object'],
  ];
  for (const [field, why] of fields) {
    if (set(spec[field])) refused.push(`spec.${field} cannot be used with a data-only restore: ${why}`);
  }
  if (spec.restorePVs === false) {
    refused.push('spec.restorePVs is false, but a data-only restore restores nothing but volume data');
  }
  return refused.map((r) => `${r} (annotation ${DATA_ONLY_ANNOTATION})`);
}

/** One existing pod and the volumes it gets data for. */
export interface DataOnlyPod {
  sourceNamespace: string;
  pod: KubeObject;
  volumes: BackedUpVolume[];
}

export interface DataOnlyPlan {
  pods: DataOnlyPod[];
  warnings: string[];
}

/**
 * Matches the backed-up pods with volume data to the pods that exist now. A pod that no
 * longer exists, or a backed-up volume the pod no longer declares, is a warning naming it.
 */
export async function planDataOnly(
  spec: RestoreSpec,
  index: PodVolumeIndex,
  livePod: (namespace: string, name: string) => Promise<KubeObject | undefined>,
): Promise<DataOnlyPlan> {
  const namespaces = includesExcludes(spec.includedNamespaces, spec.excludedNamespaces);
  const out: DataOnlyPlan = { pods: [], warnings: [] };
  for (const key of Object.keys(index).sort()) {
    const slash = key.indexOf('/');
    const sourceNamespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    if (matchingEntry(namespaces.excludes, sourceNamespace) !== undefined) continue;
    if (!shouldInclude(namespaces, sourceNamespace)) continue;
    const target = mapNamespace(spec, sourceNamespace);
    const backedUp = (index[key] ?? []).map((v) => v.volume);
    const pod = await livePod(target, name);
    if (!pod) {
      out.warnings.push(
        `pod ${target}/${name} no longer exists: the data of its volume(s) ${backedUp.join(', ')} is not restored`,
      );
      continue;
    }
    const volumes = volumesToRestore(
      pod,
      sourceNamespace,
      { [podKey(sourceNamespace, name)]: index[key] ?? [] },
      {
        backupStorageLocation: '',
      },
    );
    const missing = backedUp.filter((v) => !volumes.some((x) => x.volume === v));
    if (missing.length > 0) {
      out.warnings.push(
        `pod ${target}/${name} no longer has volume(s) ${missing.join(', ')} (or they are projected/downwardAPI): their data is not restored`,
      );
    }
    if (volumes.length > 0) out.pods.push({ sourceNamespace, pod, volumes });
  }
  return out;
}

/** The dry run's text for a data-only restore. */
export function formatDataOnlyPlan(restoreName: string, backupName: string, plan: DataOnlyPlan): string {
  const lines = [
    `Data-only restore plan for ${restoreName} from backup ${backupName}: no object is created or changed`,
  ];
  lines.push('', plan.pods.length === 0 ? 'No pod volume data to restore.' : 'Pod volume data to restore:');
  for (const p of plan.pods) {
    const where = `${p.pod.metadata.namespace ?? ''}/${p.pod.metadata.name ?? ''}`;
    const from = p.sourceNamespace !== p.pod.metadata.namespace ? ` (from namespace ${p.sourceNamespace})` : '';
    lines.push(`  pod ${where}${from}`);
    for (const v of p.volumes) lines.push(`    ${volumeLine(v)}`);
  }
  if (plan.warnings.length > 0) lines.push('', 'Warnings:', ...plan.warnings.map((w) => `  ${w}`));
  return `${lines.join('\n')}\n`;
}

/** The data-only plan as data, for the dry run's `-o json|yaml`. */
export function dataOnlyPlanDocument(
  restoreName: string,
  backupName: string,
  plan: DataOnlyPlan,
): Record<string, unknown> {
  return {
    restoreName,
    backupName,
    dataOnly: true,
    pods: plan.pods.map((p) => ({
      namespace: p.pod.metadata.namespace,
      name: p.pod.metadata.name,
      sourceNamespace: p.sourceNamespace,
      volumes: p.volumes.map((v) => ({ ...v })),
    })),
    warnings: plan.warnings,
  };
}
