import { isAbsolute, join, relative, sep } from 'node:path';

/** Temporary files of in-flight uploads carry this name prefix and are hidden from listings. */
export const UPLOAD_TEMP_PREFIX = '.skiff-upload-';

/**
 * Why `key` cannot name a file inside the bucket directory, or null if it can.
 * A key is `/`-separated segments; none may be empty, `.` or `..`, so a key can
 * never climb out of the bucket (keys come from backup names in CRs and from buckets
 * other tools wrote, so they are untrusted input).
 */
export function invalidKeyReason(key: string): string | null {
  if (key === '') return 'the key is empty';
  if (key.includes('\0')) return 'the key contains a NUL character';
  if (key.startsWith('/')) return 'the key starts with "/"';
  if (key.includes('\\')) return 'the key contains "\\"';
  for (const segment of key.split('/')) {
    if (segment === '') return 'the key has an empty path segment';
    if (segment === '.' || segment === '..') return `the key has a "${segment}" path segment`;
    if (segment.startsWith(UPLOAD_TEMP_PREFIX)) return `the key has a segment starting with "${UPLOAD_TEMP_PREFIX}"`;
  }
  return null;
}

/**
 * Why a listing prefix is unsafe, or null. A prefix may end in a partial segment or
 * in `/`, but may not climb out of the bucket either.
 */
export function invalidPrefixReason(prefix: string): string | null {
  if (prefix === '') return null;
  return invalidKeyReason(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}

/** Why a bucket name cannot be a sub-directory of the root, or null. */
export function invalidBucketReason(bucket: string): string | null {
  if (bucket === '' || bucket === '.' || bucket === '..') return 'a bucket must be a plain directory name';
  if (bucket.includes('/') || bucket.includes('\\') || bucket.includes('\0')) {
    return 'a bucket name cannot contain "/", "\\" or NUL';
  }
  return null;
}

/** The file path of a key already checked by invalidKeyReason, asserted to stay under `dir`. */
export function pathInside(dir: string, key: string): string {
  const path = join(dir, ...key.split('/'));
  const rel = relative(dir, path);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new Error(`internal error: key "${key}" resolved outside ${dir}`);
  }
  return path;
}
