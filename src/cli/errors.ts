import { isAlreadyExists } from '../kube/errors.ts';
import { SkiffError } from '../util/errors.ts';

/** A flag or argument the user must fix; `problems` lists every one found, not only the first. */
export class FlagError extends SkiffError {
  readonly code = 'InvalidFlag';
  constructor(readonly problems: readonly string[]) {
    super(problems.length === 1 ? (problems[0] ?? '') : `invalid flags:\n  - ${problems.join('\n  - ')}`);
  }
}

/**
 * The command ran but its outcome is a failure the user already saw printed (a backup
 * that ended Failed, a dry run with validation errors): exit non-zero without repeating it.
 */
export class CommandFailedError extends SkiffError {
  readonly code = 'CommandFailed';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Throws a FlagError when validation found problems; `validate()` methods end with this. */
export function throwIfProblems(problems: readonly string[]): void {
  if (problems.length > 0) throw new FlagError(problems);
}

/**
 * Sends a create; when an object of that name is already there, the user gets `whenExists`
 * (which names it and says what to do instead) as a FlagError, not the API server's 409.
 */
export async function createNew<T>(create: () => Promise<T>, whenExists: string): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (isAlreadyExists(err)) throw new FlagError([whenExists]);
    throw err;
  }
}
