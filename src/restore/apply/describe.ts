import type { RestoreOperation } from '../plan/types.ts';

/** `ConfigMap ns/name`, as log lines and results name an item. */
export function describe(op: RestoreOperation): string {
  const { kind, namespace, name } = op.target;
  return `${kind} ${namespace ? `${namespace}/` : ''}${name}`;
}

/** Log fields of an item (reference §1.14: results carry resource and name). */
export function fields(op: RestoreOperation): Record<string, string | undefined> {
  return { resource: op.target.groupResource, name: op.target.name };
}
