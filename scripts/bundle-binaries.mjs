#!/usr/bin/env node
// Bundles each binary's entry (packages/<name>/dist/main.js, as tsc built it) into one file beside
// it, dist/zync-<name>.mjs, which the binary runs. Every run pays its binary's start-up (each
// `zync-apply list`, each `--once`), and resolving and loading a few hundred module files took
// most of it; one file loads in a fraction of the time.
// Native modules stay outside (they load their .node files relative to themselves), and so does
// the client's heap-tuning.js, which its binary loads first and the bundle must share, not copy.
// chokidar stays outside as well: tests/daemon/startup-window.test.ts's preload patches the
// daemon's own chokidar module, which a copy inside the bundle would not be.
// yargs is outside too: common's loadYargs requires its CommonJS build at run time. Worker files
// (the client's temp-writer-worker.js) are not bundled: they run from dist as tsc built them.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';

const packages = fileURLToPath(new URL('../packages/', import.meta.url));

const BINARIES = [
  { name: 'daemon', external: [] },
  { name: 'client', external: ['./heap-tuning.js'] },
  { name: 'apply', external: [] },
];

/**
 * import.meta.url in a bundled module of ours means that module's own file, as it does unbundled:
 * paths built from it (the daemon's and the client's SQL migrations, the client's worker file,
 * where yargs is required from) then hold in every bundle, whichever package's dist it lands in.
 */
function ownModuleUrls(outdir) {
  return {
    name: 'own-module-urls',
    setup(build) {
      build.onLoad({ filter: /\/packages\/[^/]+\/dist\/.*\.js$/ }, async (args) => {
        const contents = await readFile(args.path, 'utf8');
        if (!contents.includes('import.meta.url')) return undefined;
        const relative = nodePath.relative(outdir, args.path).split(nodePath.sep).join('/');
        const specifier = relative.startsWith('.') ? relative : `./${relative}`;
        const ownUrl = `new URL(${JSON.stringify(specifier)}, import.meta.url).href`;
        return { contents: contents.replaceAll('import.meta.url', ownUrl), loader: 'js', resolveDir: nodePath.dirname(args.path) };
      });
    },
  };
}

for (const binary of BINARIES) {
  const dist = nodePath.join(packages, binary.name, 'dist');
  await build({
    entryPoints: [nodePath.join(dist, 'main.js')],
    outfile: nodePath.join(dist, `zync-${binary.name}.mjs`),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['better-sqlite3', 'bufferutil', 'utf-8-validate', 'chokidar', ...binary.external],
    plugins: [ownModuleUrls(dist)],
    // Bundled CommonJS modules (yargs' helpers, pino) call require for built-ins.
    banner: { js: "import { createRequire as zyncCreateRequire } from 'node:module'; const require = zyncCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}
