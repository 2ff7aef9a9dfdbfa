// A synced directory R's user replaced by a symbolic link (moved to a bigger disk, a link left in
// its place): E's changes below it are not written through the link, and not acknowledged either.
// The pass says why and what to do, exits non-zero, and once the link is replaced by the directory
// the next pass brings E's changes.
// Before, they were refused as unsafe paths, counted "skipped" and acknowledged: --once exited 0
// "up to date", and once the link was gone they never came.
import { mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, treeDigest } from '../helpers/index.js';
import { runClientOnce, syncedPair, waitForDaemonToSee } from './support.js';

describe('a directory R replaced by a symbolic link', () => {
  it("holds E's changes below it until the link is replaced by the directory, then brings them", async () => {
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await mkdir(path.join(e, 'data'));
      await writeFile(path.join(e, 'data/a.csv'), 'a,1\n');
      await writeFile(path.join(e, 'README'), 'readme\n');
    });
    try {
      const big = tempDir('zync-bigdisk-');
      await rename(path.join(r, 'data'), path.join(big, 'data'));
      await symlink(path.join(big, 'data'), path.join(r, 'data'));
      await writeFile(path.join(e, 'data/b.csv'), 'b,2\n');
      await writeFile(path.join(e, 'data/a.csv'), 'a,1 edited on E\n');
      await writeFile(path.join(e, 'README'), 'readme, edited\n');
      await waitForDaemonToSee(daemon, 'docs', e);

      const linked = await runClientOnce(setup);
      expect(linked.code, linked.stderr).not.toBe(0);
      expect(linked.stderr).not.toMatch(/up to date/);
      expect(linked.stderr).toContain(
        'docs/data is a symbolic link on R; zync does not write through links: replace it by the directory, or sync the place it points to as its own --dirs root',
      );
      expect(linked.stderr).toMatch(/2 not yet applied \(below a symbolic link on R\)/);
      // Said once for the link, not per file below it; retrying within the pass cannot help.
      expect(linked.stderr.match(/could not apply/g)).toHaveLength(1);
      expect(linked.stderr).not.toContain('retrying');
      // Nothing was written through the link; the rest of the page was applied.
      expect(await readFile(path.join(big, 'data/a.csv'), 'utf8')).toBe('a,1\n');
      expect(await readFile(path.join(r, 'README'), 'utf8')).toBe('readme, edited\n');

      await rm(path.join(r, 'data'));
      await rename(path.join(big, 'data'), path.join(r, 'data'));
      const back = await runClientOnce(setup);
      expect(back.code, back.stderr).toBe(0);
      expect(back.stderr).toMatch(/up to date/);
      expect(await treeDigest(r)).toEqual(await treeDigest(e));
    } finally {
      await daemon.stop();
    }
  });
});
