// `zync-apply show` on a terminal fits its rows to the terminal's width: one long path (a
// 251-character name) is shortened in the middle, and the table says so. Before, it widened the
// PATH column so every row was 270+ columns. Piped (for a script) and with --json, paths are whole.
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { syncedPair } from '../client/support.js';
import { runApply, runInPty, runUpstream, stagingIdFrom } from './support.js';

describe('zync-apply show with a long path', () => {
  it('fits a terminal, and is whole when piped', async () => {
    const { r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'short.txt'), 'base\n');
    });
    try {
      const long = `${'a'.repeat(251)}.txt`;
      await writeFile(path.join(r, long), 'R\n');
      await writeFile(path.join(r, 'short.txt'), 'R edit\n');
      const staged = await runUpstream(setup);
      expect(staged.code, staged.stderr).toBe(0);
      const id = stagingIdFrom(staged.stdout);

      const pty = runInPty('apply', ['show', id, '--db', daemon.db]);
      expect(await pty.exited).toBe(0);
      const lines = pty.output().split(/\r?\n/).filter((l) => l.length > 0);
      expect(lines.find((l) => l.includes('short.txt'))).toBeDefined();
      expect(lines.find((l) => /^docs\s+a+…a+\.txt\s+add/.test(l)), pty.output()).toBeDefined();
      for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(160);
      expect(pty.output()).toContain('Long paths are shortened with …');

      const piped = await runApply(daemon, ['show', id]);
      expect(piped.code, piped.stderr).toBe(0);
      expect(piped.stdout).toContain(long);
      expect(piped.stdout).not.toContain('…');
    } finally {
      await daemon.stop();
    }
  });
});
