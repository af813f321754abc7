/**
 * What the CLI says when the API server does not serve a type it asked for: most often the
 * velero.io CRDs are not installed yet (`skiff backup get` before `skiff install`), and the
 * raw answer ("404 page not found") says nothing about what to do.
 */
import { ALL_KINDS, VELERO_GROUP } from '../api/kinds.ts';
import { KubeApiError } from '../kube/errors.ts';
import { resourceOfPath } from '../kube/resource.ts';

/** The message for an error about an unserved type, or undefined for any other error. */
export function missingKindMessage(error: unknown): string | undefined {
  const err = unservedTypeError(error);
  if (!err) return undefined;
  const rt = resourceOfPath(err.target.path);
  if (!rt) return undefined;
  const answer = `(${err.target.method} ${err.target.path}: ${err.status} ${err.apiMessage})`;
  if (rt.group === VELERO_GROUP) {
    const kind = ALL_KINDS.find((k) => k.plural === rt.resource && k.version === rt.version);
    const what = kind
      ? `the ${VELERO_GROUP}/${rt.version} ${kind.kind} kind is`
      : `${rt.resource}.${VELERO_GROUP}/${rt.version} is`;
    return (
      `${what} not installed in this cluster ${answer}.\n` +
      `Install Skiff first: 'skiff install' (see 'skiff install --help'), or only its CustomResourceDefinitions ` +
      `with 'skiff install --crds-only'. Check which cluster you talk to with --kubeconfig / --kubecontext.`
    );
  }
  const name = rt.group === '' ? `${rt.resource} (${rt.version})` : `${rt.resource}.${rt.group}/${rt.version}`;
  return `the API server does not serve ${name} ${answer}: is the API group or its CustomResourceDefinition installed?`;
}

/** The error, or one of its causes, that says a type is not served. */
function unservedTypeError(error: unknown): KubeApiError | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof KubeApiError && e.typeNotServed) return e;
  }
  return undefined;
}
