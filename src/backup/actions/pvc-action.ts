import type { KubeObject } from '../../kube/object.ts';
import { cloneJson } from '../../util/json.ts';
import type { BackupActionContext, BackupItemAction } from './types.ts';

interface PvcSpec {
  volumeName?: string;
  storageClassName?: string;
  dataSource?: unknown;
  dataSourceRef?: unknown;
  selector?: { matchLabels?: Record<string, string> };
}

const STALE_LABELS = [
  'velero.io/restore-name',
  'velero.io/volume-snapshot-name',
  'backup.velero.io/must-include-additional-items',
];

/**
 * A bound PVC brings its PV, and is cleaned so a restore can bind it again
 * (reference §3.5, `velero.io/pv`): data sources and a label selector would make the
 * restored claim try to provision or select anew; labels from earlier runs are dropped.
 */
export const pvcAction: BackupItemAction = {
  name: 'velero.io/pv',
  appliesTo: ['persistentvolumeclaims'],
  mayAdd: ['persistentvolumes'],
  execute(original: KubeObject, ctx: BackupActionContext) {
    const spec = original.spec as PvcSpec | undefined;
    const phase = (original.status as { phase?: string } | undefined)?.phase;
    if (!spec?.volumeName || phase !== 'Bound') return { item: original, additionalItems: [] };
    const item = cloneJson(original);
    const s = item.spec as PvcSpec;
    delete s.dataSource;
    delete s.dataSourceRef;
    if (s.storageClassName !== '') delete s.selector;
    else if (s.selector?.matchLabels) {
      for (const k of Object.keys(s.selector.matchLabels))
        if (k.startsWith('velero.io/')) delete s.selector.matchLabels[k];
    }
    const labels = item.metadata.labels;
    if (labels) {
      for (const k of STALE_LABELS) delete labels[k];
      if (labels['velero.io/backup-name'] !== undefined && labels['velero.io/backup-name'] !== ctx.backupName) {
        delete labels['velero.io/backup-name'];
      }
    }
    return { item, additionalItems: [{ group: '', resource: 'persistentvolumes', name: spec.volumeName }] };
  },
};
