#!/usr/bin/env node
// Bundles zync-client (packages/client/dist/main.js, as tsc built it) into one file beside it,
// dist/zync-client.mjs, which the binary runs. Every `--once` run pays the client's start-up,
// and resolving and loading ~270 module files took ~0.45 s of it; one file loads in ~0.2 s.
// Native modules stay outside (they load their .node files relative to themselves), and so does
// heap-tuning.js, which the binary loads first and the bundle must share, not copy. yargs is
// outside too: common's loadYargs requires its CommonJS build at run time (resolved from here).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../packages/client/dist/', import.meta.url));

await build({
  entryPoints: [`${dist}main.js`],
  outfile: `${dist}zync-client.mjs`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'bufferutil', 'utf-8-validate', './heap-tuning.js'],
  // Bundled CommonJS modules (yargs' helpers, pino) call require for built-ins.
  banner: { js: "import { createRequire as zyncCreateRequire } from 'node:module'; const require = zyncCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
