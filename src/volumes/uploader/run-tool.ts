/**
 * Runs an uploader binary (kopia, restic) as a child process: arguments and environment in,
 * stdout lines and stderr lines to callbacks, a clear error naming the command and the tool's
 * last words when it fails. Aborting the signal interrupts the tool (SIGINT, so it can leave
 * the repository consistent) and kills it if it has not exited 10 s later.
 */
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface ToolRun {
  /** Executable path. */
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd?: string;
  signal?: AbortSignal | undefined;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** Split stderr on `\r` too (progress lines that overwrite themselves). */
  splitCarriageReturns?: boolean;
  /** Streamed to the tool's stdin (which is otherwise closed). */
  stdin?: AsyncIterable<string>;
}

export class ToolError extends Error {
  override name = 'ToolError';
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** How much of the tool's stderr a failure message quotes. */
const STDERR_TAIL_LINES = 8;
const KILL_AFTER_MS = 10_000;

/** Runs the tool to the end; resolves with its stdout when it exits 0. */
export function runTool(run: ToolRun): Promise<string> {
  return new Promise((resolve, reject) => {
    if (run.signal?.aborted) {
      reject(new ToolError(`${basename(run.command)} ${run.args[0] ?? ''} was canceled before it started`, null, ''));
      return;
    }
    const child = spawn(run.command, run.args, {
      cwd: run.cwd,
      // Only what the tool needs, plus PATH/HOME so it finds its own helpers and defaults.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...run.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdinError: unknown;
    if (!run.stdin) {
      child.stdin.on('error', () => undefined); // a tool that never started or exited at once
      child.stdin.end();
    } else {
      // A tool that exits early closes the pipe (EPIPE): its exit code tells the story then.
      pipeline(Readable.from(run.stdin), child.stdin).catch((err: unknown) => {
        stdinError = err;
        if (inputFailed(err)) child.kill('SIGINT');
      });
    }
    const out: string[] = [];
    const errTail: string[] = [];
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      child.kill('SIGINT');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      killTimer.unref();
    };
    run.signal?.addEventListener('abort', onAbort, { once: true });
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
      out.push(line);
      run.onStdoutLine?.(line);
    });
    const onErr = (line: string): void => {
      if (line.trim() === '') return;
      errTail.push(line);
      if (errTail.length > 200) errTail.splice(0, errTail.length - 200);
      run.onStderrLine?.(line);
    };
    if (run.splitCarriageReturns) {
      let pending = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        pending += chunk;
        const parts = pending.split(/\r\n|\r|\n/);
        pending = parts.pop() ?? '';
        for (const p of parts) onErr(p);
      });
      child.stderr.on('end', () => pending && onErr(pending));
    } else {
      createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', onErr);
    }
    child.on('error', (err) => {
      run.signal?.removeEventListener('abort', onAbort);
      reject(new ToolError(`cannot run ${run.command}: ${err.message}`, null, ''));
    });
    child.on('close', (code, signal) => {
      run.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (code === 0 && stdinError === undefined) {
        resolve(out.join('\n'));
        return;
      }
      const what = `${basename(run.command)} ${run.args
        .filter((a) => !a.startsWith('-'))
        .slice(0, 2)
        .join(' ')}`;
      const tail = errTail
        .filter((l) => !isProgressLine(l))
        .slice(-STDERR_TAIL_LINES)
        .join('\n');
      const how = run.signal?.aborted
        ? 'was canceled'
        : inputFailed(stdinError)
          ? `could not be given its input: ${stdinError instanceof Error ? stdinError.message : String(stdinError)}`
          : code === null
            ? `was killed (${signal})`
            : `exited with ${code}`;
      reject(new ToolError(`${what} ${how}${tail ? `: ${tail}` : ''}`, code, errTail.join('\n')));
    });
  });
}

function inputFailed(err: unknown): boolean {
  return err !== undefined && (err as NodeJS.ErrnoException).code !== 'EPIPE';
}

/** kopia's progress lines start with a spinner character; they are noise in an error message. */
function isProgressLine(line: string): boolean {
  return /^\s*[|/\\*-] \d+ hashing/.test(line);
}
