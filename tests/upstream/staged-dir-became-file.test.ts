// R replaces a file it received with a directory, stages that, then puts a file back at the
// path before E applies anything. The undo of what the waiting session holds below the path
// (revertOf) and the new file cannot go in one session (the daemon refuses both: PATH_CLASH), so
// --update-upstream holds the file back with one line and exits 0; once the waiting session is
// discarded the file goes alone, and once it is applied R's pull keeps R's file as a conflict copy.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectSameTree } from '../helpers/index.js';
import { conflictCopies, runClientOnce, syncedPair, waitForDaemonToSee } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

async function stagedDirThenFile() {
  const pair = await syncedPair(async (e) => {
    await writeFile(path.join(e, 'u.txt'), 'base\n');
    await writeFile(path.join(e, 'other.txt'), 'other\n');
  });
  await rm(path.join(pair.r, 'u.txt'));
  await mkdir(path.join(pair.r, 'u.txt'));
  await writeFile(path.join(pair.r, 'u.txt', 'inner'), 'R inner\n');
  const first = await runUpstream(pair.setup);
  expect(first.code, first.stderr).toBe(0);
  await rm(path.join(pair.r, 'u.txt'), { recursive: true });
  await writeFile(path.join(pair.r, 'u.txt'), 'R file again\n');
  await writeFile(path.join(pair.r, 'other.txt'), 'R other\n');
  const second = await runUpstream(pair.setup);
  expect(second.code, second.stderr).toBe(0);
  const older = stagingIdFrom(first.stdout);
  expect(second.stdout).toContain(`Not sent: docs/u.txt — R replaced the directory it staged in ${older} with a file`);
  expect(second.stdout).toMatch(/Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 0 conflicts\)/);
  return { ...pair, older, newer: stagingIdFrom(second.stdout) };
}

describe('upstream: a directory R staged and replaced with a file before E applied it', () => {
  it('is held back while the session waits, and goes alone once that session is discarded', async () => {
    const { e, r, daemon, setup, older, newer } = await stagedDirThenFile();
    try {
      expect((await runApply(daemon, ['apply', newer, '--non-interactive'])).code).toBe(0);
      const discarded = await runApply(daemon, ['discard', older, '--non-interactive']);
      expect(discarded.code, discarded.stderr).toBe(0);
      const third = await runUpstream(setup);
      expect(third.code, third.stderr).toBe(0);
      expect(third.stdout).toMatch(/Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 0 conflicts\)/);
      const applied = await runApply(daemon, ['apply', stagingIdFrom(third.stdout), '--non-interactive']);
      expect(applied.code, applied.stderr).toBe(0);
      expect(await readFile(path.join(e, 'u.txt'), 'utf8')).toBe('R file again\n');
      await waitForDaemonToSee(daemon, 'docs', e);
      expect((await runClientOnce(setup)).code).toBe(0);
      await expectSameTree(r, e);
      expect(await conflictCopies(r)).toEqual([]);
    } finally {
      await daemon.stop();
    }
  });

  it("once the waiting session is applied, R pulls E's directory and keeps its file as a conflict copy", async () => {
    const { e, r, daemon, setup, older, newer } = await stagedDirThenFile();
    try {
      for (const id of [newer, older]) {
        const applied = await runApply(daemon, ['apply', id, '--non-interactive']);
        expect(applied.code, applied.stderr).toBe(0);
      }
      expect(await readFile(path.join(e, 'u.txt', 'inner'), 'utf8')).toBe('R inner\n');
      await waitForDaemonToSee(daemon, 'docs', e);
      expect((await runClientOnce(setup)).code).toBe(0);
      await expectSameTree(r, e);
      const copies = await conflictCopies(r);
      expect(copies).toHaveLength(1);
      expect(await readFile(path.join(r, copies[0]!), 'utf8')).toBe('R file again\n');
      const again = await runUpstream(setup);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/^Nothing to send upstream/m);
    } finally {
      await daemon.stop();
    }
  });
});
