import { groupResource } from '../kube/resource.ts';
import { ArchiveError, ArchiveErrorCode } from './errors.ts';

/**
 * Entry paths inside `<backup>.tar.gz`, in Velero's layout (reference §2.4). This file is
 * the only place that knows them; the writer and the reader both go through it.
 */

/** Format version of the tarball layout Velero writes today (§2.4: `metadata/version`). */
export const ARCHIVE_FORMAT_VERSION = '1.1.0';
/** First entry of every tarball (§2.4). */
export const METADATA_VERSION_PATH = 'metadata/version';
/** The marker holds the version followed by a newline (§2.4). */
export const METADATA_VERSION_CONTENT = `${ARCHIVE_FORMAT_VERSION}\n`;
export const RESOURCES_DIR = 'resources';
export const METADATA_DIR = 'metadata';
export const CLUSTER_DIR = 'cluster';
export const NAMESPACES_DIR = 'namespaces';
/** A version directory with this suffix marks the source cluster's preferred version (§2.4). */
export const PREFERRED_VERSION_SUFFIX = '-preferredversion';
const ITEM_SUFFIX = '.json';

/** Where one item goes: the fields a backup knows about the object it writes. */
export interface ArchiveItemLocation {
  group: string;
  version: string;
  resource: string;
  namespaced: boolean;
  /** Required for namespaced resources, absent (or empty) for cluster-scoped ones. */
  namespace?: string | undefined;
  name: string;
  /** Whether `version` is the server-preferred version of this resource. */
  preferredVersion: boolean;
}

/** What an item path says about its item. `namespace` is undefined for cluster-scoped items. */
export interface ParsedEntryPath {
  /** Folder name under `resources/`: `pods`, `deployments.apps`. */
  groupResource: string;
  /** `groupResource` split at the first dot; `''` for the core group. */
  resource: string;
  group: string;
  namespace?: string;
  name: string;
  /** Version directory the entry sits in; undefined for the legacy (unversioned) copy. */
  version?: string;
  /** Whether the version directory carries the `-preferredversion` suffix. */
  preferred: boolean;
}

/** Splits `deployments.apps` into resource and group; the core group has no dot (§2.4). */
export function splitGroupResource(gr: string): { resource: string; group: string } {
  const dot = gr.indexOf('.');
  if (dot === -1) return { resource: gr, group: '' };
  return { resource: gr.slice(0, dot), group: gr.slice(dot + 1) };
}

/** Name of the folder under `resources/` for a resource type (§2.4). */
export function groupResourceFolder(group: string, resource: string): string {
  return groupResource({ group, resource });
}

/** Name of a version directory: `v1` or `v1-preferredversion` (§2.4). */
export function versionFolder(version: string, preferred: boolean): string {
  return preferred ? `${version}${PREFERRED_VERSION_SUFFIX}` : version;
}

function assertSegment(value: string, what: string): void {
  if (value === '' || value === '.' || value === '..' || value.includes('/') || hasControlChar(value)) {
    throw new ArchiveError(
      ArchiveErrorCode.InvalidPath,
      `invalid ${what} ${JSON.stringify(value)} for a tarball entry`,
    );
  }
}

function hasControlChar(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * One entry path. `versionDir` undefined gives the legacy path without a version directory.
 */
export function itemEntryPath(
  loc: Omit<ArchiveItemLocation, 'version' | 'preferredVersion'>,
  versionDir?: string,
): string {
  return itemEntryDir(loc, versionDir) + itemFileName(loc.name);
}

/** `<name>.json`, after checking the name is one safe path segment. */
export function itemFileName(name: string): string {
  assertSegment(name, 'name');
  return `${name}${ITEM_SUFFIX}`;
}

/** The folder (with a trailing slash) holding an item's entry; the same for every item of a type and namespace. */
function itemEntryDir(
  loc: Omit<ArchiveItemLocation, 'version' | 'preferredVersion' | 'name'> & { name?: string },
  versionDir?: string,
): string {
  assertSegment(loc.resource, 'resource');
  if (loc.group !== '') assertSegment(loc.group, 'group');
  const parts = [RESOURCES_DIR, groupResourceFolder(loc.group, loc.resource)];
  if (versionDir !== undefined) {
    assertSegment(versionDir, 'version');
    parts.push(versionDir);
  }
  const namespace = loc.namespace ?? '';
  if (loc.namespaced) {
    if (namespace === '') {
      throw new ArchiveError(
        ArchiveErrorCode.InvalidPath,
        `namespaced item ${JSON.stringify(loc.name ?? '')} has no namespace`,
      );
    }
    assertSegment(namespace, 'namespace');
    parts.push(NAMESPACES_DIR, namespace);
  } else {
    if (namespace !== '') {
      throw new ArchiveError(
        ArchiveErrorCode.InvalidPath,
        `cluster-scoped item ${JSON.stringify(loc.name ?? '')} was given namespace ${JSON.stringify(namespace)}`,
      );
    }
    parts.push(CLUSTER_DIR);
  }
  return `${parts.join('/')}/`;
}

/**
 * All paths Velero writes for one item (§2.4), in the order it writes them: an item at the
 * preferred version goes twice, at the legacy path and under `<version>-preferredversion/`;
 * an item at any other version (EnableAPIGroupVersions) goes only under `<version>/`.
 */
export function itemEntryPaths(loc: ArchiveItemLocation): string[] {
  const file = itemFileName(loc.name);
  return itemEntryDirs(loc).map((dir) => dir + file);
}

/** The folders of `itemEntryPaths`, which depend only on the item's type and namespace. */
export function itemEntryDirs(loc: Omit<ArchiveItemLocation, 'name'> & { name?: string }): string[] {
  if (loc.preferredVersion) return [itemEntryDir(loc), itemEntryDir(loc, versionFolder(loc.version, true))];
  return [itemEntryDir(loc, versionFolder(loc.version, false))];
}

/**
 * Makes a raw tar entry name safe to interpret, or throws `ArchiveUnsafePath`. Accepts one
 * leading `./` (what `tar -C dir .` produces) and a trailing `/` (directory entries).
 */
export function normalizeEntryName(raw: string): string {
  let name = raw;
  if (name.startsWith('./')) name = name.slice(2);
  if (name.endsWith('/')) name = name.slice(0, -1);
  if (name === '') throw unsafePath(raw, 'has an empty path');
  if (name.startsWith('/') || name.startsWith('\\') || DRIVE_LETTER.test(name))
    throw unsafePath(raw, 'is an absolute path');
  if (hasControlChar(name)) throw unsafePath(raw, 'contains control characters');
  const bad = badSegment(name);
  if (bad !== undefined) throw unsafePath(raw, bad);
  return name;
}

const DRIVE_LETTER = /^[A-Za-z]:/;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const DOT = 0x2e;

function unsafePath(raw: string, reason: string): ArchiveError {
  return new ArchiveError(ArchiveErrorCode.UnsafePath, `tar entry ${JSON.stringify(raw)} ${reason}`, { path: raw });
}

/**
 * What is wrong with the first bad segment (split at `/` and `\`), if any. One pass over the
 * characters: a restore checks every entry of its tarball before its first create, and splitting
 * each name into an array cost more than the check.
 */
function badSegment(name: string): string | undefined {
  let start = 0;
  for (let i = 0; i <= name.length; i++) {
    const c = i < name.length ? name.charCodeAt(i) : SLASH;
    if (c !== SLASH && c !== BACKSLASH) continue;
    const length = i - start;
    const dot = name.charCodeAt(start) === DOT;
    if (length === 2 && dot && name.charCodeAt(start + 1) === DOT) return 'contains a ".." segment';
    if (length === 0 || (length === 1 && dot)) return 'contains an empty or "." segment';
    start = i + 1;
  }
  return undefined;
}

function invalid(path: string, reason: string): ArchiveError {
  return new ArchiveError(ArchiveErrorCode.InvalidPath, `tar entry ${JSON.stringify(path)} ${reason}`, { path });
}

function parseVersionDir(dir: string, path: string): { version: string; preferred: boolean } {
  const preferred = dir.endsWith(PREFERRED_VERSION_SUFFIX);
  const version = preferred ? dir.slice(0, -PREFERRED_VERSION_SUFFIX.length) : dir;
  if (version === '') throw invalid(path, 'has an empty version directory');
  return { version, preferred };
}

function parseItemFile(file: string, path: string): string {
  if (!file.endsWith(ITEM_SUFFIX) || file.length === ITEM_SUFFIX.length) {
    throw invalid(path, `does not end in "<name>${ITEM_SUFFIX}"`);
  }
  return file.slice(0, -ITEM_SUFFIX.length);
}

/**
 * Inverse of `itemEntryPath`: reads an item path in Velero's layout (§2.4). Throws
 * `ArchiveUnsafePath` for hostile paths and `ArchiveInvalidPath` for anything that is not an
 * item under `resources/`.
 */
export function parseEntryPath(path: string): ParsedEntryPath {
  return parseNormalizedEntryPath(normalizeEntryName(path), path);
}

/**
 * `parseEntryPath` of a name `normalizeEntryName` has already returned: the archive reader
 * normalizes each entry's name once, for its checks, and parses that. Messages name `path`.
 */
export function parseNormalizedEntryPath(normalized: string, path = normalized): ParsedEntryPath {
  const segments = normalized.split('/');
  if (segments[0] !== RESOURCES_DIR) throw invalid(path, `is not under ${RESOURCES_DIR}/`);
  const gr = segments[1] ?? '';
  if (gr === '') throw invalid(path, 'has no group-resource folder');
  // A version directory can never be called `cluster` or `namespaces` (versions look like
  // v1, v2beta1), so the third segment tells the legacy and the versioned shapes apart.
  let rest = segments.slice(2);
  let versionInfo: { version: string; preferred: boolean } | undefined;
  const third = rest[0];
  if (third !== undefined && third !== CLUSTER_DIR && third !== NAMESPACES_DIR) {
    versionInfo = parseVersionDir(third, path);
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  let file: string | undefined;
  if (rest.length === 2 && rest[0] === CLUSTER_DIR) {
    file = rest[1];
  } else if (rest.length === 3 && rest[0] === NAMESPACES_DIR) {
    namespace = rest[1];
    file = rest[2];
  } else {
    throw invalid(
      path,
      `is not "<group-resource>/[<version>/]cluster/<name>.json" or ".../namespaces/<ns>/<name>.json"`,
    );
  }
  const name = parseItemFile(file ?? '', path);
  const { resource, group } = splitGroupResource(gr);
  const parsed: ParsedEntryPath = { groupResource: gr, resource, group, name, preferred: false };
  if (namespace !== undefined) parsed.namespace = namespace;
  if (versionInfo !== undefined) {
    parsed.version = versionInfo.version;
    parsed.preferred = versionInfo.preferred;
  }
  return parsed;
}
