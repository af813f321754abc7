import { asArray, asRecord, type RestoreItemAction } from './types.ts';

/**
 * `velero.io/pod` (reference §4.6): the scheduler must place the pod again, so `nodeName`
 * goes; `priority` is recomputed by admission from priorityClassName; legacy
 * `<sa>-token-*` secret volumes belong to the source cluster. The `restore-wait` init
 * container is `velero.io/pod-volume-restore`'s (volumes/restore-wait.ts).
 */
export const podAction: RestoreItemAction = {
  name: 'velero.io/pod',
  appliesTo: ['pods'],
  execute({ item }) {
    const spec = asRecord(item.spec);
    if (!spec) return { item };
    delete spec.nodeName;
    delete spec.priority;
    const sa = typeof spec.serviceAccountName === 'string' ? spec.serviceAccountName : '';
    if (sa !== '') dropTokenVolumes(spec, `${sa}-token-`);
    return { item };
  },
};

function nameOf(value: unknown): string {
  const name = asRecord(value)?.name;
  return typeof name === 'string' ? name : '';
}

function dropTokenVolumes(spec: Record<string, unknown>, prefix: string): void {
  if (Array.isArray(spec.volumes)) spec.volumes = spec.volumes.filter((v) => !nameOf(v).startsWith(prefix));
  for (const key of ['containers', 'initContainers']) {
    for (const c of asArray(spec[key])) {
      const container = asRecord(c);
      if (container && Array.isArray(container.volumeMounts)) {
        container.volumeMounts = container.volumeMounts.filter((m) => !nameOf(m).startsWith(prefix));
      }
    }
  }
}
