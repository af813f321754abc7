/**
 * `npm run build`: bundles the CLI into dist/skiff.mjs (and the chunks it loads from
 * dist/chunks/), which bin/skiff.mjs runs while it is up to date.
 * Run: node --import tsx scripts/build.ts
 * Why a bundle: through tsx a process sits at ~205 MiB RSS before doing anything (tsx's source
 * maps, and @kubernetes/client-node loading every generated model) and the CLI takes ~2 s to
 * start; the bundle starts at about half that memory and in a fraction of the time.
 * The benchmarks bundle their run files with `bundle` too, so they measure the code users run.
 */
import { rmSync, utimesSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';

const root = join(import.meta.dirname, '..');

/** Where `npm run build` writes the CLI; bin/skiff.mjs looks for it here. */
export const CLI_BUNDLE = join(root, 'dist', 'skiff.mjs');

// Bundled CommonJS dependencies still call require(), which an ES module does not have.
const REQUIRE_BANNER = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

/**
 * client-node's KubeConfig (dist/config.js) imports the generated client's index for two names,
 * and that index evaluates every generated API class and model (~1,000 classes): about 30 MiB of
 * every process's memory for code Skiff never runs (it sends raw JSON; src/kube/client.ts). In the
 * bundle that import is answered by the two modules that define those names. Should a later
 * client-node import more names there, the build fails naming them, rather than run without them.
 */
const kubeConfigWithoutModels: Plugin = {
  name: 'kubeconfig-without-generated-models',
  setup(b) {
    b.onResolve({ filter: /^\.\/gen\/index\.js$/ }, (args) =>
      /@kubernetes\/client-node\/dist\/config\.js$/.test(args.importer)
        ? { path: args.importer, namespace: 'kubeconfig-gen' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'kubeconfig-gen' }, (args) => ({
      contents: [
        "export { createConfiguration } from './gen/configuration.js';",
        "export { ServerConfiguration } from './gen/servers.js';",
      ].join('\n'),
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * An ES module's `import ... from 'node:http'` gets Node's ES facade of the built-in, which reads
 * every export once, and `http`'s lazy exports (WebSocket, EventSource) load Node's internal copy
 * of undici with http2, zlib, assert and readline: +5.7 MiB of RSS for `STATUS_CODES`. In the
 * bundle such imports go through `require` (the banner's), whose exports stay lazy, as in CommonJS.
 */
const builtinsThroughRequire: Plugin = {
  name: 'builtins-through-require',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (args.kind !== 'import-statement' || !builtinModules.includes(name)) return undefined;
      return { path: name, namespace: 'builtin-through-require' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin-through-require' }, (args) => ({
      contents: `module.exports = require('node:${args.path}');`,
      loader: 'js',
    }));
  },
};

/**
 * client-node's KubeConfig imports undici's Agent and ProxyAgent at its top (and the generated
 * client's configuration, which it loads, undici's fetch), so every process that reads a
 * kubeconfig would evaluate undici (1.5 MB of JavaScript, ~4 MiB of RSS with what it loads) even
 * where no request goes through it: `skiff node-agent` talks over `node:https`
 * (src/kube/https-transport.ts). In the bundle those names load undici on first use.
 */
const kubeConfigLazyUndici: Plugin = {
  name: 'kubeconfig-lazy-undici',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) =>
      /@kubernetes\/client-node\/dist\/(config|gen\/http\/isomorphic-fetch)\.js$/.test(args.importer)
        ? { path: 'undici', namespace: 'kubeconfig-lazy-undici' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'kubeconfig-lazy-undici' }, () => ({
      contents: [
        "const load = () => require('undici');",
        'class Agent { constructor(options) { return new (load().Agent)(options); } }',
        'class ProxyAgent { constructor(options) { return new (load().ProxyAgent)(options); } }',
        'const fetch = (...args) => load().fetch(...args);',
        'module.exports = { Agent, ProxyAgent, fetch };',
      ].join('\n'),
      resolveDir: root,
      loader: 'js',
    }));
  },
};

const COMMON: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  banner: { js: REQUIRE_BANNER },
  // A separate file that only `node --enable-source-maps` reads: parsing it on every start
  // would cost much of the memory and time the bundle saves.
  sourcemap: 'linked',
  // Whitespace and comments only; names stay as written, for readable stack traces. V8 keeps
  // each loaded file's source in memory, twice its size when one character in it is beyond
  // Latin-1, as a few comments in the dependencies are: the node agent's idle RSS 80 -> 77 MiB.
  minifyWhitespace: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [kubeConfigWithoutModels, kubeConfigLazyUndici, builtinsThroughRequire],
};

/** Bundles `entry` and everything it imports (node_modules included) into one ES module. */
export async function bundle(entry: string, outfile: string): Promise<void> {
  // Stamped on the output afterwards: a source edited while esbuild ran then counts as newer
  // than the bundle, so bin/skiff.mjs does not take the bundle for up to date.
  const started = new Date();
  await build({ ...COMMON, entryPoints: [entry], outfile });
  utimesSync(outfile, started, started);
}

/** Where the CLI bundle's chunks go; emptied on each build, as their names change with their content. */
const CHUNKS = join(dirname(CLI_BUNDLE), 'chunks');

/**
 * Bundles the CLI (src/cli/main.ts) into CLI_BUNDLE, split into chunks: main.ts imports the
 * command tree it needs on demand, and `skiff node-agent` then loads only the code of its own
 * (src/cli/node-agent/program.ts), not the rest of the CLI.
 */
export async function buildCli(): Promise<void> {
  const started = new Date();
  rmSync(CHUNKS, { recursive: true, force: true });
  await build({
    ...COMMON,
    entryPoints: { [CLI_BUNDLE.replace(/^.*\/|\.mjs$/g, '')]: join(root, 'src', 'cli', 'main.ts') },
    outdir: dirname(CLI_BUNDLE),
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  });
  utimesSync(CLI_BUNDLE, started, started);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const start = performance.now();
  await buildCli();
  console.log(`built ${relative(process.cwd(), CLI_BUNDLE)} in ${((performance.now() - start) / 1000).toFixed(1)} s`);
}
