import type { KubeObject } from '../../kube/object.ts';
import type { ResourceRef } from '../../kube/resource.ts';
import { resetMetadataAndStatus } from '../actions/generic-clean.ts';
import type { LiveLookup } from './plan-item.ts';
import { SkipReason, type RestoreOperation } from './types.ts';

export const NAMESPACE_TYPE: ResourceRef = { group: '', version: 'v1', resource: 'namespaces' };

/**
 * The ensure-namespace step (reference §4.3), as operations: each target namespace that an
 * item is restored into is created from the backup's copy of its source namespace (labels,
 * annotations, spec; name set to the target) or as a bare Namespace, without restore labels.
 * An existing Active namespace is left alone; a Terminating one is waited out, then created.
 * Planned one namespace at a time, as the caller consumes them. Each namespace planned as a
 * create is added to `created`.
 */
export async function* planNamespaces(
  targets: ReadonlyMap<string, string>,
  backedUp: (sourceNamespace: string) => Promise<KubeObject | undefined>,
  live: LiveLookup,
  created: Set<string> = new Set(),
): AsyncGenerator<RestoreOperation> {
  for (const [targetNs, sourceNs] of [...targets].sort(([a], [b]) => a.localeCompare(b))) {
    const target = {
      apiVersion: 'v1',
      kind: 'Namespace',
      type: NAMESPACE_TYPE,
      groupResource: 'namespaces',
      name: targetNs,
    };
    const existing = await live(NAMESPACE_TYPE, targetNs);
    const terminating =
      existing !== undefined &&
      (existing.metadata.deletionTimestamp !== undefined || phaseOf(existing) === 'Terminating');
    if (existing && !terminating) {
      yield { kind: 'skip', target, warnings: [], reason: SkipReason.Exists, detail: 'namespace exists' };
      continue;
    }
    created.add(targetNs);
    yield {
      kind: 'create',
      target,
      warnings: [],
      object: namespaceObject(targetNs, await backedUp(sourceNs)),
      ...(terminating ? { awaitTermination: true } : {}),
    };
  }
}

function phaseOf(ns: KubeObject): unknown {
  return (ns.status as { phase?: unknown } | undefined)?.phase;
}

function namespaceObject(name: string, source: KubeObject | undefined): KubeObject {
  if (!source) return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
  const { object } = resetMetadataAndStatus(source);
  object.metadata.name = name;
  delete object.metadata.managedFields;
  // The name label is set by the API server from the name; a stale one would be rejected.
  if (object.metadata.labels?.['kubernetes.io/metadata.name'] !== undefined) {
    object.metadata.labels['kubernetes.io/metadata.name'] = name;
  }
  const spec = object.spec as { finalizers?: unknown } | undefined;
  if (spec && Array.isArray(spec.finalizers) && spec.finalizers.length === 0) delete object.spec;
  return object;
}
