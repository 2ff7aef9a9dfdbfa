// A directory R received that became a file on R, while E also replaced it with a file: the
// same state a client killed after placing E's file but before recording it leaves behind.
// R's file is compared with E's (same bytes: nothing to do; other bytes: kept as a conflict
// copy), and the rest of the batch is applied alongside.
// Before, the planner was asked to compare a file it had not hashed: every entry of every batch
// failed with INTERNAL, forever, and --once exited 1.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { treeDigest, type DaemonHandle } from '../helpers/index.js';
import { conflictCopies, runClientOnce, syncedPair, waitForDaemonToSee } from './support.js';

describe('a directory replaced by a file on both sides', () => {
  const daemons: DaemonHandle[] = [];
  afterAll(async () => {
    for (const daemon of daemons) await daemon.stop();
  });

  it.each([
    ['the same bytes', 'E and R wrote this\n', 0],
    ['other bytes', "R's own file\n", 1],
  ])('with %s: R converges to E, with the other changes of the batch', async (_what, onR, copies) => {
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await mkdir(path.join(e, 'd'));
      await writeFile(path.join(e, 'd/inner.txt'), 'inside\n');
      await writeFile(path.join(e, 'other.txt'), 'first\n');
    });
    daemons.push(daemon);
    await rm(path.join(e, 'd'), { recursive: true });
    await writeFile(path.join(e, 'd'), 'E and R wrote this\n');
    await writeFile(path.join(e, 'other.txt'), 'second\n');
    await rm(path.join(r, 'd'), { recursive: true });
    await writeFile(path.join(r, 'd'), onR);
    await waitForDaemonToSee(daemon, 'docs', e);

    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(await treeDigest(r)).toEqual(await treeDigest(e));
    const found = await conflictCopies(r);
    expect(found).toHaveLength(copies);
    for (const copy of found) expect(await readFile(path.join(r, copy), 'utf8')).toBe(onR);
  });
});

describe('a directory tree E replaced with a file', () => {
  it('is replaced on R in one pass that exits 0, and the next pass is up to date', async () => {
    // Before, the barrier failed on the deleted directories (ENOTDIR, not ENOENT) and the pass
    // crashed; then every pass failed to look at them below the new file, and never acknowledged.
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await mkdir(path.join(e, 'd/sub/deeper'), { recursive: true });
      await writeFile(path.join(e, 'd/sub/deeper/x.txt'), 'x\n');
      await writeFile(path.join(e, 'd/sub/y.txt'), 'y\n');
    });
    try {
      await rm(path.join(e, 'd'), { recursive: true });
      await writeFile(path.join(e, 'd'), 'now a file\n');
      await waitForDaemonToSee(daemon, 'docs', e);

      const first = await runClientOnce(setup);
      expect(first.code, first.stderr).toBe(0);
      expect(await treeDigest(r)).toEqual(await treeDigest(e));
      const second = await runClientOnce(setup);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).not.toMatch(/could not apply/);
    } finally {
      await daemon.stop();
    }
  });
});

describe('a directory E replaced with a file while R added a file in it', () => {
  it('is kept as a directory conflict copy, with advice that fits a directory', async () => {
    // Before, the pass advised "move the copy over the file", which cannot be done with a directory.
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await mkdir(path.join(e, 'd'));
      await writeFile(path.join(e, 'd/a.txt'), 'in\n');
    });
    try {
      await writeFile(path.join(r, 'd/r.txt'), 'R new\n');
      await rm(path.join(e, 'd'), { recursive: true });
      await writeFile(path.join(e, 'd'), 'E file\n');
      await waitForDaemonToSee(daemon, 'docs', e);

      const result = await runClientOnce(setup);
      expect(result.code, result.stderr).toBe(0);
      const [copy] = await conflictCopies(r);
      expect(copy).toMatch(/^d\.zync-conflict-\d{8}-\d{6}-R$/);
      expect(await readFile(path.join(r, copy!, 'r.txt'), 'utf8')).toBe('R new\n');
      expect(result.stderr).toContain("A conflict copy of a directory holds R's directory");
      expect(result.stderr).toContain('remove that file and rename the copy back to its name');
      expect(result.stderr).not.toContain('move the copy over the file');
    } finally {
      await daemon.stop();
    }
  });
});

describe('a path whose kind E changed and then deleted, all between two passes', () => {
  it.each([
    ['a file that became a directory', (p: string) => writeFile(p, 'a file\n'), (p: string) => mkdir(p)],
    ['a directory that became a file', (p: string) => mkdir(p), (p: string) => writeFile(p, 'a file\n')],
  ])('%s is removed from R', async (_what, first, second) => {
    // The pass sees only the last entry (a deletion of the second kind) while R holds the first.
    // Before, R kept what it had received: the deletion named another kind, so it was left alone.
    const { e, r, daemon, setup } = await syncedPair(async (e) => first(path.join(e, 'p')));
    try {
      await rm(path.join(e, 'p'), { recursive: true });
      await second(path.join(e, 'p'));
      await waitForDaemonToSee(daemon, 'docs', e);
      await rm(path.join(e, 'p'), { recursive: true });
      await waitForDaemonToSee(daemon, 'docs', e);

      const result = await runClientOnce(setup);
      expect(result.code, result.stderr).toBe(0);
      expect(await treeDigest(r, { includeConflictCopies: true })).toEqual(await treeDigest(e));
    } finally {
      await daemon.stop();
    }
  });
});

describe('a directory R replaced with a file, while E changes what is inside it', () => {
  it('gets E’s directory back, with R’s file kept as a conflict copy, in one pass that exits 0', async () => {
    // Before, every pass failed on the file in the way (a raw EEXIST or ENOTDIR from mkdir) and
    // --once exited 1 for good.
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await mkdir(path.join(e, 'd'));
      await writeFile(path.join(e, 'd/x.txt'), 'first\n');
    });
    try {
      await rm(path.join(r, 'd'), { recursive: true });
      await writeFile(path.join(r, 'd'), "R's file in the directory's place\n");
      await writeFile(path.join(e, 'd/x.txt'), 'changed on E\n');
      await mkdir(path.join(e, 'd/sub'));
      await writeFile(path.join(e, 'd/sub/y.txt'), 'new on E\n');
      await waitForDaemonToSee(daemon, 'docs', e);

      const result = await runClientOnce(setup);
      expect(result.code, result.stderr).toBe(0);
      expect(await treeDigest(r)).toEqual(await treeDigest(e));
      const found = await conflictCopies(r);
      expect(found).toHaveLength(1);
      expect(await readFile(path.join(r, found[0]!), 'utf8')).toBe("R's file in the directory's place\n");
      expect(result.stderr).toMatch(/conflict: docs\/d was edited on R and E still has a directory there/);
      expect(result.stderr).toContain('A conflict copy of a file where E now has a directory');
      expect(result.stderr).not.toContain('move the copy over the file');
    } finally {
      await daemon.stop();
    }
  });
});

describe('a file R edited that E made a directory', () => {
  it('is kept as a conflict copy, with advice that fits a file where E has a directory', async () => {
    // Before, the advice was the one for a file E changed: "move the copy over the file", where
    // there is no file, only E's directory.
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'f.txt'), 'first\n');
    });
    try {
      await writeFile(path.join(r, 'f.txt'), "R's edit\n");
      await rm(path.join(e, 'f.txt'));
      await mkdir(path.join(e, 'f.txt'));
      await writeFile(path.join(e, 'f.txt/inside.txt'), 'new on E\n');
      await waitForDaemonToSee(daemon, 'docs', e);

      const result = await runClientOnce(setup);
      expect(result.code, result.stderr).toBe(0);
      expect(await treeDigest(r)).toEqual(await treeDigest(e));
      const found = await conflictCopies(r);
      expect(found).toHaveLength(1);
      expect(await readFile(path.join(r, found[0]!), 'utf8')).toBe("R's edit\n");
      expect(result.stderr).toMatch(/conflict: docs\/f\.txt was edited on R and E made it a directory/);
      expect(result.stderr).toContain('A conflict copy of a file where E now has a directory');
      expect(result.stderr).not.toContain('move the copy over the file');
    } finally {
      await daemon.stop();
    }
  });
});
