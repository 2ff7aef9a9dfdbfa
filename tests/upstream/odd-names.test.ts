// A name zync does not sync (a backslash or a control character; README "zync-daemon") that R's
// user made in a root is left out of --update-upstream with one warning naming it, while R's
// other edits go upstream as usual. Before, the whole upload was refused for it.
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { syncedPair } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

describe('upstream: names zync does not sync', () => {
  it('are skipped with a warning, and R’s other edits are staged', async () => {
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'a.txt'), 'base\n');
    });
    try {
      await writeFile(path.join(r, 'back\\slash'), 'x\n');
      await writeFile(path.join(r, 'new\nline'), 'y\n');
      await writeFile(path.join(r, 'a.txt'), 'R edit\n');
      const staged = await runUpstream(setup);
      expect(staged.code, staged.stderr).toBe(0);
      expect(staged.stdout).toMatch(/Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 0 conflicts\)/);
      expect(staged.stderr).toContain('docs/back\\slash: not sent upstream');
      expect(staged.stderr).toContain('docs/new\\x0aline: not sent upstream'); // printed inert
      const applied = await runApply(daemon, ['apply', stagingIdFrom(staged.stdout), '--non-interactive']);
      expect(applied.code, applied.stderr).toBe(0);
      expect(await readFile(path.join(e, 'a.txt'), 'utf8')).toBe('R edit\n');
    } finally {
      await daemon.stop();
    }
  });
});
