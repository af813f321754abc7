import { SkiffError } from '../util/errors.ts';

export interface KubeErrorTarget {
  method: string;
  path: string;
}

/**
 * A non-2xx answer from the API server. Carries the HTTP status and the Status
 * object's `reason` (NotFound, AlreadyExists, Conflict, Forbidden, ...).
 */
export class KubeApiError extends SkiffError {
  readonly code = 'KubeApiError';
  override readonly transient: boolean;
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly apiMessage: string,
    readonly target: KubeErrorTarget,
    /**
     * The 404 is about the resource type, not an object: the API server does not serve the path
     * at all (a CRD not installed, an API group or version it lacks). Such an answer carries no
     * object name, or is not even a Status object ("404 page not found").
     */
    readonly typeNotServed = false,
  ) {
    super(`${target.method} ${target.path}: ${status} ${reason}: ${apiMessage}`);
    this.transient = status === 429 || status >= 500 || reason === 'Conflict';
  }
  get notFound(): boolean {
    return this.status === 404;
  }
  get alreadyExists(): boolean {
    return this.status === 409 && this.reason === 'AlreadyExists';
  }
  get conflict(): boolean {
    return this.status === 409 && this.reason === 'Conflict';
  }
  get forbidden(): boolean {
    return this.status === 403;
  }
}

/** The API server could not be reached at all (connection refused, TLS failure, DNS). */
/** No kubeconfig anywhere client-go would look, and not in a pod. */
export class NoKubeconfigError extends SkiffError {
  readonly code = 'NoKubeconfig';
  constructor(readonly looked: string) {
    super(`no kubeconfig found: pass --kubeconfig, set $KUBECONFIG, or create ${looked}`);
  }
}

export class KubeConnectionError extends SkiffError {
  readonly code = 'KubeConnectionError';
  override readonly transient = true;
  constructor(
    readonly server: string,
    cause: unknown,
  ) {
    super(
      `cannot reach the Kubernetes API server at ${server}: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.notFound;
}
export function isForbidden(err: unknown): boolean {
  return err instanceof KubeApiError && err.forbidden;
}
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof KubeApiError && err.alreadyExists;
}
export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.conflict;
}
