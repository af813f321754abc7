/**
 * Measured runs execute a bundle of their run file, built with scripts/build.ts like the CLI:
 * through tsx a process carries ~100 MiB more RSS and seconds more start-up than the product,
 * which would blur the peak RSS the benchmarks report.
 */
import { join } from 'node:path';
import { bundle } from '../scripts/build.ts';

const outDir = join(import.meta.dirname, '..', 'dist', 'bench');

/**
 * Bundles `bench/<name>.ts` into dist/bench/<name>.mjs and returns the bundle's path.
 * In the bundle `import.meta.dirname` is dist/bench, not bench/ or test/helpers/: callers pass
 * the environment's directory in SKIFF_TESTENV_RUN rather than let testenv.ts derive it.
 */
export async function bundledRun(name: string): Promise<string> {
  const outfile = join(outDir, `${name}.mjs`);
  await bundle(join(import.meta.dirname, `${name}.ts`), outfile);
  return outfile;
}

/** This process's Node flags without the tsx loader: the bundle is plain JavaScript. */
export function withoutTsx(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] ?? '';
    if (['--import', '--require', '-r'].includes(arg) && execArgv[i + 1]?.includes('tsx')) i++;
    else if (!/^--(import|require)=.*tsx/.test(arg)) out.push(arg);
  }
  return out;
}
