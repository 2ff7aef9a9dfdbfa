// Two people on E: one sits at zync-apply's conflict prompt for one session while another applies
// or discards a different session. Before, the first held one lock over every session for its
// whole run, so the second was refused (exit 8) until the first answered. Now each session has its
// own lock, and writing into E's tree takes turns only while writing: the second goes ahead, a
// second run on the same session is still refused, and a run that meets another one writing waits
// for it (saying so) instead of failing.
import { readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli, waitFor } from '../helpers/index.js';
import { syncedPair } from '../client/support.js';
import { KEY, listSessions, runApply, runInPty, runUpstream, stagingIdFrom } from './support.js';

async function twoSessions() {
  const pair = await syncedPair(async (e) => {
    await writeFile(path.join(e, 'shared.txt'), 'base\n');
    await writeFile(path.join(e, 'other.txt'), 'base\n');
  });
  await writeFile(path.join(pair.e, 'shared.txt'), 'E edit\n');
  await writeFile(path.join(pair.r, 'shared.txt'), 'R edit\n');
  const first = await runUpstream(pair.setup);
  expect(first.code, first.stderr).toBe(0);
  await writeFile(path.join(pair.r, 'other.txt'), 'R other\n');
  const second = await runUpstream(pair.setup);
  expect(second.code, second.stderr).toBe(0);
  return { ...pair, conflicted: stagingIdFrom(first.stdout), plain: stagingIdFrom(second.stdout) };
}

describe('zync-apply runs on different sessions at once', () => {
  it('a person at a prompt blocks neither the apply nor the discard of another session, only a second run on theirs', async () => {
    const s = await twoSessions();
    const term = runInPty('apply', ['--db', s.daemon.db, 'apply', s.conflicted]);
    try {
      const at = await term.waitForText('what should E keep?');

      const other = await runApply(s.daemon, ['apply', s.plain, '--non-interactive']);
      expect(other.code, other.stderr).toBe(0);
      expect(await readFile(path.join(s.e, 'other.txt'), 'utf8')).toBe('R other\n');

      const same = await runApply(s.daemon, ['discard', s.conflicted, '--non-interactive']);
      expect(same.code, same.stderr).toBe(8);
      expect(same.stderr.trim()).toMatch(new RegExp(`^zync-apply: Another zync-apply \\(pid \\d+\\) is using session ${s.conflicted} of .*; stop it first\\.$`));

      term.type(`u${KEY.enter}`);
      await term.waitForText('Applied session', at);
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
      await s.daemon.stop();
    }
    expect(await readFile(path.join(s.e, 'shared.txt'), 'utf8')).toBe('R edit\n');
    const sessions = await listSessions(s.daemon);
    expect(sessions.map((x) => [x.staging_id, x.status]).sort()).toEqual([[s.conflicted, 'applied'], [s.plain, 'applied']].sort());
  });

  it('waits, saying so, while another run writes into E, then applies', async () => {
    const s = await twoSessions();
    // A live zync process holds the writing turn (the daemon's pid stands in for another apply).
    const turn = `${s.daemon.db}.apply.lock`;
    await writeFile(turn, `${s.daemon.proc.pid}\n`);
    try {
      const waiting = spawnCli('apply', ['--db', s.daemon.db, 'apply', s.plain, '--non-interactive']);
      waiting.proc.stdin!.end();
      await waitFor(() => waiting.stdout().includes(`Waiting for another zync-apply (pid ${s.daemon.proc.pid}) to finish writing into E's tree`), { what: 'the apply to say it waits' });
      expect(await readFile(path.join(s.e, 'other.txt'), 'utf8')).toBe('base\n');
      expect(waiting.proc.exitCode).toBeNull();
      await rm(turn);
      expect(await waiting.exited, waiting.stderr()).toBe(0);
      expect(await readFile(path.join(s.e, 'other.txt'), 'utf8')).toBe('R other\n');
    } finally {
      await rm(turn, { force: true });
      await s.daemon.stop();
    }
  });

  it('an answer given after another run wrote the same file is not written over it: the file is looked at again', async () => {
    const s = await twoSessions();
    // R's later session holds the conflicted file again; applied (forced) while the first waits at its prompt.
    await writeFile(path.join(s.r, 'shared.txt'), 'R edit 2\n');
    const third = await runUpstream(s.setup);
    expect(third.code, third.stderr).toBe(0);
    const later = stagingIdFrom(third.stdout);
    const term = runInPty('apply', ['--db', s.daemon.db, 'apply', s.conflicted]);
    try {
      const at = await term.waitForText('what should E keep?');
      const forced = await runApply(s.daemon, ['apply', later, '--non-interactive', '--force']);
      expect(forced.code, forced.stderr).toBe(0);
      expect(await readFile(path.join(s.e, 'shared.txt'), 'utf8')).toBe('R edit 2\n');

      term.type(`u${KEY.enter}`);
      await term.waitForText('Applied session', at);
      expect(await term.exited).toBe(0);
      expect(term.output()).toContain(`Left docs/shared.txt as R's later session ${later} made it.`);
      expect(term.output()).not.toContain("E's docs/shared.txt changed"); // R's later session did, not E
    } finally {
      term.kill();
      await s.daemon.stop();
    }
    expect(await readFile(path.join(s.e, 'shared.txt'), 'utf8')).toBe('R edit 2\n');
  });
});
