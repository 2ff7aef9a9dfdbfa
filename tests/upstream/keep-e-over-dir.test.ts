// R replaced a file it received with a directory holding files while E edited that file: the
// directory is a conflict. Keeping E's file means nothing R put in that directory can be applied
// either: the reviewer is told so at the prompt, the entries below are skipped (said in the
// summary), and the session completes. A session quit after that choice and resumed with
// --non-interactive --force skips them the same way.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { KEY, listSessions, runApply, runInPty, runUpstream, stagingIdFrom } from './support.js';

interface Setup {
  e: string;
  daemon: DaemonHandle;
  stagingId: string;
}

/**
 * On R: notes (a file R received) becomes a directory with notes/a and notes/sub/b, and
 * other.txt is edited; `alsoBoth` adds a-shared.txt, edited on both sides (a second conflict,
 * sent before the files in notes/). On E: notes is edited.
 */
async function stage(alsoBoth: boolean): Promise<Setup> {
  const e = tempDir('zync-e-');
  const r = tempDir('zync-r-');
  await writeFile(path.join(e, 'notes'), 'version 1\n');
  await writeFile(path.join(e, 'other.txt'), 'other\n');
  if (alsoBoth) await writeFile(path.join(e, 'a-shared.txt'), 'shared\n');
  const daemon = await startDaemon({ dirs: { docs: e } });
  const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
  const first = await runClientOnce(setup);
  expect(first.code, first.stderr).toBe(0);

  await rm(path.join(r, 'notes'));
  await mkdir(path.join(r, 'notes/sub'), { recursive: true });
  await writeFile(path.join(r, 'notes/a'), 'a from R\n');
  await writeFile(path.join(r, 'notes/sub/b'), 'b from R\n');
  await writeFile(path.join(r, 'other.txt'), 'other from R\n');
  await writeFile(path.join(e, 'notes'), 'version 2, edited on E\n');
  if (alsoBoth) {
    await writeFile(path.join(r, 'a-shared.txt'), 'shared from R\n');
    await writeFile(path.join(e, 'a-shared.txt'), 'shared from E\n');
  }
  await waitForDaemonToSee(daemon, 'docs', e);
  const staged = await runUpstream(setup);
  expect(staged.code, staged.stderr).toBe(0);
  expect(staged.stdout).toContain(`; ${alsoBoth ? '2 conflicts' : '1 conflict'})`);
  expect(staged.stdout).toMatch(/conflict: docs\/notes \(E changed it too\)/);
  return { e, daemon, stagingId: stagingIdFrom(staged.stdout) };
}

/** E's file stays; nothing of R's directory is on E. */
async function expectEFileKept(s: Setup): Promise<void> {
  expect((await stat(path.join(s.e, 'notes'))).isFile()).toBe(true);
  expect(await readFile(path.join(s.e, 'notes'), 'utf8')).toBe('version 2, edited on E\n');
  expect(await readFile(path.join(s.e, 'other.txt'), 'utf8')).toBe('other from R\n');
  expect(await listSessions(s.daemon)).toEqual([expect.objectContaining({ staging_id: s.stagingId, status: 'applied' })]);
}

const SKIPPED_NOTE = "Kept E's version of docs/notes: R's directory was not made, and the 3 entries R put in it were skipped.";

describe('upstream: keeping E’s file where R made a directory', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await stage(false);
  });
  afterAll(async () => {
    await s?.daemon.stop();
  });

  it('says at the prompt what keeping E’s file leaves out, skips it, and completes the session', async () => {
    const term = runInPty('apply', ['--db', s.daemon.db, 'apply', s.stagingId]);
    try {
      let at = await term.waitForText('what should E keep?');
      at = await term.waitForText('quit', at); // the whole menu is drawn
      const screen = term.output();
      expect(screen).toContain('Conflict 1 of 1: docs/notes — R replaced the file with a directory; E changed it too.');
      expect(screen).toContain("take upstream: make R's directory (E's file is backed up)");
      expect(screen).toContain("keep E's file (R's directory is not made, nor the 3 entries R put in it)");
      term.type(`e${KEY.enter}`);
      await term.waitForText('Applied session', at);
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
    }
    expect(term.output()).toMatch(/Applied session \S+: 1 written, 0 deleted, 1 kept E's version, 3 skipped\./);
    expect(term.output()).toContain(SKIPPED_NOTE);
    await expectEFileKept(s);

    const shown = await runApply(s.daemon, ['show', s.stagingId]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/notes\/a\s+add\s+\d+ B\s+resolved \(kept E's\)$/m);
  });
});

describe('upstream: keeping E’s file where R made a directory, resumed with --force', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await stage(true);
  });
  afterAll(async () => {
    await s?.daemon.stop();
  });

  it('skips what R put in the directory E kept, as the interactive run would have', async () => {
    const term = runInPty('apply', ['--db', s.daemon.db, 'apply', s.stagingId]);
    try {
      // Directories come first: docs/notes is asked about before a-shared.txt.
      let at = await term.waitForText('Conflict 1 of 2: docs/notes');
      at = await term.waitForText('quit', at);
      term.type(`e${KEY.enter}`); // keep E's file
      at = await term.waitForText('Conflict 2 of 2: docs/a-shared.txt', at);
      at = await term.waitForText('quit', at);
      term.type(`q${KEY.enter}`);
      expect(await term.exited).toBe(9);
      expect(term.output().slice(at)).toContain(`Quit at the prompt: session ${s.stagingId} is partly applied (`);
    } finally {
      term.kill();
    }
    expect(await readFile(path.join(s.e, 'a-shared.txt'), 'utf8')).toBe('shared from E\n');
    const shown = await runApply(s.daemon, ['show', s.stagingId]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('6 entries, 1 conflict against E now');
    expect(shown.stdout).toMatch(/notes\/sub\/b\s+add\s+\d+ B\s+skipped: E's version of docs\/notes was kept$/m);

    const forced = await runApply(s.daemon, ['apply', s.stagingId, '--non-interactive', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toBe('');
    expect(forced.stdout).toMatch(/Applied session \S+: 2 written, 0 deleted, 2 skipped, 1 conflict resolved as R's version \(--force\)\./);
    expect(forced.stdout).toContain("Kept E's version of docs/notes: R's directory was not made, and the 2 entries R put in it were skipped.");
    expect(await readFile(path.join(s.e, 'a-shared.txt'), 'utf8')).toBe('shared from R\n');
    await expectEFileKept(s);
  });
});
