// E's root is not there when zync-apply runs: moved away, or an unmounted disk that leaves its
// mount point empty. Staged entries would then all look like "E deleted it", and R's new files
// would land on the mount point's file system instead of the disk. show and apply say which root
// is unavailable in one sentence (no stack trace), and nothing is written — the root is not
// re-created either. Once the root is back, the session applies as usual.
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exists } from '../helpers/index.js';
import { syncedPair } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

async function stageNewFile(files: number) {
  const pair = await syncedPair(async (e) => {
    for (let i = 0; i < files; i++) await writeFile(path.join(e, `f${i}.txt`), `${i}\n`);
  });
  await writeFile(path.join(pair.r, 'new.txt'), 'R new\n');
  const staged = await runUpstream(pair.setup);
  expect(staged.code, staged.stderr).toBe(0);
  // As after a reboot with the disk not mounted: the daemon is not running.
  await pair.daemon.stop();
  return { ...pair, stagingId: stagingIdFrom(staged.stdout) };
}

function expectRefused(result: { code: number | string; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/unexpected error|ENOENT/);
}

describe('zync-apply: E’s root is unavailable', () => {
  it('a root moved away: show and apply refuse in one sentence, and the root is not re-created', async () => {
    const { e, daemon, stagingId } = await stageNewFile(3);
    await rename(e, `${e}.away`);
    const missing = /E's root "docs" \(.*\) is missing or not a directory; nothing was changed/;
    expectRefused(await runApply(daemon, ['show', stagingId]), missing);
    expectRefused(await runApply(daemon, ['apply', stagingId, '--non-interactive', '--force']), missing);
    expect(await exists(e)).toBe(false);

    await rename(`${e}.away`, e);
    const applied = await runApply(daemon, ['apply', stagingId, '--non-interactive']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await readFile(path.join(e, 'new.txt'), 'utf8')).toBe('R new\n');
  });

  it('a root emptied (an unmounted disk): nothing of R’s lands on the mount point', async () => {
    const { e, daemon, stagingId } = await stageNewFile(25);
    const disk = `${e}.disk`;
    await rename(e, disk);
    await mkdir(e); // the empty mount point
    const emptied = /E's root "docs" \(.*\) is empty, but 25 entries are recorded for it \(an unmounted disk\?\); nothing was changed/;
    expectRefused(await runApply(daemon, ['show', stagingId]), emptied);
    expectRefused(await runApply(daemon, ['apply', stagingId, '--non-interactive', '--force']), emptied);
    expect(await readdir(e)).toEqual([]);
  });
});
