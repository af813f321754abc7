import type { KubeObject } from '../../kube/object.ts';
import type { BackupItemAction, ItemRef } from './types.ts';

interface Binding {
  subjects?: { kind?: string; name?: string; namespace?: string }[];
  roleRef?: { kind?: string; name?: string };
}

/** A ServiceAccount brings the ClusterRoleBindings naming it and their ClusterRoles (reference §3.5). */
export const serviceAccountAction: BackupItemAction = {
  name: 'velero.io/service-account',
  appliesTo: ['serviceaccounts'],
  mayAdd: ['clusterrolebindings.rbac.authorization.k8s.io', 'clusterroles.rbac.authorization.k8s.io'],
  async execute(item: KubeObject, ctx) {
    const { name, namespace } = item.metadata;
    const bindings = await ctx.listClusterScoped('rbac.authorization.k8s.io', 'clusterrolebindings');
    const additionalItems: ItemRef[] = [];
    const roles = new Set<string>();
    for (const b of bindings) {
      const binding = b as unknown as Binding & KubeObject;
      const matches = (binding.subjects ?? []).some(
        (s) => s.kind === 'ServiceAccount' && s.name === name && s.namespace === namespace,
      );
      if (!matches || !binding.metadata.name) continue;
      additionalItems.push({
        group: 'rbac.authorization.k8s.io',
        resource: 'clusterrolebindings',
        name: binding.metadata.name,
      });
      if (binding.roleRef?.kind === 'ClusterRole' && binding.roleRef.name) roles.add(binding.roleRef.name);
    }
    for (const role of roles)
      additionalItems.push({ group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: role });
    return { item, additionalItems };
  },
};
