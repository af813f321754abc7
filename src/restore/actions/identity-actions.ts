import type { KubeObject } from '../../kube/object.ts';
import { mapNamespace } from '../../selection/index.ts';
import { asArray, asRecord, removeAnnotations, type RestoreItemAction } from './types.ts';

/** `velero.io/service-account` (reference §4.6): the first `<sa>-token-*` secret reference belongs to the source cluster. */
export const serviceAccountAction: RestoreItemAction = {
  name: 'velero.io/service-account',
  appliesTo: ['serviceaccounts'],
  execute({ item }) {
    if (!Array.isArray(item.secrets)) return { item };
    const prefix = `${item.metadata.name ?? ''}-token-`;
    const index = item.secrets.findIndex((s) => nameOf(s).startsWith(prefix));
    if (index >= 0) item.secrets.splice(index, 1);
    return { item };
  },
};

const SA_TOKEN_TYPE = 'kubernetes.io/service-account-token';

/**
 * `velero.io/secret` (reference §4.6): a legacy token secret of a ServiceAccount in the
 * namespace is recreated by the token controller, so it is skipped; other token secrets
 * lose the source uid and the token data so the target cluster fills them in.
 */
export const secretAction: RestoreItemAction = {
  name: 'velero.io/secret',
  appliesTo: ['secrets'],
  // Only a token secret is changed (its annotations and data); any other passes through as it is.
  changesInPlace: (item) => item.type === SA_TOKEN_TYPE,
  execute({ item, env, sourceNamespace }) {
    if (item.type !== SA_TOKEN_TYPE) return { item };
    const name = item.metadata.name ?? '';
    const accounts = env.serviceAccounts[sourceNamespace ?? ''] ?? [];
    const owner = accounts.find((sa) => name.startsWith(`${sa}-token-`));
    if (owner !== undefined)
      return { item, skip: `token secret of service account ${owner} is recreated by the cluster` };
    removeAnnotations(item, ['kubernetes.io/service-account.uid']);
    const data = asRecord(item.data);
    if (data) {
      delete data.token;
      delete data['ca.crt'];
    }
    return { item };
  },
};

/** `velero.io/role-bindings`, `velero.io/cluster-role-bindings` (reference §4.6): subjects follow namespaceMapping. */
export const roleBindingAction: RestoreItemAction = {
  name: 'velero.io/role-bindings',
  appliesTo: ['rolebindings.rbac.authorization.k8s.io', 'clusterrolebindings.rbac.authorization.k8s.io'],
  execute({ item, env }) {
    remapSubjects(item, env.namespaceMapping);
    return { item };
  },
};

function remapSubjects(item: KubeObject, mapping: Record<string, string>): void {
  for (const s of asArray(item.subjects)) {
    const subject = asRecord(s);
    if (subject && typeof subject.namespace === 'string' && subject.namespace !== '') {
      subject.namespace = mapNamespace({ namespaceMapping: mapping }, subject.namespace);
    }
  }
}

function nameOf(value: unknown): string {
  const name = asRecord(value)?.name;
  return typeof name === 'string' ? name : '';
}
