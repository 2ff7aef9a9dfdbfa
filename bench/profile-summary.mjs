#!/usr/bin/env node
// Summarises V8 .cpuprofile files (from `pnpm bench --cpu-prof DIR`): per file, the wall span,
// the share of idle time, and the top functions and source files by self time, so one can see
// where a slow workload spends its CPU. Read-only; node built-ins only.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const TOP = Number(process.env.TOP ?? 25);
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile...');
  process.exit(2);
}

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byFunction = new Map();
  const byFile = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id).callFrame;
    total += us;
    if (frame.functionName === '(idle)') idle += us;
    const where = shortUrl(frame.url);
    const fn = `${frame.functionName || '(anonymous)'} ${where}${where ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    const key = where || frame.functionName;
    byFile.set(key, (byFile.get(key) ?? 0) + us);
  }
  const span = (profile.endTime - profile.startTime) / 1e6;
  console.log(`\n== ${path.basename(file)}: ${span.toFixed(2)} s profiled, ${((100 * idle) / total).toFixed(0)}% idle`);
  print('self time by function', byFunction, total);
  print('self time by file', byFile, total);
}

function print(title, map, total) {
  console.log(`-- ${title}`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`);
  }
}

function shortUrl(url) {
  if (!url) return '';
  const clean = url.replace(/^file:\/\//, '');
  const pkg = /\/packages\/([^/]+)\/(?:dist|src)\/(.*)$/.exec(clean);
  if (pkg) return `${pkg[1]}/${pkg[2]}`;
  const mod = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(clean);
  if (mod) return `${mod[1]}/${mod[2]}`;
  return clean.startsWith('node:') ? clean : path.basename(clean);
}
