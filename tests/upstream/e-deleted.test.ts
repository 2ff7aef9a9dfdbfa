// R edits a file that E then deletes: the staged conflict is named as what happened ("E deleted
// it", not "E changed it"), and the interactive apply offers to re-create the file from R's
// version with nothing to back up (E has no file) — and does exactly that. Quitting at that
// prompt (the menu's quit, or Ctrl-C) says that nothing was applied, and exits 9.
import { readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exists, tempDir, type DaemonHandle } from '../helpers/index.js';
import { syncedPair, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { KEY, listSessions, runApply, runInPty, runUpstream, stagingIdFrom } from './support.js';

describe('upstream conflict: R edited a file E deleted', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;
  let stagingId: string;

  beforeAll(async () => {
    ({ e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'x.txt'), 'base\n');
    }));
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('stages R’s edit as a conflict, and show says E deleted it', async () => {
    await writeFile(path.join(r, 'x.txt'), 'R edit\n');
    await rm(path.join(e, 'x.txt'));
    await waitForDaemonToSee(daemon, 'docs', e);

    const result = await runUpstream(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 1 conflict\)/);
    expect(result.stdout).toContain('conflict: docs/x.txt (');
    stagingId = stagingIdFrom(result.stdout);

    const shown = await runApply(daemon, ['show', stagingId]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/x\.txt\s+modify\s+\d+ B\s+CONFLICT: E deleted it$/m);
    const json = await runApply(daemon, ['show', stagingId, '--json']);
    expect((JSON.parse(json.stdout) as { entries: { e_change: string }[] }).entries[0]?.e_change).toBe('deleted');
  });

  // Quitting is not "applied": exit status 9 (QUIT) tells a script the session still waits.
  it.each([
    ['choosing quit', `q${KEY.enter}`],
    ['Ctrl-C', KEY.ctrlC],
  ])('%s at the prompt says nothing was applied and exits 9', async (_name, keys) => {
    const term = runInPty('apply', ['--db', daemon.db, 'apply', stagingId]);
    try {
      await term.waitForText('quit', await term.waitForText('what should E keep?')); // the whole menu is drawn
      term.type(keys);
      expect(await term.exited).toBe(9);
    } finally {
      term.kill();
    }
    expect(term.output()).toContain(
      `zync-apply: Quit at the prompt: nothing of session ${stagingId} was applied (1 left) — run zync-apply --db ${daemon.db} apply ${stagingId} again to continue.`,
    );
    expect(await exists(path.join(e, 'x.txt'))).toBe(false);
    expect(await listSessions(daemon, false)).toEqual([expect.objectContaining({ staging_id: stagingId, status: 'complete' })]);
  });

  // Before, the prompt kept waiting: the SIGTERM was noted for "between entries" and nothing said so.
  it('SIGTERM at the prompt ends it as quitting does, naming the signal', async () => {
    const pidFile = path.join(tempDir(), 'pid');
    const wrapper = ['bash', '-c', `echo $$ > ${pidFile}; exec "$@"`, 'zync-apply'];
    const term = runInPty('apply', ['--db', daemon.db, 'apply', stagingId], { wrapper });
    try {
      await term.waitForText('quit', await term.waitForText('what should E keep?'));
      process.kill(Number(await readFile(pidFile, 'utf8')), 'SIGTERM');
      expect(await term.exited).toBe(9);
    } finally {
      term.kill();
    }
    expect(term.output()).toContain(
      `zync-apply: Stopped by SIGTERM: nothing of session ${stagingId} was applied (1 left) — run zync-apply --db ${daemon.db} apply ${stagingId} again to continue.`,
    );
    expect(await exists(path.join(e, 'x.txt'))).toBe(false);
    expect(await listSessions(daemon, false)).toEqual([expect.objectContaining({ staging_id: stagingId, status: 'complete' })]);
  });

  it('the interactive apply says so and re-creates the file from R’s version, backing nothing up', async () => {
    const term = runInPty('apply', ['--db', daemon.db, 'apply', stagingId]);
    try {
      const at = await term.waitForText('what should E keep?');
      const screen = term.output();
      expect(screen).toContain('Conflict 1 of 1: docs/x.txt — R modified it; E deleted it.');
      expect(screen).toContain("take upstream: R's version re-creates the file (E has nothing to back up)");
      expect(screen).not.toContain("E's is backed up");
      expect(screen).not.toContain('keep both');
      term.type(`u${KEY.enter}`);
      await term.waitForText('Applied session', at);
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
    }
    expect(term.output()).toMatch(/Applied session \S+: 1 written, 0 deleted\./);
    expect(term.output()).not.toContain('backed up under');
    expect(await readFile(path.join(e, 'x.txt'), 'utf8')).toBe('R edit\n');
    expect(await exists(path.join(daemon.stateDir, 'zync-backups', stagingId))).toBe(false);
    expect(await listSessions(daemon)).toEqual([expect.objectContaining({ staging_id: stagingId, status: 'applied' })]);
  });
});
