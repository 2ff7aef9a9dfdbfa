// A directory R holds only for names zync leaves out is not R's new directory. E renamed docs
// while R edited docs/d1.md: the pull keeps R's edit as a conflict copy, and docs with it. Before,
// the next --update-upstream staged `docs/ add`, and the apply made an empty docs on E again.
// The same for a directory R made that holds only ignored names; R's own empty directory, and one
// with a file in it, still go.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { conflictCopies, runClientOnce, syncedPair, waitForDaemonToSee } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

describe('upstream: directories holding only left-out names', () => {
  it('are not sent as R’s new directories', async () => {
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await mkdir(path.join(e, 'docs'));
      await writeFile(path.join(e, 'docs/d1.md'), 'doc 1\n');
    });
    try {
      await rename(path.join(e, 'docs'), path.join(e, 'documentation'));
      await waitForDaemonToSee(daemon, 'docs', e);
      await writeFile(path.join(r, 'docs/d1.md'), 'doc 1\nR edit\n');
      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(await conflictCopies(r)).toEqual([expect.stringMatching(/^docs\/d1\.zync-conflict-\d{8}-\d{6}-R\.md$/)]);

      // R's own: a directory holding only an editor's swap file, one holding one in a subdirectory,
      // an empty directory, and a directory with a file.
      await mkdir(path.join(r, 'scratch/deeper'), { recursive: true });
      await writeFile(path.join(r, 'scratch/deeper/.notes.md.swp'), 'swap\n');
      await mkdir(path.join(r, 'swaps'));
      await writeFile(path.join(r, 'swaps/a.txt.swp'), 'swap\n');
      await mkdir(path.join(r, 'empty'));
      await mkdir(path.join(r, 'new'));
      await writeFile(path.join(r, 'new/n.txt'), 'R new\n');

      const staged = await runUpstream(setup);
      expect(staged.code, staged.stderr).toBe(0);
      const shown = await runApply(daemon, ['show', stagingIdFrom(staged.stdout), '--json']);
      expect(shown.code, shown.stderr).toBe(0);
      const entries = (JSON.parse(shown.stdout) as { entries: { path: string; operation: string }[] }).entries;
      expect(entries.map((x) => `${x.path} ${x.operation}`).sort()).toEqual(['empty add', 'new add', 'new/n.txt add']);
    } finally {
      await daemon.stop();
    }
  });
});
