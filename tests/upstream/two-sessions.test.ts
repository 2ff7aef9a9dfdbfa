// R sends upstream twice before E applies anything (R has not pulled in between, so both
// sessions name the same base). Applied in order, the second finds E holding R's own earlier
// version: that is no edit of E's, so no conflict. Applied out of order, the older session's
// entry finds R's later version on E: it is left as the later session made it (said in the
// summary), never reverted to R's older edit — with --force neither.
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { syncedPair } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

async function twoSessions() {
  const pair = await syncedPair(async (e) => {
    await writeFile(path.join(e, 'f.txt'), 'base\n');
    await writeFile(path.join(e, 'g.txt'), 'base\n');
    await writeFile(path.join(e, 'gone.txt'), 'base\n');
  });
  await writeFile(path.join(pair.r, 'f.txt'), 'R v1\n');
  await writeFile(path.join(pair.r, 'gone.txt'), 'R v1\n');
  const first = await runUpstream(pair.setup);
  expect(first.code, first.stderr).toBe(0);
  await writeFile(path.join(pair.r, 'f.txt'), 'R v2\n');
  await writeFile(path.join(pair.r, 'g.txt'), 'R g\n');
  const { rm } = await import('node:fs/promises');
  await rm(path.join(pair.r, 'gone.txt'));
  const second = await runUpstream(pair.setup);
  expect(second.code, second.stderr).toBe(0);
  expect(second.stdout).toMatch(/0 conflicts\)/);
  return { ...pair, older: stagingIdFrom(first.stdout), newer: stagingIdFrom(second.stdout) };
}

describe('upstream: two sessions from R over the same files', () => {
  it('applied in order: the second is no conflict, and E ends with R’s latest', async () => {
    const s = await twoSessions();
    try {
      const first = await runApply(s.daemon, ['apply', s.older, '--non-interactive']);
      expect(first.code, first.stderr).toBe(0);
      const shown = await runApply(s.daemon, ['show', s.newer]);
      expect(shown.stdout).toContain('3 entries, 0 conflicts against E now');
      const second = await runApply(s.daemon, ['apply', s.newer, '--non-interactive']);
      expect(second.code, second.stderr).toBe(0);
      expect(await readFile(path.join(s.e, 'f.txt'), 'utf8')).toBe('R v2\n');
      expect(await readFile(path.join(s.e, 'g.txt'), 'utf8')).toBe('R g\n');
      await expect(readFile(path.join(s.e, 'gone.txt'))).rejects.toThrow(/ENOENT/);
    } finally {
      await s.daemon.stop();
    }
  });

  it('applied out of order: R’s older edit never replaces its later one, --force included', async () => {
    const s = await twoSessions();
    try {
      const newer = await runApply(s.daemon, ['apply', s.newer, '--non-interactive']);
      expect(newer.code, newer.stderr).toBe(0);
      const shown = await runApply(s.daemon, ['show', s.older]);
      expect(shown.stdout).toContain('2 entries, 0 conflicts against E now');
      expect(shown.stdout).toMatch(new RegExp(`f\\.txt\\s+modify\\s+\\d+ B\\s+ok: superseded: R's later session ${s.newer} was applied$`, 'm'));
      const older = await runApply(s.daemon, ['apply', s.older, '--non-interactive', '--force']);
      expect(older.code, older.stderr).toBe(0);
      expect(older.stdout).toContain(`Left docs/f.txt as R's later session ${s.newer} made it.`);
      expect(older.stdout).toContain(`Left docs/gone.txt as R's later session ${s.newer} made it.`);
      expect(await readFile(path.join(s.e, 'f.txt'), 'utf8')).toBe('R v2\n');
      await expect(readFile(path.join(s.e, 'gone.txt'))).rejects.toThrow(/ENOENT/);
    } finally {
      await s.daemon.stop();
    }
  });
});
