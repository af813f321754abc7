import { mapNamespace } from '../../selection/index.ts';
import type { KubeObject } from '../../kube/object.ts';
import {
  asArray,
  asRecord,
  getPath,
  jsonPointer,
  PvDecision,
  removeAnnotations,
  RestoreActionError,
  type FieldRewrite,
  type RestoreItemAction,
} from './types.ts';

/** Binding annotations the PV controller sets; they would make it treat the claim as already bound (§4.4 step 4). */
export const BINDING_ANNOTATIONS = ['pv.kubernetes.io/bind-completed', 'pv.kubernetes.io/bound-by-controller'] as const;

/** Annotations `velero.io/pvc` removes (reference §4.5). Since 1.18 the selected node always goes. */
const PVC_ANNOTATIONS = [
  ...BINDING_ANNOTATIONS,
  'volume.kubernetes.io/storage-provisioner',
  'volume.beta.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/selected-node',
  'velero.io/volume-snapshot-name',
  'velero.io/data-upload-name',
] as const;

/**
 * `velero.io/pvc` plus the PVC post-processing (reference §4.4 step 4, §4.5): binding
 * annotations go; a claim whose PV is provisioned again loses `volumeName`. With
 * `restorePVs: false` a claim built from a VolumeSnapshot loses that data source too (§1.2).
 */
export const pvcAction: RestoreItemAction = {
  name: 'velero.io/pvc',
  appliesTo: ['persistentvolumeclaims'],
  execute({ item, env }) {
    removeAnnotations(item, PVC_ANNOTATIONS);
    const spec = asRecord(item.spec);
    if (!spec) return { item };
    const volumeName = typeof spec.volumeName === 'string' ? spec.volumeName : '';
    if (volumeName !== '' && env.pvDecisions[volumeName] === PvDecision.Dynamic) delete spec.volumeName;
    const claim = `${item.metadata.namespace ?? ''}/${item.metadata.name ?? ''}`;
    if (volumeName !== '' && env.pvDecisions[volumeName] === undefined && env.podVolumeClaims?.includes(claim)) {
      delete spec.volumeName;
    }
    if (!env.restorePVs) {
      for (const key of ['dataSource', 'dataSourceRef']) {
        if (asRecord(spec[key])?.kind === 'VolumeSnapshot') delete spec[key];
      }
    }
    return { item };
  },
};

/**
 * PersistentVolume handling (reference §4.4 step 1, §4.5): a PV whose data comes back by
 * another path (pod volume, CSI, or reclaim policy Delete without snapshot) is not created;
 * otherwise it is restored as is, with `claimRef.namespace` remapped and binding info reset
 * so the PV controller binds it to the restored claim.
 */
export const pvAction: RestoreItemAction = {
  name: 'velero.io/persistent-volume',
  appliesTo: ['persistentvolumes'],
  execute({ item, env }) {
    if (env.pvDecisions[item.metadata.name ?? ''] === PvDecision.Dynamic) {
      return { item, skip: 'the volume is provisioned dynamically for its claim (reference §4.5)' };
    }
    resetVolumeBinding(item, env.namespaceMapping);
    return { item };
  },
};

export function resetVolumeBinding(pv: KubeObject, mapping: Record<string, string>): void {
  removeAnnotations(pv, BINDING_ANNOTATIONS);
  const claimRef = asRecord(getPath(pv, 'spec', 'claimRef'));
  if (!claimRef) return;
  delete claimRef.uid;
  delete claimRef.resourceVersion;
  if (typeof claimRef.namespace === 'string') {
    claimRef.namespace = mapNamespace({ namespaceMapping: mapping }, claimRef.namespace);
  }
}

export const CHANGE_STORAGE_CLASS_LABEL = 'velero.io/change-storage-class';

/**
 * `velero.io/change-storage-class` (reference §4.6): rewrites storage class names through the
 * plugin ConfigMap (old → new); the new class must exist in the target cluster.
 */
export const changeStorageClassAction: RestoreItemAction = {
  name: CHANGE_STORAGE_CLASS_LABEL,
  appliesTo: ['persistentvolumeclaims', 'persistentvolumes', 'statefulsets.apps'],
  execute({ item, env }) {
    const mapping = env.pluginConfigs[CHANGE_STORAGE_CLASS_LABEL];
    if (!mapping) return { item };
    const specs: { spec: Record<string, unknown> | undefined; path: string[] }[] =
      item.kind === 'StatefulSet'
        ? asArray(getPath(item, 'spec', 'volumeClaimTemplates')).map((t, i) => ({
            spec: asRecord(asRecord(t)?.spec),
            path: ['spec', 'volumeClaimTemplates', String(i), 'spec', 'storageClassName'],
          }))
        : [{ spec: asRecord(item.spec), path: ['spec', 'storageClassName'] }];
    const rewrites: FieldRewrite[] = [];
    for (const { spec, path } of specs) {
      const from = spec?.storageClassName;
      if (!spec || typeof from !== 'string') continue;
      const to = mapping[from];
      if (to === undefined || to === '') continue;
      if (env.storageClasses && !env.storageClasses.includes(to)) {
        throw new RestoreActionError(
          CHANGE_STORAGE_CLASS_LABEL,
          `storage class ${JSON.stringify(to)} (mapped from ${JSON.stringify(from)}) does not exist in the target cluster`,
        );
      }
      spec.storageClassName = to;
      if (to !== from) rewrites.push({ action: CHANGE_STORAGE_CLASS_LABEL, path: jsonPointer(path), from, to });
    }
    return rewrites.length > 0 ? { item, rewrites } : { item };
  },
};
