/**
 * The `restore-wait` init container (reference §6.5 step 1) and the restore item action
 * `velero.io/pod-volume-restore` that prepends it (§4.6). The container runs
 * `skiff restore-helper <restore-uid>` (Skiff's `/velero-restore-helper`): it waits until
 * the node agent has written every restored volume's `.velero/<restore-uid>` marker, so the
 * pod's own containers start only on restored data.
 */
import { parse as parseYaml } from 'yaml';
import { IMAGE_COMMAND, DEFAULT_IMAGE } from '../../cli/install/deployment.ts';
import type { KubeObject } from '../../kube/object.ts';
import { asArray, asRecord, RestoreActionError, type RestoreItemAction } from '../actions/types.ts';
import { Names } from '../../api/labels.ts';
import { volumesToRestore, type BackedUpVolume } from './pod-volumes.ts';

const RESTORE_WAIT_CONTAINER = Names.RestoreHelperInitContainer;
/** The name Velero's restic-era releases used; an old copy of either must not survive (reference §4.6). */
const LEGACY_RESTORE_WAIT_CONTAINER = Names.LegacyRestoreHelperInitContainer;
/** Where the container sees each restored volume: `/restores/<volume>` (reference §6.5 step 1). */
export const RESTORES_DIR = '/restores';

/** Label of the ConfigMap that overrides the container's settings (reference §6.5 step 1). */
export const POD_VOLUME_RESTORE_PLUGIN_LABEL = 'velero.io/pod-volume-restore';
const ACTION = POD_VOLUME_RESTORE_PLUGIN_LABEL;

/** The ConfigMap keys the action reads; any other key is refused so that a typo is not silently ignored. */
const CONFIG_KEYS = [
  'image',
  'command',
  'cpuRequest',
  'memRequest',
  'cpuLimit',
  'memLimit',
  'secCtx',
  'secCtxRunAsUser',
  'secCtxRunAsGroup',
  'secCtxAllowPrivilegeEscalation',
] as const;

const DEFAULT_RESOURCES = { cpuRequest: '100m', memRequest: '128Mi', cpuLimit: '100m', memLimit: '128Mi' };

/** Reference §6.5 step 1: the default when neither the ConfigMap nor the pod says otherwise. */
const DEFAULT_SECURITY_CONTEXT = {
  runAsUser: 1000,
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/**
 * The image: the server's own (the one `skiff install` deploys) unless the ConfigMap names
 * one. As in Velero, a value without a registry or repository part falls back to the default,
 * and one without a tag gets the server's tag.
 */
export function restoreWaitImage(configured: string | undefined): string {
  const image = (configured ?? '').trim();
  if (image === '' || !image.includes('/')) return DEFAULT_IMAGE;
  const last = image.slice(image.lastIndexOf('/') + 1);
  if (last.includes(':') || last.includes('@')) return image;
  return `${image}:${DEFAULT_IMAGE.slice(DEFAULT_IMAGE.lastIndexOf(':') + 1)}`;
}

/** Builds the init container for the given volumes; throws RestoreActionError for a bad ConfigMap value. */
export function restoreWaitContainer(
  pod: KubeObject,
  volumes: readonly BackedUpVolume[],
  restoreUID: string,
  config: Record<string, string> = {},
): Record<string, unknown> {
  const unknown = Object.keys(config).filter((k) => !(CONFIG_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new RestoreActionError(
      ACTION,
      `the ${POD_VOLUME_RESTORE_PLUGIN_LABEL} ConfigMap has unknown key(s) ${unknown.join(', ')}; known keys: ${CONFIG_KEYS.join(', ')}`,
    );
  }
  const command = (config.command ?? '').trim();
  return {
    name: RESTORE_WAIT_CONTAINER,
    image: restoreWaitImage(config.image),
    command: command !== '' ? [command] : [...IMAGE_COMMAND, 'restore-helper'],
    args: [restoreUID],
    env: [
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ],
    resources: resources(config),
    securityContext: securityContext(pod, config),
    volumeMounts: volumes.map((v) => ({ name: v.volume, mountPath: `${RESTORES_DIR}/${v.volume}` })),
  };
}

/** Requests and limits; a value of "0" leaves that one unset (no limit), as in Velero. */
function resources(config: Record<string, string>): Record<string, unknown> {
  const pick = (key: keyof typeof DEFAULT_RESOURCES): string | undefined => {
    const value = (config[key] ?? DEFAULT_RESOURCES[key]).trim();
    if (value === '0') return undefined;
    if (!/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.test(value)) {
      throw new RestoreActionError(ACTION, `${key} ${JSON.stringify(value)} is not a resource quantity`);
    }
    return value;
  };
  const pair = (cpu: string | undefined, memory: string | undefined): Record<string, string> | undefined => {
    const out = { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) };
    return Object.keys(out).length > 0 ? out : undefined;
  };
  const requests = pair(pick('cpuRequest'), pick('memRequest'));
  const limits = pair(pick('cpuLimit'), pick('memLimit'));
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

/** ConfigMap keys first, then the pod's first container, then the restrictive default (reference §6.5 step 1). */
function securityContext(pod: KubeObject, config: Record<string, string>): Record<string, unknown> {
  const fromConfig: Record<string, unknown> = {};
  if (config.secCtx !== undefined && config.secCtx.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = parseYaml(config.secCtx);
    } catch (err) {
      throw new RestoreActionError(ACTION, `secCtx is not YAML or JSON: ${(err as Error).message}`);
    }
    const ctx = asRecord(parsed);
    if (!ctx) throw new RestoreActionError(ACTION, 'secCtx must be a SecurityContext object');
    Object.assign(fromConfig, ctx);
  }
  for (const [key, field] of [
    ['secCtxRunAsUser', 'runAsUser'],
    ['secCtxRunAsGroup', 'runAsGroup'],
  ] as const) {
    const value = config[key]?.trim();
    if (value === undefined || value === '') continue;
    if (!/^[0-9]+$/.test(value))
      throw new RestoreActionError(ACTION, `${key} ${JSON.stringify(value)} is not a number`);
    fromConfig[field] = Number(value);
  }
  const escalation = config.secCtxAllowPrivilegeEscalation?.trim();
  if (escalation !== undefined && escalation !== '') {
    if (escalation !== 'true' && escalation !== 'false') {
      throw new RestoreActionError(ACTION, `secCtxAllowPrivilegeEscalation must be true or false, not ${escalation}`);
    }
    fromConfig.allowPrivilegeEscalation = escalation === 'true';
  }
  if (Object.keys(fromConfig).length > 0) return fromConfig;
  const first = asRecord(asRecord(asArray(asRecord(pod.spec)?.containers)[0])?.securityContext);
  return first ? structuredClone(first) : structuredClone(DEFAULT_SECURITY_CONTEXT);
}

function nameOf(value: unknown): string {
  const name = asRecord(value)?.name;
  return typeof name === 'string' ? name : '';
}

/**
 * `velero.io/pod-volume-restore` (reference §4.6, §6.5 step 1): drops any `restore-wait` or
 * `restic-wait` init container the backup carries, then, when the pod has volume data to
 * restore, prepends a fresh `restore-wait`. Restore init hooks go after it (§4.7).
 */
export const podVolumeRestoreAction: RestoreItemAction = {
  name: ACTION,
  appliesTo: ['pods'],
  execute({ item, env, sourceNamespace }) {
    const spec = asRecord(item.spec);
    if (!spec) return { item };
    if (Array.isArray(spec.initContainers)) {
      const kept = spec.initContainers.filter(
        (c) => nameOf(c) !== RESTORE_WAIT_CONTAINER && nameOf(c) !== LEGACY_RESTORE_WAIT_CONTAINER,
      );
      if (kept.length > 0) spec.initContainers = kept;
      else delete spec.initContainers;
    }
    const pv = env.podVolumes;
    if (!pv) return { item };
    const volumes = volumesToRestore(item, sourceNamespace ?? '', pv.index, {
      backupStorageLocation: pv.backupStorageLocation,
    });
    if (volumes.length === 0) return { item };
    const container = restoreWaitContainer(
      item,
      volumes,
      pv.restoreUID,
      env.pluginConfigs[POD_VOLUME_RESTORE_PLUGIN_LABEL],
    );
    spec.initContainers = [container, ...asArray(spec.initContainers)];
    return { item };
  },
};
