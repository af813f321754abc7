/**
 * Restore init hooks (reference §4.7): init containers added to a restored pod, from its
 * `init.hook.restore.velero.io/*` annotations or else from every matching
 * `spec.hooks.resources[].postHooks[].init.initContainers`. They are prepended; the
 * `restore-wait` container of the file-system restore, when there is one, stays first.
 */
import { createHash } from 'node:crypto';
import { Names, RestoreInitHookAnnotations } from '../../api/labels.ts';
import type { RestoreResourceHookSpec } from '../../api/restore.ts';
import { parseCommandValue, podRef } from '../../hooks/hook-values.ts';
import type { KubeObject } from '../../kube/object.ts';
import { asArray, asRecord, type RestoreItemAction } from '../actions/types.ts';
import { matchingRestoreHooks, resolveRestoreHooks, type ResolvedRestoreHook } from './restore-hook-spec.ts';

/** The file-system restore's init container, which must stay at index 0 (VOLUMES-CONTRACT §5). */
const RESTORE_WAIT_CONTAINER = Names.RestoreHelperInitContainer;

export interface InitHookResult {
  /** Containers to add, in order. */
  containers: Record<string, unknown>[];
  /** Where they came from: `annotations`, or the spec entries' names. */
  from: string[];
  warnings: string[];
}

/**
 * The init containers a pod restored into `namespace` gets. Annotations win when
 * `container-image` is set. A container named by default gets a name derived from the restore
 * and the pod (Velero uses a random suffix; a fixed one lets a second look at the same pod agree).
 */
export function initHookContainers(
  pod: KubeObject,
  namespace: string,
  hooks: readonly ResolvedRestoreHook[],
  restoreName: string,
): InitHookResult {
  const ann = pod.metadata.annotations ?? {};
  const warnings: string[] = [];
  const image = ann[RestoreInitHookAnnotations.ContainerImage];
  if (image !== undefined && image !== '') {
    const name =
      ann[RestoreInitHookAnnotations.ContainerName] ||
      `velero-restore-init-${createHash('sha256')
        .update(`${restoreName}/${namespace}/${pod.metadata.name ?? ''}`)
        .digest('hex')
        .slice(0, 8)}`;
    const container: Record<string, unknown> = { name, image };
    const commandText = ann[RestoreInitHookAnnotations.Command];
    if (commandText !== undefined && commandText.trim() !== '') {
      const command = parseCommandValue(commandText);
      if ('problem' in command)
        warnings.push(
          `pod ${podRef(pod)}: annotation ${RestoreInitHookAnnotations.Command}: ${command.problem}; the image's entrypoint runs`,
        );
      else container.command = command.value;
    }
    if (ann[RestoreInitHookAnnotations.Timeout] !== undefined)
      warnings.push(
        `pod ${podRef(pod)}: annotation ${RestoreInitHookAnnotations.Timeout} is not used (as in Velero): init containers run as long as they run`,
      );
    return { containers: [container], from: ['annotations'], warnings };
  }
  for (const key of [RestoreInitHookAnnotations.ContainerName, RestoreInitHookAnnotations.Command]) {
    if (ann[key] !== undefined)
      warnings.push(
        `pod ${podRef(pod)}: annotation ${key} is set without ${RestoreInitHookAnnotations.ContainerImage}: no init hook from annotations`,
      );
  }
  const matching = matchingRestoreHooks(hooks, pod, namespace).filter((h) => h.initContainers.length > 0);
  return {
    containers: matching.flatMap((h) => h.initContainers.map((c) => structuredClone(c))),
    from: matching.map((h) => h.name),
    warnings,
  };
}

/** Puts the hook containers first, after `restore-wait` when the pod has it. */
export function withInitHookContainers(spec: Record<string, unknown>, added: Record<string, unknown>[]): void {
  if (added.length === 0) return;
  const existing = asArray(spec.initContainers);
  const keepFirst = asRecord(existing[0])?.name === RESTORE_WAIT_CONTAINER ? existing.slice(0, 1) : [];
  spec.initContainers = [...keepFirst, ...added, ...existing.slice(keepFirst.length)];
}

const resolved = new WeakMap<readonly RestoreResourceHookSpec[], ResolvedRestoreHook[]>();

/** The restore's hook entries, resolved once per restore. */
export function restoreHooksOf(entries: readonly RestoreResourceHookSpec[] | undefined): ResolvedRestoreHook[] {
  if (!entries || entries.length === 0) return [];
  let hooks = resolved.get(entries);
  if (!hooks) {
    hooks = resolveRestoreHooks(entries);
    resolved.set(entries, hooks);
  }
  return hooks;
}

/** `velero.io/init-restore-hook`: the restore item action that adds the init hook containers. */
export const initRestoreHookAction: RestoreItemAction = {
  name: 'velero.io/init-restore-hook',
  appliesTo: ['pods'],
  execute({ item, env, targetNamespace }) {
    const spec = asRecord(item.spec);
    if (!spec) return { item };
    const result = initHookContainers(item, targetNamespace ?? '', restoreHooksOf(env.hooks), env.restoreName);
    withInitHookContainers(spec, result.containers);
    return { item, ...(result.warnings.length > 0 ? { warnings: result.warnings } : {}) };
  },
};
