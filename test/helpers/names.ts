import { randomBytes } from 'node:crypto';

/** A DNS-1123 name unique to this test run, so tests never share namespaces or bucket prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}
