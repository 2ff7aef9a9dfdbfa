// R sends a file upstream, changes it again and sends that too, before E applies the first
// session. E applying an older session is still R's own edit coming back: R's pull records it
// as received and keeps what R holds now (staged in the later session), with no conflict copy.
// Only content R never staged is E's own change, and a conflict for R's pending edit.
import { readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exists, expectSameTree } from '../helpers/index.js';
import { conflictCopies, runClientOnce, syncedPair, waitForDaemonToSee, type SyncedPair } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

async function pairWithBase(): Promise<SyncedPair> {
  return syncedPair(async (e) => {
    await writeFile(path.join(e, 'f.txt'), 'base\n');
    // A root R emptied is taken for an unmounted disk, not for deletions.
    await writeFile(path.join(e, 'keep.txt'), 'keep\n');
  });
}

/** Does `change` on R and sends it upstream as a session of its own: its staging id. */
async function stage({ setup }: SyncedPair, change: () => Promise<void>): Promise<string> {
  await change();
  const staged = await runUpstream(setup);
  expect(staged.code, staged.stderr).toBe(0);
  return stagingIdFrom(staged.stdout);
}

/** Applies a session on E and pulls it on R, as a running client would. */
async function applyAndPull({ e, daemon, setup }: SyncedPair, stagingId: string): Promise<string> {
  const applied = await runApply(daemon, ['apply', stagingId, '--non-interactive']);
  expect(applied.code, applied.stderr).toBe(0);
  await waitForDaemonToSee(daemon, 'docs', e);
  const pulled = await runClientOnce(setup);
  expect(pulled.code, pulled.stderr).toBe(0);
  return pulled.stderr;
}

describe('upstream: R staged a file in several sessions, and E applies the older first', () => {
  it('R edited it twice: the pull of the first keeps R\'s second edit without a conflict, and the second converges', async () => {
    const pair = await pairWithBase();
    const { e, r, daemon, setup } = pair;
    const file = path.join(r, 'f.txt');
    try {
      const first = await stage(pair, () => writeFile(file, 'A from R\n'));
      const second = await stage(pair, () => writeFile(file, 'B from R, later\n'));
      const log = await applyAndPull(pair, first);
      expect(await readFile(path.join(e, 'f.txt'), 'utf8')).toBe('A from R\n');
      expect(await readFile(file, 'utf8')).toBe('B from R, later\n');
      expect(await conflictCopies(r)).toEqual([]);
      expect(log).not.toContain('E modified it');
      // Not "goes upstream next time": the second session holds it already.
      expect(log).toContain(`E applied R's staged edit of docs/f.txt; R's version since stays and is staged on E in ${second}, waiting for zync-apply`);
      await applyAndPull(pair, second);
      await expectSameTree(r, e);
      expect(await readFile(file, 'utf8')).toBe('B from R, later\n');
      expect(await conflictCopies(r)).toEqual([]);
    } finally {
      await daemon.stop();
    }
  });

  it('R made the file, deleted it and made it again, a session each: E applying them in turn ends with R\'s last', async () => {
    const pair = await pairWithBase();
    const { e, r, daemon } = pair;
    const file = path.join(r, 'new.txt');
    try {
      const sessions = [
        await stage(pair, () => writeFile(file, 'M1 from R\n')),
        await stage(pair, () => rm(file)),
        await stage(pair, () => writeFile(file, 'M2 from R, newest\n')),
      ];
      for (const id of sessions) {
        await applyAndPull(pair, id);
        expect(await readFile(file, 'utf8')).toBe('M2 from R, newest\n');
        expect(await conflictCopies(r)).toEqual([]);
      }
      await expectSameTree(r, e);
      expect(await exists(path.join(e, 'new.txt'))).toBe(true);
    } finally {
      await daemon.stop();
    }
  });

  it('E\'s own edit while R\'s two sessions wait is a conflict: R\'s latest edit is kept as a copy', async () => {
    const pair = await pairWithBase();
    const { e, r, daemon, setup } = pair;
    const file = path.join(r, 'f.txt');
    try {
      await stage(pair, () => writeFile(file, 'A from R\n'));
      await stage(pair, () => writeFile(file, 'B from R, later\n'));
      await writeFile(path.join(e, 'f.txt'), 'E\'s own\n');
      await waitForDaemonToSee(daemon, 'docs', e);
      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(await readFile(file, 'utf8')).toBe('E\'s own\n');
      const copies = await conflictCopies(r);
      expect(copies).toHaveLength(1);
      expect(await readFile(path.join(r, copies[0]!), 'utf8')).toBe('B from R, later\n');
      expect(pulled.stderr).toContain('conflict: docs/f.txt was edited on R and E modified it');
    } finally {
      await daemon.stop();
    }
  });
});
