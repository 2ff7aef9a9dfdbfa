// A name zync does not sync (a backslash or a control character; README "zync-daemon") that R's
// user made in a root is left out of --update-upstream with one warning naming it, while R's
// other edits go upstream as usual. Before, the whole upload was refused for it. Names that are
// not UTF-8 likewise: before, a file so named was left out without a word, and a directory went
// upstream under the decoded name (U+FFFD for the bad bytes), empty.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
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

  it('leaves out names that are not UTF-8 with one warning each, showing their bytes', async () => {
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'a.txt'), 'base\n');
    });
    const raw = (...parts: (string | number[])[]) => Buffer.concat([Buffer.from(`${r}/`), ...parts.map((p) => Buffer.from(p as never))]);
    try {
      await writeFile(raw('caf', [0xe9], '.txt'), 'latin-1 name\n');
      await mkdir(raw('d', [0xff]));
      await writeFile(Buffer.concat([raw('d', [0xff]), Buffer.from('/inside.txt')]), 'below a bad name\n');
      await mkdir(path.join(r, 'sub'));
      await writeFile(raw('sub/na', [0xff], 'me'), 'x\n');
      await writeFile(path.join(r, 'a.txt'), 'R edit\n');
      const staged = await runUpstream(setup);
      expect(staged.code, staged.stderr).toBe(0);
      // sub is R's new directory; nothing else of the above goes.
      expect(staged.stdout).toMatch(/Staged 2 changes upstream as session \S+ \(0 added, 1 modified, 0 deleted, 1 directory created; 0 conflicts\)/);
      for (const shown of ['docs/caf\\xe9.txt', 'docs/d\\xff', 'docs/sub/na\\xffme']) {
        const lines = staged.stderr.split('\n').filter((line) => line.includes(`${shown}: not sent upstream (a name that is not UTF-8`));
        expect(lines, staged.stderr).toHaveLength(1);
      }
      const applied = await runApply(daemon, ['apply', stagingIdFrom(staged.stdout), '--non-interactive']);
      expect(applied.code, applied.stderr).toBe(0);
      expect(await readFile(path.join(e, 'a.txt'), 'utf8')).toBe('R edit\n');
      expect((await readdir(e)).sort()).toEqual(['a.txt', 'sub']);
    } finally {
      await daemon.stop();
    }
  });
});
