// At a conflict's prompt, "d" (show the diff again) shows what is on E now: a file E wrote again
// while the person read the first diff, or E's file removed meanwhile. Before, it showed the first
// look: E's file as absent (and E's deletion in the headline) though E held one again, and a file
// removed meanwhile ended the run with an unexpected ENOENT. Where another run applied R's later
// session of the file meanwhile, there is nothing left to decide: the run goes on, as it does when
// the person answers (concurrent-apply.test.ts).
import { readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { syncedPair } from '../client/support.js';
import { KEY, runApply, runInPty, runUpstream, stagingIdFrom } from './support.js';

/** R edits shared.txt; E edits it too, or (`eDeletes`) removes it. */
async function conflicted(eDeletes = false) {
  const pair = await syncedPair(async (e) => {
    await writeFile(path.join(e, 'shared.txt'), 'line 1\nline 2\nline 3\n');
  });
  if (eDeletes) await rm(path.join(pair.e, 'shared.txt'));
  else await writeFile(path.join(pair.e, 'shared.txt'), 'line 1\nline 2 as E had it\nline 3\n');
  await writeFile(path.join(pair.r, 'shared.txt'), 'line 1\nline 2 as R has it\nline 3\n');
  const up = await runUpstream(pair.setup);
  expect(up.code, up.stderr).toBe(0);
  return { ...pair, id: stagingIdFrom(up.stdout) };
}

describe('the diff shown again at a conflict prompt', () => {
  it("is of E's file as it is now, after E wrote it again at the prompt", async () => {
    const s = await conflicted(true);
    const term = runInPty('apply', ['--db', s.daemon.db, 'apply', s.id]);
    try {
      const first = await term.waitForText('what should E keep?');
      expect(term.output()).toContain('--- /dev/null');
      await writeFile(path.join(s.e, 'shared.txt'), 'line 1\nline 2 as E has it now\nline 3\n');
      term.type(`d${KEY.enter}`);
      const head = await term.waitForText('Conflict 1 of 1', first);
      const again = await term.waitForText('what should E keep?', head);
      const shown = term.output().slice(head, again);
      expect(shown).toContain('-line 2 as E has it now');
      expect(shown).not.toContain('/dev/null');
      term.type(`e${KEY.enter}`);
      await term.waitForText('Applied session', again);
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
      await s.daemon.stop();
    }
    expect(await readFile(path.join(s.e, 'shared.txt'), 'utf8')).toBe('line 1\nline 2 as E has it now\nline 3\n');
  });

  it('says E no longer holds the file once E removed it at the prompt, and goes on', async () => {
    const s = await conflicted();
    const term = runInPty('apply', ['--db', s.daemon.db, 'apply', s.id]);
    try {
      const first = await term.waitForText('what should E keep?');
      await rm(path.join(s.e, 'shared.txt'));
      term.type(`d${KEY.enter}`);
      const head = await term.waitForText('Conflict 1 of 1', first);
      const again = await term.waitForText('what should E keep?', head);
      const shown = term.output().slice(head, again);
      expect(shown).toContain('--- /dev/null');
      expect(shown).not.toContain('as E had it');
      term.type(`u${KEY.enter}`);
      await term.waitForText('Applied session', again);
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
      await s.daemon.stop();
    }
    expect(await readFile(path.join(s.e, 'shared.txt'), 'utf8')).toBe('line 1\nline 2 as R has it\nline 3\n');
  });

  it("goes on without asking once another run applied R's later session of the file meanwhile", async () => {
    const s = await conflicted();
    await writeFile(path.join(s.r, 'shared.txt'), 'line 1\nline 2 as R has it later\nline 3\n');
    const later = await runUpstream(s.setup);
    expect(later.code, later.stderr).toBe(0);
    const laterId = stagingIdFrom(later.stdout);
    const term = runInPty('apply', ['--db', s.daemon.db, 'apply', s.id]);
    try {
      const first = await term.waitForText('what should E keep?');
      const other = await runApply(s.daemon, ['apply', laterId, '--non-interactive', '--force']);
      expect(other.code, other.stderr).toBe(0);
      term.type(`d${KEY.enter}`);
      await term.waitForText('Applied session', first);
      expect(await term.exited).toBe(0);
      expect(term.output().slice(first)).toContain(`Left docs/shared.txt as R's later session ${laterId} made it.`);
      expect(term.output()).not.toContain("E's docs/shared.txt changed"); // R's later session did, not E
    } finally {
      term.kill();
      await s.daemon.stop();
    }
    expect(await readFile(path.join(s.e, 'shared.txt'), 'utf8')).toBe('line 1\nline 2 as R has it later\nline 3\n');
  });
});
