import { asArray, asRecord, getPath, RestoreActionError, type RestoreItemAction } from './types.ts';

const CONTROLLER_UID_LABELS = ['controller-uid', 'batch.kubernetes.io/controller-uid'] as const;

/**
 * `velero.io/job` (reference §4.6): the controller-uid label ties a Job's selector and pods to
 * the source object's uid; the target cluster sets a new one.
 */
export const jobAction: RestoreItemAction = {
  name: 'velero.io/job',
  appliesTo: ['jobs.batch'],
  execute({ item }) {
    for (const map of [
      getPath(item, 'spec', 'selector', 'matchLabels'),
      getPath(item, 'spec', 'template', 'metadata', 'labels'),
    ]) {
      const labels = asRecord(map);
      if (labels) for (const key of CONTROLLER_UID_LABELS) delete labels[key];
    }
    return { item };
  },
};

export const CHANGE_IMAGE_NAME_LABEL = 'velero.io/change-image-name';

/**
 * `velero.io/change-image-name` (reference §4.6): with a plugin ConfigMap whose values are
 * `"<old>,<new>"`, the first rule whose old part occurs in an image replaces every
 * occurrence of old with new, in containers and init containers.
 */
export const changeImageNameAction: RestoreItemAction = {
  name: CHANGE_IMAGE_NAME_LABEL,
  appliesTo: [
    'deployments.apps',
    'statefulsets.apps',
    'daemonsets.apps',
    'replicasets.apps',
    'replicationcontrollers',
    'jobs.batch',
    'cronjobs.batch',
    'pods',
  ],
  execute({ item, env }) {
    const config = env.pluginConfigs[CHANGE_IMAGE_NAME_LABEL];
    if (!config) return { item };
    const rules = Object.keys(config)
      .sort()
      .map((k) => parseRule(config[k] ?? ''));
    const podSpec =
      item.kind === 'Pod'
        ? item.spec
        : item.kind === 'CronJob'
          ? getPath(item, 'spec', 'jobTemplate', 'spec', 'template', 'spec')
          : getPath(item, 'spec', 'template', 'spec');
    for (const key of ['containers', 'initContainers']) {
      for (const c of asArray(asRecord(podSpec)?.[key])) {
        const container = asRecord(c);
        if (container && typeof container.image === 'string') container.image = rewrite(container.image, rules);
      }
    }
    return { item };
  },
};

function parseRule(value: string): { from: string; to: string } {
  const parts = value.split(',');
  if (parts.length !== 2 || !parts[0]) {
    throw new RestoreActionError(CHANGE_IMAGE_NAME_LABEL, `invalid change-image-name rule ${JSON.stringify(value)}`);
  }
  return { from: parts[0].trim(), to: (parts[1] ?? '').trim() };
}

function rewrite(image: string, rules: readonly { from: string; to: string }[]): string {
  const rule = rules.find((r) => image.includes(r.from));
  return rule ? image.split(rule.from).join(rule.to) : image;
}
