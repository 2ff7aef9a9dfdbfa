// R stages a new file, E applies it, and E's user deletes it before R pulls. R's next pull sees
// only the deletion (its page collapses E's add and delete), for a file R never received: the
// outcome must still be the one a pull in between would give — R's copy goes, as long as it
// holds exactly what R sent — and --update-upstream must neither stage the file's removal back
// to E nor keep saying the applied change "reaches R at its next pull". An edit R made to the
// file after staging it is R's: it stays and goes upstream as a new file.
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, exists, expectSameTree, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { conflictCopies, runClientOnce, stateDb, syncedPair, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

/** The log's entries for a path, as a client reading it from the start would get them. */
async function loggedOperations(daemon: DaemonHandle, file: string): Promise<string[]> {
  const client = await connect(daemon.url, daemon.token);
  try {
    await client.request('HELLO', { client_id: 'log-probe', protocol: 2 });
    const page = await client.request('GET_CHANGES', { since_sequence: 0, limit: 5000 });
    return (page.changes as { path: string; operation: string }[]).filter((c) => c.path === file).map((c) => c.operation);
  } finally {
    await client.close();
  }
}

/** syncedPair, with a daemon that compacts the log every ~0.6 s (tombstones kept). */
async function compactingPair() {
  const e = tempDir('zync-e-');
  const r = tempDir('zync-r-');
  await writeFile(path.join(e, 'keep.txt'), 'base\n');
  const daemon = await startDaemon({ dirs: { docs: e }, db: stateDb(), args: ['--compact-interval', '0.01'] });
  const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
  await waitForDaemonToSee(daemon, 'docs', e);
  const first = await runClientOnce(setup);
  expect(first.code, first.stderr).toBe(0);
  return { e, r, daemon, setup };
}

async function appliedThenDeletedOnE(options: { pullBetween: boolean; compacting?: boolean }) {
  const pair = options.compacting
    ? await compactingPair()
    : await syncedPair(async (e) => {
        await writeFile(path.join(e, 'keep.txt'), 'base\n');
      });
  await writeFile(path.join(pair.r, 'new.txt'), 'R made this\n');
  const staged = await runUpstream(pair.setup);
  expect(staged.code, staged.stderr).toBe(0);
  const applied = await runApply(pair.daemon, ['apply', stagingIdFrom(staged.stdout), '--non-interactive']);
  expect(applied.code, applied.stderr).toBe(0);
  expect(await readFile(path.join(pair.e, 'new.txt'), 'utf8')).toBe('R made this\n');
  await waitForDaemonToSee(pair.daemon, 'docs', pair.e);
  if (options.pullBetween) {
    const pulled = await runClientOnce(pair.setup);
    expect(pulled.code, pulled.stderr).toBe(0);
  }
  await rm(path.join(pair.e, 'new.txt'));
  await waitForDaemonToSee(pair.daemon, 'docs', pair.e);
  return pair;
}

describe('upstream: a file E applied from R and then deleted', () => {
  it.each([
    ['before R pulled', false],
    ['after R pulled it', true],
  ])('deleted on E %s: R converges to E and sends nothing back', async (_name, pullBetween) => {
    const { e, r, daemon, setup } = await appliedThenDeletedOnE({ pullBetween });
    try {
      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(await exists(path.join(r, 'new.txt'))).toBe(false);
      await expectSameTree(r, e);
      expect(await conflictCopies(r)).toEqual([]);
      for (let i = 0; i < 2; i++) {
        const again = await runUpstream(setup);
        expect(again.code, again.stderr).toBe(0);
        expect(again.stdout).toMatch(/^Nothing to send upstream: no local changes/m);
        expect(again.stdout).not.toContain('next pull');
      }
    } finally {
      await daemon.stop();
    }
  });

  it('the log compacted away E\'s apply before R pulled: the deletion alone still removes R\'s copy', async () => {
    const { e, r, daemon, setup } = await appliedThenDeletedOnE({ pullBetween: false, compacting: true });
    try {
      // Only the deletion is left for new.txt: it names the content it removed.
      await waitFor(async () => (await loggedOperations(daemon, 'new.txt')).join() === 'delete', { timeoutMs: 30_000, intervalMs: 200, what: 'the add of new.txt compacted away' });
      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(await exists(path.join(r, 'new.txt'))).toBe(false);
      await expectSameTree(r, e);
      const again = await runUpstream(setup);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/^Nothing to send upstream: no local changes/m);
    } finally {
      await daemon.stop();
    }
  });

  it('R edited the file after staging it: the edit stays and goes upstream as a new file', async () => {
    const { e, r, daemon, setup } = await appliedThenDeletedOnE({ pullBetween: false });
    try {
      await writeFile(path.join(r, 'new.txt'), 'R edited this after staging\n');
      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(await readFile(path.join(r, 'new.txt'), 'utf8')).toBe('R edited this after staging\n');
      expect(await exists(path.join(e, 'new.txt'))).toBe(false);

      const sent = await runUpstream(setup);
      expect(sent.code, sent.stderr).toBe(0);
      expect(sent.stdout).toMatch(/Staged 1 change upstream as session \S+ \(1 added, 0 modified, 0 deleted; 0 conflicts\)/);
      const applied = await runApply(daemon, ['apply', stagingIdFrom(sent.stdout), '--non-interactive']);
      expect(applied.code, applied.stderr).toBe(0);
      expect(await readFile(path.join(e, 'new.txt'), 'utf8')).toBe('R edited this after staging\n');
      await waitForDaemonToSee(daemon, 'docs', e);
      const back = await runClientOnce(setup);
      expect(back.code, back.stderr).toBe(0);
      await expectSameTree(r, e);
      expect(await conflictCopies(r)).toEqual([]);
      const again = await runUpstream(setup);
      expect(again.stdout).toMatch(/^Nothing to send upstream: no local changes/m);
    } finally {
      await daemon.stop();
    }
  });
});

// The same for a directory R made: its staged record must be forgotten once the pull sees E make
// the directory, or --update-upstream stages R's "undo" of a removal E already made (and says R
// undid it), or, where R keeps the directory, says "reaches R at its next pull" for ever.
describe('upstream: a directory E applied from R and then removed', () => {
  async function dirAppliedThenRemovedOnE(fill: (r: string) => Promise<void>) {
    const pair = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'keep.txt'), 'base\n');
    });
    await mkdir(path.join(pair.r, 'made', 'sub'), { recursive: true });
    await fill(pair.r);
    const staged = await runUpstream(pair.setup);
    expect(staged.code, staged.stderr).toBe(0);
    const applied = await runApply(pair.daemon, ['apply', stagingIdFrom(staged.stdout), '--non-interactive']);
    expect(applied.code, applied.stderr).toBe(0);
    await waitForDaemonToSee(pair.daemon, 'docs', pair.e);
    await rm(path.join(pair.e, 'made'), { recursive: true });
    await waitForDaemonToSee(pair.daemon, 'docs', pair.e);
    const pulled = await runClientOnce(pair.setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    return pair;
  }

  it('R converges to E and stages nothing back', async () => {
    const { e, r, daemon, setup } = await dirAppliedThenRemovedOnE(async () => {});
    try {
      expect(await exists(path.join(r, 'made'))).toBe(false);
      await expectSameTree(r, e);
      const again = await runUpstream(setup);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/^Nothing to send upstream: no local changes/m);
    } finally {
      await daemon.stop();
    }
  });

  it('R keeps it for a link of its own inside: it goes upstream again as a new directory', async () => {
    const { e, r, daemon, setup } = await dirAppliedThenRemovedOnE(async (r) => symlink('../keep.txt', path.join(r, 'made', 'link')));
    try {
      expect(await exists(path.join(r, 'made', 'link'))).toBe(true);
      const sent = await runUpstream(setup);
      expect(sent.code, sent.stderr).toBe(0);
      expect(sent.stdout).toMatch(/Staged 1 change upstream as session \S+ \(0 added, 0 modified, 0 deleted, 1 directory created; 0 conflicts\)/);
      const applied = await runApply(daemon, ['apply', stagingIdFrom(sent.stdout), '--non-interactive']);
      expect(applied.code, applied.stderr).toBe(0);
      await waitForDaemonToSee(daemon, 'docs', e);
      expect((await runClientOnce(setup)).code).toBe(0);
      await expectSameTree(r, e);
      const again = await runUpstream(setup);
      expect(again.stdout).toMatch(/^Nothing to send upstream: no local changes/m);
    } finally {
      await daemon.stop();
    }
  });
});
