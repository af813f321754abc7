import type { KubeObject } from '../../kube/object.ts';
import type { BackupItemAction, ItemRef } from './types.ts';

interface PodSpec {
  volumes?: { persistentVolumeClaim?: { claimName?: string } }[];
  priorityClassName?: string;
}

/** A pod brings its PVCs and its PriorityClass (reference §3.5, `velero.io/pod`). */
export const podAction: BackupItemAction = {
  name: 'velero.io/pod',
  appliesTo: ['pods'],
  mayAdd: ['persistentvolumeclaims', 'priorityclasses.scheduling.k8s.io'],
  execute(item: KubeObject) {
    const spec = (item.spec ?? {}) as PodSpec;
    const namespace = item.metadata.namespace;
    const additionalItems: ItemRef[] = [];
    for (const v of spec.volumes ?? []) {
      const claim = v.persistentVolumeClaim?.claimName;
      if (claim && namespace)
        additionalItems.push({ group: '', resource: 'persistentvolumeclaims', namespace, name: claim });
    }
    if (spec.priorityClassName) {
      additionalItems.push({ group: 'scheduling.k8s.io', resource: 'priorityclasses', name: spec.priorityClassName });
    }
    return { item, additionalItems };
  },
};
