#!/usr/bin/env node
// Entry for the `skiff` bin. Runs the bundle of `npm run build` (dist/skiff.mjs) when it is
// newer than every file under src/ and than package-lock.json: it starts in a fraction of the
// time and memory of tsx. Otherwise runs the TypeScript through tsx as before, because a stale
// bundle must never run in place of code that has since been edited (or deleted: a directory's
// mtime changes then, so directories count too).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const bundle = join(root, 'dist', 'skiff.mjs');

function bundleIsFresh() {
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

if (bundleIsFresh()) {
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
