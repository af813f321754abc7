import jsonPatch from 'fast-json-patch';
import type { KubeObject } from '../../kube/object.ts';
import { compileGlob, matches, matchesAny } from '../../selection/index.ts';
import type { ModifierConditions } from './types.ts';

/** The object a rule's conditions are tested against, as Velero sees it at that step (reference §4.8). */
export interface ModifierSubject {
  /** Folder name in the backup: `deployments.apps`, `configmaps`. */
  groupResource: string;
  /** Undefined for cluster-scoped objects. */
  sourceNamespace: string | undefined;
  object: KubeObject;
}

/**
 * Whether a rule's conditions all hold (reference §4.8): `groupResource` is a glob with `.`
 * as separator; `resourceNameRegex` is unanchored; `namespaces` are globs tested against
 * the source namespace and ignored for cluster-scoped objects; `matches` are JSON-patch
 * `test` operations, a missing path counting as no match.
 */
export function conditionsMatch(c: ModifierConditions, subject: ModifierSubject): boolean {
  if (!(compileGlob(c.groupResource, '.')?.test(subject.groupResource) ?? false)) return false;
  const name = subject.object.metadata.name ?? '';
  if (c.resourceNameRegex && !c.resourceNameRegex.test(name)) return false;
  if (
    c.namespaces.length > 0 &&
    subject.sourceNamespace !== undefined &&
    !matchesAny(c.namespaces, subject.sourceNamespace)
  ) {
    return false;
  }
  if (c.labelSelector && !matches(c.labelSelector, subject.object.metadata.labels)) return false;
  return c.matches.every((test) => {
    try {
      // A test never writes, so the object need not be copied (mutateDocument: true).
      jsonPatch.applyOperation(subject.object, { op: 'test', path: test.path, value: test.value }, true, true);
      return true;
    } catch {
      return false;
    }
  });
}
