import type { RestoreSpec } from '../../api/restore.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { ValidationError } from '../../util/errors.ts';
import { ResourceModifiersError, resourceModifiersFromConfigMap } from './parse.ts';
import type { ResourceModifiers } from './types.ts';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' } as const;

/**
 * The resource modifiers a Restore names in `spec.resourceModifier` (reference §1.2, §4.8):
 * a ConfigMap (kind `configmap`, any case) in the Velero namespace, which is the Restore's.
 * Undefined when the spec names none. Throws ValidationError (a ResourceModifiersError for
 * a malformed document) naming the problem; the Restore then ends FailedValidation.
 */
export async function loadResourceModifiers(
  cluster: Cluster,
  namespace: string,
  spec: Pick<RestoreSpec, 'resourceModifier'>,
): Promise<ResourceModifiers | undefined> {
  const ref = spec.resourceModifier;
  if (!ref) return undefined;
  if (ref.kind.toLowerCase() !== 'configmap') {
    throw new ValidationError(
      `resourceModifier: kind ${JSON.stringify(ref.kind)} is not supported; resource modifiers live in a ConfigMap (kind configmap)`,
    );
  }
  const name = ref.name;
  if (name === '') throw new ValidationError('resourceModifier: name is required');
  const cm = await cluster.find(CONFIGMAPS, name, namespace);
  if (!cm) {
    throw new ValidationError(`resourceModifier: ConfigMap ${namespace}/${name} not found`);
  }
  return resourceModifiersFromConfigMap(cm);
}

/** The problems `loadResourceModifiers` finds, as Restore validation lists them; empty when it is fine. */
export async function resourceModifierProblems(
  cluster: Cluster,
  namespace: string,
  spec: Pick<RestoreSpec, 'resourceModifier'>,
): Promise<string[]> {
  try {
    await loadResourceModifiers(cluster, namespace, spec);
    return [];
  } catch (err) {
    if (err instanceof ResourceModifiersError)
      return err.problems.map((p) => `resource modifiers in ${err.source}: ${p}`);
    if (err instanceof ValidationError) return [err.message];
    throw err;
  }
}
