import { statSync } from 'node:fs';

/** Whether `path` names a regular file (following links); checked before a flag that names one is taken. */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
