// Which Node runs Skiff. The CLI's dependencies need Node >= 22.2 (`zlib.crc32`; undici 8 in
// @kubernetes/client-node). An older Node fails deep inside a library with a message that names
// nothing useful, so bin/skiff.mjs checks first and moves to the project's pinned Node 24
// (the `node` devDependency) when the Node that started it is too old.

export const MIN_NODE = [22, 2];

/** True when `version` (as in `process.versions.node`) is older than MIN_NODE. */
export function nodeTooOld(version) {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1]);
}

/** The message for a Node too old and no pinned Node to move to. */
export function nodeTooOldMessage(version, root) {
  return (
    `skiff needs Node.js >= ${MIN_NODE.join('.')}; this is Node ${version}.\n` +
    `Run 'npm ci' in ${root} to install the project's pinned Node 24 (node_modules/.bin/node), ` +
    `which skiff then uses by itself, or put Node 24 first on PATH.`
  );
}
