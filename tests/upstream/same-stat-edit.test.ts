// An edit on R that puts the file's size, mtime and inode back (an edit followed by `touch -r`,
// or `cp -p` of same-sized bytes over it) still goes upstream: the ctime it moved tells it from
// the file R received, where size, mtime and inode alone do not.
import { execFileSync } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, type DaemonHandle } from '../helpers/index.js';
import { syncedPair, type ClientSetup } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

describe('upstream: an edit on R that keeps size, mtime and inode', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    ({ e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'notes.txt'), 'E wrote this line\n');
    }));
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('is staged and applied like any edit', async () => {
    const file = path.join(r, 'notes.txt');
    const before = await stat(file, { bigint: true });
    const reference = path.join(tempDir('zync-ref-'), 'stamp');
    execFileSync('touch', ['-r', file, reference]);
    await writeFile(file, 'R wrote this line\n'); // same length, in place
    execFileSync('touch', ['-r', reference, file]);
    const after = await stat(file, { bigint: true });
    expect([after.size, after.ino, after.mtimeNs]).toEqual([before.size, before.ino, before.mtimeNs]);

    const result = await runUpstream(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 0 conflicts\)/);
    const applied = await runApply(daemon, ['apply', stagingIdFrom(result.stdout), '--non-interactive']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await readFile(path.join(e, 'notes.txt'), 'utf8')).toBe('R wrote this line\n');
  });
});
