import type { BackupSpec } from '../../api/backup.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { ValidationError } from '../../util/errors.ts';
import { parseResourcePolicies } from './parse.ts';
import type { ResourcePolicies } from './types.ts';

const CONFIG_MAPS = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
  verbs: [],
};

/**
 * The resource policies a Backup's `spec.resourcePolicy` names, read from the ConfigMap in
 * the server namespace (reference §1.1, §3.7): exactly one data key holding the YAML.
 * Undefined when the spec names none; a ValidationError naming the ConfigMap otherwise.
 */
export async function loadResourcePolicies(
  cluster: Cluster,
  namespace: string,
  spec: Pick<BackupSpec, 'resourcePolicy'>,
): Promise<ResourcePolicies | undefined> {
  const ref = spec.resourcePolicy;
  if (!ref) return undefined;
  if (ref.kind.toLowerCase() !== 'configmap')
    throw new ValidationError(`spec.resourcePolicy.kind ${JSON.stringify(ref.kind)} is not supported: use configmap`);
  const source = `ConfigMap ${namespace}/${ref.name}`;
  const cm = await cluster.find(CONFIG_MAPS, ref.name, namespace);
  if (!cm) throw new ValidationError(`resource policies ${source} (spec.resourcePolicy) does not exist`);
  return resourcePoliciesFromData(cm.data, source);
}

export function resourcePoliciesFromData(data: unknown, source: string): ResourcePolicies {
  const entries = data && typeof data === 'object' ? Object.entries(data as Record<string, unknown>) : [];
  if (entries.length !== 1) {
    const found = entries.length === 0 ? 'none' : entries.map(([k]) => JSON.stringify(k)).join(', ');
    throw new ValidationError(
      `resource policies ${source}: the ConfigMap must hold exactly one data key, found ${found}`,
    );
  }
  const text = entries[0]?.[1];
  return parseResourcePolicies(typeof text === 'string' ? text : '', source);
}
