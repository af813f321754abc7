/**
 * The exec credential provider: a location's `spec.config.credentialProcess` names a command
 * whose stdout is the AWS `credential_process` JSON (`Version` 1, `AccessKeyId`,
 * `SecretAccessKey`, optional `SessionToken` and `Expiration`). The command is run again before
 * the credentials expire. Deliberately free of the AWS SDK (a child process and JSON), so the
 * node agent can hand the same credentials to kopia and restic without loading the SDK.
 */
import { spawn } from 'node:child_process';
import { systemClock, type Clock } from '../../../util/clock.ts';
import { SkiffError } from '../../../util/errors.ts';

/** Credentials as a credential process hands them out; no `expiration` means they never expire. */
export interface ProcessCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** The command could not be run, failed, or printed something that is not credentials. */
export class CredentialProcessError extends SkiffError {
  override name = 'CredentialProcessError';
  readonly code = 'CredentialProcessFailed';
}

/** How long before `Expiration` the command runs again (the AWS SDKs use 5 minutes too). */
export const REFRESH_MARGIN_MS = 5 * 60_000;
/** A command that has not answered by then is killed: a backup must never hang on it. */
export const CREDENTIAL_PROCESS_TIMEOUT_MS = 30_000;
/** More stdout than this is not credentials. */
const MAX_STDOUT_BYTES = 64 * 1024;
/** How much of the command's stderr an error quotes. */
const STDERR_TAIL_CHARS = 2000;

/** Characters a shell would give a meaning to; outside single quotes we refuse them rather than pass them on literally. */
const SHELL_OPERATORS = new Set(['|', '&', ';', '<', '>', '(', ')', '`', '$']);

/**
 * Splits `credentialProcess` into an argument vector, which runs without a shell. The rule is
 * the POSIX shell's quoting without its expansions: unquoted blanks separate arguments;
 * `'...'` is literal; in `"..."` a backslash escapes `"`, `\`, `$` and backquote and stays
 * before anything else; outside quotes a backslash escapes the next character. Shell operators
 * and expansions (`| & ; < > ( ) $` and backquote) outside single quotes are refused, since
 * nothing would act on them: to use a shell, write it out (`sh -c 'vault read ... | jq ...'`).
 * Returns the arguments, or the reason the value cannot be used.
 */
export function splitCommand(command: string): string[] | string {
  const args: string[] = [];
  let word: string | undefined;
  let i = 0;
  while (i < command.length) {
    if (/\s/.test(command.charAt(i))) {
      if (word !== undefined) args.push(word);
      word = undefined;
      i++;
      continue;
    }
    const piece = readPiece(command, i);
    if (typeof piece === 'string') return piece;
    word = (word ?? '') + piece.text;
    i = piece.next;
  }
  if (word !== undefined) args.push(word);
  if (args.length === 0) return 'it is empty';
  return args;
}

/** Part of a word starting at `i`: a quoted string, an escaped character or a plain one. */
function readPiece(command: string, i: number): { text: string; next: number } | string {
  const c = command.charAt(i);
  if (c === "'") {
    const end = command.indexOf("'", i + 1);
    if (end < 0) return 'its single quote is not closed';
    return { text: command.slice(i + 1, end), next: end + 1 };
  }
  if (c === '"') return readDoubleQuoted(command, i + 1);
  if (c === '\\') {
    if (i + 1 >= command.length) return 'it ends with a lone backslash';
    return { text: command.charAt(i + 1), next: i + 2 };
  }
  if (SHELL_OPERATORS.has(c)) return shellOperator(c);
  return { text: c, next: i + 1 };
}

function readDoubleQuoted(command: string, start: number): { text: string; next: number } | string {
  let text = '';
  for (let i = start; i < command.length; i++) {
    const c = command.charAt(i);
    if (c === '"') return { text, next: i + 1 };
    if (c === '$' || c === '`') return shellOperator(c);
    if (c === '\\' && i + 1 < command.length) {
      const next = command.charAt(i + 1);
      text += '"\\$`'.includes(next) ? next : c + next;
      i++;
    } else {
      text += c;
    }
  }
  return 'its double quote is not closed';
}

function shellOperator(c: string): string {
  return (
    `"${c}" would need a shell, but the command runs without one: ` +
    `quote it ('${c}') to pass it literally, or run a shell explicitly (sh -c '...')`
  );
}

/** Parses the JSON a credential process printed; returns the reason when it is not valid credentials. */
export function parseCredentialProcessOutput(stdout: string): ProcessCredentials | string {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    // Never quote the output (V8's JSON error does): it may hold secrets.
    return `its output is not JSON (${Buffer.byteLength(stdout)} bytes, starting ${JSON.stringify(stdout.trimStart().slice(0, 1))})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'its output is not a JSON object';
  const out = value as Record<string, unknown>;
  if (out.Version !== 1) {
    return `its output has "Version": ${out.Version === undefined ? 'missing' : JSON.stringify(out.Version)}, expected 1`;
  }
  const accessKeyId = out.AccessKeyId;
  const secretAccessKey = out.SecretAccessKey;
  if (typeof accessKeyId !== 'string' || accessKeyId === '') return 'its output lacks "AccessKeyId"';
  if (typeof secretAccessKey !== 'string' || secretAccessKey === '') return 'its output lacks "SecretAccessKey"';
  const credentials: ProcessCredentials = { accessKeyId, secretAccessKey };
  if (out.SessionToken !== undefined && out.SessionToken !== null) {
    if (typeof out.SessionToken !== 'string') return 'its "SessionToken" is not a string';
    if (out.SessionToken !== '') credentials.sessionToken = out.SessionToken;
  }
  if (out.Expiration !== undefined && out.Expiration !== null) {
    const expiration = parseTimestamp(out.Expiration);
    if (expiration === undefined) {
      return `its "Expiration" ${JSON.stringify(out.Expiration)} is not an ISO 8601 time such as 2026-01-02T15:04:05Z`;
    }
    credentials.expiration = expiration;
  }
  return credentials;
}

function parseTimestamp(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/i.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/**
 * When credentials obtained at `obtainedAt` and expiring at `expiration` (ms since the epoch)
 * are fetched again: {@link REFRESH_MARGIN_MS} before expiry, or a quarter of their lifetime
 * before it when they live less than 20 minutes (STS hands out 15-minute credentials).
 */
export function refreshTime(obtainedAt: number, expiration: number): number {
  const lifetime = Math.max(0, expiration - obtainedAt);
  return expiration - Math.min(REFRESH_MARGIN_MS, lifetime / 4);
}

/** Runs the command (no shell) and resolves with its stdout; rejects with a reason naming what failed. */
export type RunCommand = (argv: readonly string[], timeoutMs: number) => Promise<string>;

export const runCommand: RunCommand = (argv, timeoutMs) =>
  new Promise((resolve, reject) => {
    const [file = '', ...args] = argv;
    // The server's environment is inherited: helpers such as `aws` or `vault` read theirs from it.
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    let outBytes = 0;
    let errText = '';
    let failure: string | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_STDOUT_BYTES) {
        failure ??= `it printed more than ${MAX_STDOUT_BYTES} bytes`;
        child.kill('SIGKILL');
      } else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errText = (errText + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      failure =
        err.code === 'ENOENT'
          ? `"${file}" was not found (give a path, or put it on the server's PATH)`
          : err.code === 'EACCES'
            ? `"${file}" is not executable`
            : err.message;
    });
    child.on('close', (code, signal) => {
      const stderr = errText.trim();
      const said = stderr === '' ? '' : `: ${stderr}`;
      if (failure === undefined && signal === 'SIGKILL') failure = `it did not finish within ${timeoutMs / 1000} s`;
      if (failure === undefined && code !== 0) failure = `it exited with ${code ?? signal ?? 'an error'}`;
      if (failure !== undefined) reject(new Error(failure + said));
      else resolve(Buffer.concat(out).toString('utf8'));
    });
  });

export interface CredentialProcessOptions {
  clock?: Clock;
  run?: RunCommand;
  timeoutMs?: number;
}

/**
 * The credentials of one `credentialProcess` command: fetched on first use, handed out again
 * until their refresh time ({@link refreshTime}), then fetched again; callers asking at once
 * share one run. A failed run is not remembered: the next call runs the command again.
 */
export class CredentialProcess {
  private readonly argv: string[];
  private current: { credentials: ProcessCredentials; refreshAt: number; halfLife: number } | undefined;
  private pending: Promise<ProcessCredentials> | undefined;
  private readonly clock: Clock;
  private readonly run: RunCommand;
  private readonly timeoutMs: number;

  /** @throws CredentialProcessError when the command cannot be split into arguments. */
  constructor(
    readonly command: string,
    options: CredentialProcessOptions = {},
  ) {
    const argv = splitCommand(command);
    if (typeof argv === 'string') throw new CredentialProcessError(`${this.describe()} cannot be used: ${argv}`);
    this.argv = argv;
    this.clock = options.clock ?? systemClock;
    this.run = options.run ?? runCommand;
    this.timeoutMs = options.timeoutMs ?? CREDENTIAL_PROCESS_TIMEOUT_MS;
  }

  /**
   * Valid credentials, running the command when there are none or they are due for refresh.
   * `forChildProcess`: for a kopia or restic run, which cannot be given new credentials once
   * started, credentials past half their lifetime are refreshed first, so the run gets as
   * long as the command hands out.
   */
  get(options: { forChildProcess?: boolean } = {}): Promise<ProcessCredentials> {
    const due = options.forChildProcess ? this.current?.halfLife : this.current?.refreshAt;
    if (this.current && due !== undefined && this.clock.now().getTime() < due) {
      return Promise.resolve(this.current.credentials);
    }
    this.pending ??= this.fetch().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetch(): Promise<ProcessCredentials> {
    this.current = undefined;
    const started = this.clock.now().getTime();
    let stdout: string;
    try {
      stdout = await this.run(this.argv, this.timeoutMs);
    } catch (err) {
      throw new CredentialProcessError(
        `${this.describe()} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const credentials = parseCredentialProcessOutput(stdout);
    if (typeof credentials === 'string') throw new CredentialProcessError(`${this.describe()}: ${credentials}`);
    const expiration = credentials.expiration?.getTime();
    if (expiration !== undefined && expiration <= this.clock.now().getTime()) {
      throw new CredentialProcessError(
        `${this.describe()} returned credentials that expired at ${credentials.expiration?.toISOString() ?? ''}`,
      );
    }
    this.current =
      expiration === undefined
        ? { credentials, refreshAt: Number.POSITIVE_INFINITY, halfLife: Number.POSITIVE_INFINITY }
        : { credentials, refreshAt: refreshTime(started, expiration), halfLife: (started + expiration) / 2 };
    return credentials;
  }

  private describe(): string {
    return `spec.config.credentialProcess \`${this.command}\``;
  }
}

const processes = new Map<string, CredentialProcess>();

/**
 * The shared provider of a command: every store and repository opened with the same command
 * shares its credentials, so re-opening a location does not run the command again.
 */
export function credentialProcessFor(command: string): CredentialProcess {
  let found = processes.get(command);
  if (!found) {
    found = new CredentialProcess(command);
    processes.set(command, found);
  }
  return found;
}
