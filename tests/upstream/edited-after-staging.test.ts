// R stages an edit, then changes the file again (edits it, deletes it, makes it executable, or
// leaves it) before E applies the session. E's applied change is R's own edit coming back: R's next pull records it
// as received and leaves what R holds now in place, with no conflict copy and no word of E
// editing anything; R's later change goes upstream next, against E's applied content, with no
// conflict. Only where E changed the file again after applying is it a conflict for R's later edit.
import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exists, expectSameTree } from '../helpers/index.js';
import { conflictCopies, runClientOnce, syncedPair, waitForDaemonToSee, type SyncedPair } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

/** R sends `sent` for f.txt (undefined: its deletion), then does `after` on R; E applies the session. */
async function stagedThenChangedOnR(sent: string | undefined, after: (file: string, pair: SyncedPair) => Promise<void>): Promise<SyncedPair> {
  const pair = await syncedPair(async (e) => {
    await writeFile(path.join(e, 'f.txt'), 'base\n');
    // A root R emptied is taken for an unmounted disk, not for deletions.
    await writeFile(path.join(e, 'keep.txt'), 'keep\n');
  });
  const file = path.join(pair.r, 'f.txt');
  if (sent === undefined) await rm(file);
  else await writeFile(file, sent);
  const staged = await runUpstream(pair.setup);
  expect(staged.code, staged.stderr).toBe(0);
  await after(file, pair);
  const applied = await runApply(pair.daemon, ['apply', stagingIdFrom(staged.stdout), '--non-interactive']);
  expect(applied.code, applied.stderr).toBe(0);
  await waitForDaemonToSee(pair.daemon, 'docs', pair.e);
  return pair;
}

/** Sends R's pending change, applies it on E, pulls: both sides end as R was, with nothing left to send. */
async function sendAndConverge({ e, r, daemon, setup }: SyncedPair, summary: string): Promise<void> {
  const sent = await runUpstream(setup);
  expect(sent.code, sent.stderr).toBe(0);
  expect(sent.stdout).toMatch(new RegExp(`Staged 1 change upstream as session \\S+ \\(${summary}; 0 conflicts\\)`));
  const applied = await runApply(daemon, ['apply', stagingIdFrom(sent.stdout), '--non-interactive']);
  expect(applied.code, applied.stderr).toBe(0);
  await waitForDaemonToSee(daemon, 'docs', e);
  const pulled = await runClientOnce(setup);
  expect(pulled.code, pulled.stderr).toBe(0);
  await expectSameTree(r, e);
  expect(await conflictCopies(r)).toEqual([]);
  const again = await runUpstream(setup);
  expect(again.stdout).toMatch(/^Nothing to send upstream: no local changes/m);
}

describe('upstream: R changed a file again after staging it, and E applied the staged edit', () => {
  it('R edited it again: the pull keeps R\'s later edit without a conflict, and it goes upstream next', async () => {
    const pair = await stagedThenChangedOnR('v1 from R\n', (file) => writeFile(file, 'v2 from R, longer\n'));
    const { e, r, daemon, setup } = pair;
    try {
      expect(await readFile(path.join(e, 'f.txt'), 'utf8')).toBe('v1 from R\n');
      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(await readFile(path.join(r, 'f.txt'), 'utf8')).toBe('v2 from R, longer\n');
      expect(await conflictCopies(r)).toEqual([]);
      expect(pulled.stderr).not.toContain('E modified it');
      expect(pulled.stderr).toContain("E applied R's staged edit of docs/f.txt; R's version since stays and goes upstream next time");
      await sendAndConverge(pair, '0 added, 1 modified, 0 deleted');
      expect(await readFile(path.join(e, 'f.txt'), 'utf8')).toBe('v2 from R, longer\n');
    } finally {
      await daemon.stop();
    }
  });

  it('R deleted it: the pull does not bring the applied edit back, and the deletion goes upstream next', async () => {
    const pair = await stagedThenChangedOnR('v1 from R\n', (file) => rm(file));
    const { e, r, daemon, setup } = pair;
    try {
      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(await exists(path.join(r, 'f.txt'))).toBe(false);
      expect(await conflictCopies(r)).toEqual([]);
      await sendAndConverge(pair, '0 added, 0 modified, 1 deleted');
      expect(await exists(path.join(e, 'f.txt'))).toBe(false);
    } finally {
      await daemon.stop();
    }
  });

  it('R made the file it had staged the deletion of again: the pull leaves it, and it goes upstream as new', async () => {
    const pair = await stagedThenChangedOnR(undefined, (file) => writeFile(file, 'made again on R\n'));
    const { e, r, daemon, setup } = pair;
    try {
      expect(await exists(path.join(e, 'f.txt'))).toBe(false);
      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(await readFile(path.join(r, 'f.txt'), 'utf8')).toBe('made again on R\n');
      expect(await conflictCopies(r)).toEqual([]);
      await sendAndConverge(pair, '1 added, 0 modified, 0 deleted');
    } finally {
      await daemon.stop();
    }
  });

  it('R made it executable since: the pull leaves R\'s permission bits, and the chmod goes upstream next', async () => {
    const pair = await stagedThenChangedOnR('v1 from R\n', (file) => chmod(file, 0o755));
    const { e, r, daemon, setup } = pair;
    try {
      expect((await stat(path.join(e, 'f.txt'))).mode & 0o777).toBe(0o644);
      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect((await stat(path.join(r, 'f.txt'))).mode & 0o777).toBe(0o755);
      expect(await conflictCopies(r)).toEqual([]);
      await sendAndConverge(pair, '0 added, 1 modified, 0 deleted');
      expect((await stat(path.join(e, 'f.txt'))).mode & 0o777).toBe(0o755);
    } finally {
      await daemon.stop();
    }
  });

  it("E made it executable before applying, and R edited it again: R's later edit takes E's bits, and both go back to E", async () => {
    const pair = await stagedThenChangedOnR('v1 from R\n', async (file, { e }) => {
      await chmod(path.join(e, 'f.txt'), 0o755);
      await writeFile(file, 'v2 from R, longer\n');
    });
    const { e, r, daemon, setup } = pair;
    try {
      expect((await stat(path.join(e, 'f.txt'))).mode & 0o777).toBe(0o755);
      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(await readFile(path.join(r, 'f.txt'), 'utf8')).toBe('v2 from R, longer\n');
      expect((await stat(path.join(r, 'f.txt'))).mode & 0o777).toBe(0o755);
      expect(await conflictCopies(r)).toEqual([]);
      await sendAndConverge(pair, '0 added, 1 modified, 0 deleted');
      expect((await stat(path.join(e, 'f.txt'))).mode & 0o777).toBe(0o755);
    } finally {
      await daemon.stop();
    }
  });

  it('R left it as sent: the pull only records it (no download), and nothing is left to send', async () => {
    const { e, r, daemon, setup } = await stagedThenChangedOnR('v1 from R\n', async () => {});
    try {
      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(pulled.stderr).toMatch(/pull: 0 file\(s\) downloaded .* 0 conflict\(s\)/);
      await expectSameTree(r, e);
      const again = await runUpstream(setup);
      expect(again.stdout).toMatch(/^Nothing to send upstream: no local changes/m);
    } finally {
      await daemon.stop();
    }
  });

  it('E changed it again after applying: R\'s later edit is a conflict with E\'s change, kept as a copy', async () => {
    const { e, r, daemon, setup } = await stagedThenChangedOnR('v1 from R\n', (file) => writeFile(file, 'v2 from R, longer\n'));
    try {
      await writeFile(path.join(e, 'f.txt'), 'v3 from E\n');
      await waitForDaemonToSee(daemon, 'docs', e);
      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(await readFile(path.join(r, 'f.txt'), 'utf8')).toBe('v3 from E\n');
      const copies = await conflictCopies(r);
      expect(copies).toHaveLength(1);
      expect(await readFile(path.join(r, copies[0]!), 'utf8')).toBe('v2 from R, longer\n');
      expect(pulled.stderr).toContain('conflict: docs/f.txt was edited on R and E modified it');
    } finally {
      await daemon.stop();
    }
  });
});
