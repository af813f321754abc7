/** Turns an error that escaped a command into the message the user sees and the exit code. */
import { KubeApiError } from '../kube/errors.ts';
import { SkiffError, formatError } from '../util/errors.ts';
import { CommandFailedError } from './errors.ts';
import { missingKindMessage } from './missing-kind.ts';

/** The message for an error that escaped a verb, and the exit code. */
export function describeError(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CommandFailedError) return { message: err.message, exitCode: err.exitCode };
  const missingKind = missingKindMessage(err);
  if (missingKind !== undefined) return { message: missingKind, exitCode: 1 };
  if (err instanceof KubeApiError && err.forbidden) {
    return { message: `${err.message}\n(your kubeconfig user lacks permission for this)`, exitCode: 1 };
  }
  if (err instanceof SkiffError) return { message: err.message, exitCode: 1 };
  return { message: formatError(err), exitCode: 1 };
}
