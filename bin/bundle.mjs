// Whether dist/skiff.mjs (`npm run build`) may run in place of the TypeScript: bin/skiff.mjs decides with it,
// and the tests' helpers that start bin/skiff.mjs too (a process that runs the bundle adds nothing to src/'s
// coverage, so they do not make it write any).
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Not import.meta.dirname: Node before 20.11 lacks it, and bin/skiff.mjs must run there long enough
// to say which Node it needs.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const bundle = join(root, 'dist', 'skiff.mjs');

/**
 * The bundle is newer than every file under src/ and than package-lock.json. A stale bundle must never run in
 * place of code that has since been edited (or deleted: a directory's mtime changes then, so directories count
 * too).
 */
export function bundleIsFresh() {
  try {
    const built = statSync(bundle).mtimeMs;
    const src = join(root, 'src');
    const inputs = [
      src,
      join(root, 'package-lock.json'),
      ...readdirSync(src, { recursive: true }).map((p) => join(src, p)),
    ];
    return inputs.every((p) => statSync(p).mtimeMs < built);
  } catch {
    return false; // no bundle yet, or a file vanished while we looked: take the safe path
  }
}
