/** Runs the test environment's own binaries (kubectl, helm), built by scripts/testenv/build.sh. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadTestEnv } from './testenv.ts';

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The path of `name` in the environment's bin folder; a clear error when this build lacks it. */
export function envTool(name: string): string {
  const path = join(loadTestEnv().bin, name);
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: scripts/testenv/build.sh builds it (run 'npm run env:down && npm run env:up')`,
    );
  }
  return path;
}

/** Runs `tool args` with the admin kubeconfig, feeding `stdin`. */
export function runTool(name: string, args: readonly string[], stdin?: string): Promise<ToolResult> {
  const env = loadTestEnv();
  return new Promise((resolve, reject) => {
    const child = spawn(envTool(name), args, {
      env: { ...process.env, KUBECONFIG: env.kubeconfig, HOME: env.runDir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** Like runTool, but fails with both streams on a non-zero exit. */
export async function runToolOk(name: string, args: readonly string[], stdin?: string): Promise<string> {
  const r = await runTool(name, args, stdin);
  if (r.code !== 0)
    throw new Error(`${name} ${args.join(' ')} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r.stdout;
}
