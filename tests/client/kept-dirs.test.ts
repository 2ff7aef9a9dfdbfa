// A directory E deletes while it still holds R's own files (or a conflict copy of R's edit) is
// kept on R. Once R's user removes their files, a later pass removes the directory too — E no
// longer has it — while a kept directory still holding a conflict copy or a file of R's stays,
// and one E makes again is E's again.
// Before, a kept directory was forgotten at once and lingered on R, empty, forever.
import { access, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { conflictCopies, runClientOnce, syncedPair, waitForDaemonToSee } from './support.js';

const exists = (p: string) => access(p).then(() => true, () => false);

describe('directories E deleted that R kept', () => {
  it('are removed once they hold nothing of R’s, and stay while they do', async () => {
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await mkdir(path.join(e, 'd/inner'), { recursive: true });
      await writeFile(path.join(e, 'd/e.txt'), 'E\n');
      await writeFile(path.join(e, 'd/inner/e2.txt'), 'E\n');
      await mkdir(path.join(e, 'c'));
      await writeFile(path.join(e, 'c/x.txt'), 'E base\n');
      await mkdir(path.join(e, 'w'));
      await writeFile(path.join(e, 'w/e.txt'), 'E\n');
    });
    try {
      // R's own files in d and d/inner and w, R's edit of E's file in c.
      await writeFile(path.join(r, 'd/inner/mine.txt'), 'R\n');
      await writeFile(path.join(r, 'd/own.txt'), 'R\n');
      await writeFile(path.join(r, 'c/x.txt'), 'R edit\n');
      await writeFile(path.join(r, 'w/mine.txt'), 'R\n');
      await rm(path.join(e, 'd'), { recursive: true });
      await rm(path.join(e, 'c'), { recursive: true });
      await rm(path.join(e, 'w'), { recursive: true });
      await waitForDaemonToSee(daemon, 'docs', e);

      const deleted = await runClientOnce(setup);
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(deleted.stderr).toContain('kept directory docs/d, deleted on E');
      expect((await readdir(path.join(r, 'd'))).sort()).toEqual(['inner', 'own.txt']);
      expect(await readdir(path.join(r, 'd/inner'))).toEqual(['mine.txt']);
      expect(await conflictCopies(r)).toEqual([expect.stringMatching(/^c\/x\.zync-conflict-\d{8}-\d{6}-R\.txt$/)]);

      // R's user removes their files from d (all of them) and from c (the edited file is
      // already a conflict copy there, which stays); w keeps R's file.
      await rm(path.join(r, 'd/inner/mine.txt'));
      await rm(path.join(r, 'd/own.txt'));
      const later = await runClientOnce(setup);
      expect(later.code, later.stderr).toBe(0);
      expect(await exists(path.join(r, 'd')), later.stderr).toBe(false);
      expect(later.stderr).toContain('removed directory docs/d:');
      expect(await conflictCopies(r)).toHaveLength(1);
      expect(await readdir(path.join(r, 'w'))).toEqual(['mine.txt']);

      // Emptied later, w goes at the next pass too. c, made again on E, is E's directory once
      // more: it stays though R empties it.
      await mkdir(path.join(e, 'c'));
      await waitForDaemonToSee(daemon, 'docs', e);
      await rm(path.join(r, 'w/mine.txt'));
      for (const copy of await conflictCopies(r)) await rm(path.join(r, copy));
      const last = await runClientOnce(setup);
      expect(last.code, last.stderr).toBe(0);
      expect(await exists(path.join(r, 'w')), last.stderr).toBe(false);
      expect(await readdir(path.join(r, 'c'))).toEqual([]);
    } finally {
      await daemon.stop();
    }
  });
});
