// scripts/quickstart.sh, the README's first command, with npm, npx and pnpm replaced by stubs
// that log how they were called: which pnpm it runs when the pinned one is missing, and whether a
// global install npm refuses (a system-wide Node, a user without root) stops the quick start.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/files.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const pinned = (JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { packageManager: string }).packageManager.split('@')[1]!;

function runQuickstart(globalInstall: 'allowed' | 'refused'): { status: number | null; calls: string[]; stderr: string } {
  const dir = tempDir('zync-quickstart-');
  const clone = path.join(dir, 'clone');
  const bin = path.join(dir, 'bin');
  const log = path.join(dir, 'calls.log');
  mkdirSync(path.join(clone, 'scripts'), { recursive: true });
  mkdirSync(bin);
  copyFileSync(path.join(repo, 'scripts/quickstart.sh'), path.join(clone, 'scripts/quickstart.sh'));
  writeFileSync(path.join(clone, 'package.json'), JSON.stringify({ packageManager: `pnpm@${pinned}` }));
  writeFileSync(path.join(clone, 'scripts/demo.mjs'), `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(log)}, 'demo ' + process.argv.slice(2).join(' ') + '\\n');\n`);
  const stub = (name: string, body: string) => {
    writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> ${JSON.stringify(log)}\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  // Another pnpm than the pinned one is on PATH, so the script must look for the pinned one.
  stub('pnpm', '[ "$1" = --version ] && echo 1.0.0; exit 0');
  stub('npm', globalInstall === 'allowed' ? 'exit 0' : 'echo "npm error code EACCES" >&2; exit 243');
  stub('npx', 'exit 0');
  const result = spawnSync('bash', [path.join(clone, 'scripts/quickstart.sh'), '--check'], {
    env: { ...process.env, PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin` },
    encoding: 'utf8',
  });
  const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter((line) => line !== 'pnpm --version') : [];
  return { status: result.status, calls, stderr: result.stderr };
}

describe('npm run quickstart', () => {
  it('installs the pinned pnpm globally and uses it where npm may do so', () => {
    const { status, calls } = runQuickstart('allowed');
    expect(calls).toEqual([`npm install -g pnpm@${pinned}`, 'pnpm install --frozen-lockfile', 'pnpm build', 'demo --check']);
    expect(status).toBe(0);
  });

  it('runs the pinned pnpm through npx when npm may not install globally (no root)', () => {
    const { status, calls, stderr } = runQuickstart('refused');
    expect({ status, calls, stderr }).toMatchObject({
      status: 0,
      calls: [`npm install -g pnpm@${pinned}`, `npx --yes pnpm@${pinned} install --frozen-lockfile`, `npx --yes pnpm@${pinned} build`, 'demo --check'],
    });
  });
});
