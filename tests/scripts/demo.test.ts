// scripts/demo.mjs (npm run demo, the end of npm run quickstart), run in a stand-in clone whose
// packages are the real ones: each run deletes .demo/, and says so where the user looks for the
// folders, at the end.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/files.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run demo', () => {
  it('says at the end that the next run deletes .demo/, as this one did', () => {
    const clone = tempDir('zync-demo-');
    mkdirSync(path.join(clone, 'scripts'));
    copyFileSync(path.join(repo, 'scripts/demo.mjs'), path.join(clone, 'scripts/demo.mjs'));
    symlinkSync(path.join(repo, 'packages'), path.join(clone, 'packages'));
    const mine = path.join(clone, '.demo', 'E', 'sample', 'mine.txt');
    mkdirSync(path.dirname(mine), { recursive: true });
    writeFileSync(mine, 'a file of the user\n');

    const result = spawnSync(process.execPath, [path.join(clone, 'scripts/demo.mjs'), '--check'], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(existsSync(mine)).toBe(false);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('Starting afresh in .demo/ (removed and made again)…');
    expect(lines.at(-1)).toBe('Stopped both. The demo folders are in .demo/. The next run of the demo deletes .demo/ and starts afresh: keep nothing of yours there.');
  });
});
