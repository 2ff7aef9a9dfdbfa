// R removes a directory while E still has something in it that R does not: zync-apply removes
// what R removed and keeps E's directory ("it still holds files R does not have"). R and E must
// then converge: E's kept directory (and what is in it) comes back to R at the next pull, and
// --update-upstream neither stages the directory back as "undone on R" nor keeps saying the
// applied change "reaches R at its next pull".
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exists, expectSameTree } from '../helpers/index.js';
import { conflictCopies, runClientOnce, syncedPair, waitForDaemonToSee, type SyncedPair } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

/** Pulls, then runs --update-upstream twice: both must find nothing to send. */
async function expectConverged(pair: SyncedPair): Promise<void> {
  const pulled = await runClientOnce(pair.setup);
  expect(pulled.code, pulled.stderr).toBe(0);
  for (let i = 0; i < 2; i++) {
    const again = await runUpstream(pair.setup);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^Nothing to send upstream: no local changes/m);
    expect(again.stdout).not.toContain('next pull');
    expect(again.stdout).not.toContain('undone on R');
  }
  expect(await conflictCopies(pair.r)).toEqual([]);
}

/** R removes docs/d (and d/sub) and stages that; `onE` changes E first. Applied without --force. */
async function removeOnRAndApply(pair: SyncedPair, onE?: () => Promise<void>): Promise<string> {
  await rm(path.join(pair.r, 'd'), { recursive: true });
  if (onE) {
    await onE();
    await waitForDaemonToSee(pair.daemon, 'docs', pair.e);
  }
  const staged = await runUpstream(pair.setup);
  expect(staged.code, staged.stderr).toBe(0);
  const applied = await runApply(pair.daemon, ['apply', stagingIdFrom(staged.stdout), '--non-interactive']);
  expect(applied.code, applied.stderr).toBe(0);
  return applied.stdout;
}

const prepare = async (e: string) => {
  await mkdir(path.join(e, 'd/sub'), { recursive: true });
  await writeFile(path.join(e, 'd/a.txt'), 'a\n');
  await writeFile(path.join(e, 'd/sub/b.txt'), 'b\n');
  await writeFile(path.join(e, 'top.txt'), 'top\n');
};

describe('upstream: E keeps a directory R removed', () => {
  it('E added a file in it that R had not pulled: the directory and the file come back to R', async () => {
    const pair = await syncedPair(prepare);
    try {
      const applied = await removeOnRAndApply(pair, () => writeFile(path.join(pair.e, 'd/sub/new.txt'), 'E added this\n'));
      expect(applied).toContain("Kept E's directory docs/d (R removed it)");
      expect(applied).toContain("Kept E's directory docs/d/sub (R removed it)");
      expect(await exists(path.join(pair.e, 'd/a.txt'))).toBe(false);
      expect(await exists(path.join(pair.e, 'd/sub/b.txt'))).toBe(false);
      await expectConverged(pair);
      expect(await readFile(path.join(pair.r, 'd/sub/new.txt'), 'utf8')).toBe('E added this\n');
      await expectSameTree(pair.r, pair.e);
    } finally {
      await pair.daemon.stop();
    }
  });

  it('E keeps only files zync ignores in it: R gets the directory back, empty', async () => {
    const pair = await syncedPair(async (e) => {
      await prepare(e);
      await mkdir(path.join(e, 'd/.git'));
      await writeFile(path.join(e, 'd/.git/HEAD'), 'ref: refs/heads/main\n');
    });
    try {
      const applied = await removeOnRAndApply(pair);
      expect(applied).toContain("Kept E's directory docs/d (R removed it)");
      expect(await exists(path.join(pair.e, 'd/a.txt'))).toBe(false);
      expect(await exists(path.join(pair.e, 'd/sub'))).toBe(false);
      await expectConverged(pair);
      expect((await stat(path.join(pair.r, 'd'))).isDirectory()).toBe(true);
      expect(await exists(path.join(pair.r, 'd/sub'))).toBe(false);
      expect(await exists(path.join(pair.r, 'd/a.txt'))).toBe(false);
      expect(await exists(path.join(pair.r, 'd/.git'))).toBe(false);
    } finally {
      await pair.daemon.stop();
    }
  });
});
