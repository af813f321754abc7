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

/**
 * An error and its causes on one line: `outer: cause: root cause`. A message that already
 * quotes its cause's message (`cannot reach …: connect ECONNREFUSED`) does not get it twice,
 * and an AggregateError with no message of its own (undici's "every address failed") names its
 * errors. Every log line and CLI message about an error goes through here.
 */
export function formatError(err: unknown): string {
  const parts: string[] = [];
  let line = '';
  const seen = new Set<unknown>();
  for (let e: unknown = err; e !== undefined && e !== null && !seen.has(e) && seen.size < 10; e = causeOf(e)) {
    seen.add(e);
    const message = oneLine(ownMessage(e));
    if (message === '' || line.includes(message)) continue;
    parts.push(message);
    line = parts.join(': ');
  }
  return line === '' ? oneLine(String(err)) : line;
}

/** A logged error: its one-line chain, its class and code, and the stack only when asked (debug level). */
export interface LoggedError {
  type: string;
  message: string;
  code?: string;
  stack?: string;
}

export function serializeError(err: unknown, withStack: boolean): LoggedError {
  const out: LoggedError = {
    type: err instanceof Error ? err.constructor.name : typeof err,
    message: formatError(err),
  };
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') out.code = code;
  if (withStack && err instanceof Error && err.stack) out.stack = err.stack;
  return out;
}

function ownMessage(e: unknown): string {
  if (e instanceof AggregateError && e.message === '' && e.errors.length > 0) {
    return e.errors.map((x) => formatError(x)).join('; ');
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

function causeOf(e: unknown): unknown {
  return e instanceof Error ? e.cause : undefined;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
