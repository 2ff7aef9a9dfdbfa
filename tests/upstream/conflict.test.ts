// Both sides edit one file: the staged session reports 1 conflict; a non-interactive apply
// refuses and changes nothing; the interactive apply, driven through a real pseudo-terminal,
// shows the coloured diff (again on request: d) and takes upstream (u); R then converges to E.
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameTree, treeDigest, type DaemonHandle } from '../helpers/index.js';
import { conflictCopies, runClientOnce, syncedPair, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { KEY, listSessions, runApply, runInPty, runUpstream, stagingIdFrom } from './support.js';

describe('upstream conflict: both sides edited one file', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;
  let stagingId: string;

  beforeAll(async () => {
    ({ e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'shared.txt'), 'line 1\nline 2\nline 3\n');
      await writeFile(path.join(e, 'notes.txt'), 'notes v1\n');
    }));
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('stages R’s edits and reports the one conflict', async () => {
    await writeFile(path.join(e, 'shared.txt'), 'line 1\nline 2 as E has it\nline 3\n');
    await writeFile(path.join(r, 'shared.txt'), 'line 1\nline 2 as R has it\nline 3\n');
    await writeFile(path.join(r, 'notes.txt'), 'notes v2 from R\n');
    await waitForDaemonToSee(daemon, 'docs', e);

    const result = await runUpstream(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Staged 2 changes upstream as session \S+ \(0 added, 2 modified, 0 deleted; 1 conflict\)/);
    expect(result.stdout).toContain('conflict: docs/shared.txt');
    stagingId = stagingIdFrom(result.stdout);
    expect(await listSessions(daemon, false)).toEqual([expect.objectContaining({ staging_id: stagingId, conflict_count: 1, file_count: 2 })]);

    const listed = await runApply(daemon, ['list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^STAGING ID\s+STATUS\s+FILES\s+CONFLICTS AT STAGING\s+FROM\s+CREATED$/m);
    expect(listed.stdout).toContain(`zync-apply --db ${daemon.db} show ID counts them against`);

    const shown = await runApply(daemon, ['show', stagingId]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('2 entries, 1 conflict against E now');
    expect(shown.stdout).toMatch(/shared\.txt\s+modify\s+\d+ B\s+CONFLICT: E changed it too/);
    expect(shown.stdout).toMatch(/notes\.txt\s+modify\s+\d+ B\s+ok/);
  });

  it('a non-interactive apply refuses the session and changes nothing', async () => {
    const before = await treeDigest(e);
    const result = await runApply(daemon, ['apply', stagingId, '--non-interactive']);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/has 1 conflict .*nothing was changed/);
    // Pasted as it is, the hint opens the same database.
    expect(result.stderr).toContain(`run zync-apply --db ${daemon.db} apply ${stagingId} in a terminal to resolve it, or add --force`);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(await treeDigest(e)).toEqual(before);
    expect(await listSessions(daemon, false)).toEqual([expect.objectContaining({ staging_id: stagingId, status: 'complete' })]);
  });

  it('the interactive apply in a terminal shows the diff and takes upstream', async () => {
    const eVersion = await readFile(path.join(e, 'shared.txt'), 'utf8');
    const term = runInPty('apply', ['--db', daemon.db, 'apply', stagingId]);
    try {
      let at = await term.waitForText('what should E keep?');
      const firstScreen = term.output();
      expect(firstScreen).toContain('Conflict 1 of 1: docs/shared.txt');
      expect(firstScreen).toContain('-line 2 as E has it');
      expect(firstScreen).toContain('+line 2 as R has it');
      expect(term.raw()).toContain('\u001b[32m+line 2 as R has it'); // coloured on a terminal

      // Each answer has its letter, shown beside it; a letter and Enter take it.
      expect(firstScreen).toContain('  u) take upstream');
      expect(firstScreen).toContain("  e) keep E's version");
      expect(firstScreen).toContain('  d) show the diff again');
      term.type(`d${KEY.enter}`);
      at = await term.waitForText('what should E keep?', await term.waitForText('-line 2 as E has it', at));

      term.type(`u${KEY.enter}`);
      await term.waitForText('Applied session', at);
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
    }
    expect(term.output()).toMatch(/Applied session \S+: 2 written, 0 deleted\./);
    expect(await readFile(path.join(e, 'shared.txt'), 'utf8')).toBe('line 1\nline 2 as R has it\nline 3\n');
    expect(await readFile(path.join(e, 'notes.txt'), 'utf8')).toBe('notes v2 from R\n');
    const backup = path.join(daemon.stateDir, 'zync-backups', stagingId, 'docs', 'shared.txt');
    expect(await readFile(backup, 'utf8')).toBe(eVersion);
    expect(await listSessions(daemon)).toEqual([expect.objectContaining({ staging_id: stagingId, status: 'applied' })]);
  });

  it('R converges to E with no conflict copies', async () => {
    await waitForDaemonToSee(daemon, 'docs', e);
    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    await expectSameTree(r, e);
    expect(await conflictCopies(r)).toEqual([]);
    expect(await conflictCopies(e)).toEqual([]);
  });
});
