/**
 * Base class for failures a user can act on. Each subclass carries a stable `code`
 * so callers decide on phase and retry by code, never by message text.
 */
export abstract class SkiffError extends Error {
  abstract readonly code: string;
  /** Whether trying again later may succeed (network hiccup, throttling, conflict). */
  readonly transient: boolean = false;
}

/** Input that fails validation: a flag, a spec field, a manifest. */
export class ValidationError extends SkiffError {
  readonly code = 'FailedValidation';
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
