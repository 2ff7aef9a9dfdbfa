// R sends a file; after the session was staged, E made a directory at that path. The apply names
// the conflict for what it is (R's file, E's directory) and offers only what is safe: E's empty
// directory may be replaced by R's file (nothing to back up); a directory that holds files is
// never removed, so that entry keeps E's directory — said in one sentence — while the rest of the
// session is applied. Interactive, --non-interactive and --force agree; nothing is a raw error.
// A directory E had made before R sent its file is staged as the same conflict, not refused.
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, treeDigest, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, syncedPair, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { KEY, listSessions, runApply, runInPty, runUpstream, stagingIdFrom } from './support.js';

interface Setup {
  e: string;
  daemon: DaemonHandle;
  stagingId: string;
}

/**
 * R edits x.txt and keep.txt and adds new.txt; once that is staged, E replaces x.txt with a
 * directory holding a file and makes an empty directory new.txt.
 */
async function stageThenMakeDirsOnE(): Promise<Setup> {
  const e = tempDir('zync-e-');
  const r = tempDir('zync-r-');
  await writeFile(path.join(e, 'x.txt'), 'base\n');
  await writeFile(path.join(e, 'keep.txt'), 'base\n');
  const daemon = await startDaemon({ dirs: { docs: e } });
  const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
  const first = await runClientOnce(setup);
  expect(first.code, first.stderr).toBe(0);

  await writeFile(path.join(r, 'x.txt'), 'R edit\n');
  await writeFile(path.join(r, 'keep.txt'), 'R keep\n');
  await writeFile(path.join(r, 'new.txt'), 'R new\n');
  const staged = await runUpstream(setup);
  expect(staged.code, staged.stderr).toBe(0);
  expect(staged.stdout).toMatch(/\(1 added, 2 modified, 0 deleted; 0 conflicts\)/);

  await rm(path.join(e, 'x.txt'));
  await mkdir(path.join(e, 'x.txt'));
  await writeFile(path.join(e, 'x.txt/inside'), 'E made this\n');
  await mkdir(path.join(e, 'new.txt'));
  await waitForDaemonToSee(daemon, 'docs', e);
  return { e, daemon, stagingId: stagingIdFrom(staged.stdout) };
}

async function expectOutcome(s: Setup): Promise<void> {
  expect(await readFile(path.join(s.e, 'keep.txt'), 'utf8')).toBe('R keep\n');
  expect(await readFile(path.join(s.e, 'new.txt'), 'utf8')).toBe('R new\n');
  expect((await stat(path.join(s.e, 'x.txt'))).isDirectory()).toBe(true);
  expect(await readFile(path.join(s.e, 'x.txt/inside'), 'utf8')).toBe('E made this\n');
  expect(await listSessions(s.daemon)).toEqual([expect.objectContaining({ staging_id: s.stagingId, status: 'applied' })]);
}

describe('upstream: E made a directory where R sends a file (interactive)', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await stageThenMakeDirsOnE();
  });
  afterAll(async () => {
    await s?.daemon.stop();
  });

  it('show names both conflicts by what E did', async () => {
    const shown = await runApply(s.daemon, ['show', s.stagingId]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('3 entries, 2 conflicts against E now');
    expect(shown.stdout).toMatch(/x\.txt\s+modify\s+\d+ B\s+CONFLICT: E replaced the file with a directory \(at staging: clean\)$/m);
    expect(shown.stdout).toMatch(/new\.txt\s+add\s+\d+ B\s+CONFLICT: E made a directory there \(at staging: clean\)$/m);
  });

  it('--non-interactive refuses the session and changes nothing', async () => {
    const before = await treeDigest(s.e);
    const refused = await runApply(s.daemon, ['apply', s.stagingId, '--non-interactive']);
    expect(refused.code).toBe(6);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/has 2 conflicts .*nothing was changed/);
    expect(await treeDigest(s.e)).toEqual(before);
  });

  it('offers to replace the empty directory, and only to keep the one that holds files', async () => {
    const term = runInPty('apply', ['--db', s.daemon.db, 'apply', s.stagingId]);
    try {
      // The conflicts come in the order R sent the files: new.txt, then x.txt.
      let at = await term.waitForText('what should E keep?');
      at = await term.waitForText('quit', at); // the whole menu is drawn
      const screen = term.output();
      expect(screen).toContain('Conflict 1 of 2: docs/new.txt — R added it; E made a directory there.');
      expect(screen).toContain('E holds an empty directory here; R sent a file.');
      expect(screen).toContain("take upstream: R's file replaces E's empty directory (nothing to back up)");
      expect(screen).not.toContain('keep both');
      term.type(`u${KEY.enter}`);

      const from = (await term.waitForText('Conflict 2 of 2', at)) - 'Conflict 2 of 2'.length;
      at = await term.waitForText('what should E keep?', from);
      await term.waitForText('quit', at);
      const second = term.output().slice(from);
      expect(second).toContain('Conflict 2 of 2: docs/x.txt — R modified it; E replaced the file with a directory.');
      expect(second).toContain('E holds a directory with files in it here; R sent a file.');
      expect(second).toContain("keep E's directory (R's file cannot replace a directory that holds files)");
      expect(second).not.toContain('take upstream');
      term.type(KEY.enter); // Enter alone: keep E's
      await term.waitForText('Applied session', at);
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
    }
    expect(term.output()).toMatch(/Applied session \S+: 2 written, 0 deleted, 1 kept E's version\./);
    expect(term.output()).not.toContain('UNSAFE_PATH');
    await expectOutcome(s);
  });
});

describe('upstream: E made a directory where R sends a file (--force)', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await stageThenMakeDirsOnE();
  });
  afterAll(async () => {
    await s?.daemon.stop();
  });

  it('replaces the empty directory, keeps the one that holds files and says so, applies the rest', async () => {
    const forced = await runApply(s.daemon, ['apply', s.stagingId, '--non-interactive', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toBe('');
    expect(forced.stdout).toMatch(/Applied session \S+: 2 written, 0 deleted, 1 kept E's version, 1 conflict resolved as R's version \(--force\)\./);
    expect(forced.stdout).toContain("Kept E's directory docs/x.txt: it holds files, so R's file was not written there.");
    // keep.txt was backed up; neither directory had anything to back up.
    const backupDir = path.join(s.daemon.stateDir, 'zync-backups', s.stagingId, 'docs');
    expect(await readdir(backupDir)).toEqual(['keep.txt']);
    await expectOutcome(s);
  });
});

describe('upstream: E had made the directory before R sent its file', () => {
  it('is staged as a conflict (not a refused session), and --force keeps E’s directory while the rest applies', async () => {
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'keep.txt'), 'base\n');
    });
    try {
      await mkdir(path.join(e, 'later'));
      await writeFile(path.join(e, 'later/inside'), 'E made this\n');
      await waitForDaemonToSee(daemon, 'docs', e);
      await writeFile(path.join(r, 'later'), 'R made a file\n');
      await writeFile(path.join(r, 'keep.txt'), 'R keep\n');

      const staged = await runUpstream(setup);
      expect(staged.code, staged.stderr).toBe(0);
      expect(staged.stdout).toMatch(/\(1 added, 1 modified, 0 deleted; 1 conflict\)/);
      const applied = await runApply(daemon, ['apply', stagingIdFrom(staged.stdout), '--force']);
      expect(applied.code, applied.stderr).toBe(0);
      expect(await readFile(path.join(e, 'keep.txt'), 'utf8')).toBe('R keep\n');
      expect(await readFile(path.join(e, 'later/inside'), 'utf8')).toBe('E made this\n');
    } finally {
      await daemon.stop();
    }
  });
});
