// R's edits are never destroyed. R edits a file that E then modifies, and one that E deletes:
// R ends with E's state plus R's edits as conflict copies, and the client reports both. When
// E's new content equals R's, nothing is copied; an edit that puts the file's size and mtime back
// (touch -r) is an edit too. After the daemon's database is deleted and recreated, the client
// resyncs without losing R's edits.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exists, startDaemon, tempDir, treeDigest, type DaemonHandle } from '../helpers/index.js';
import { conflictCopies, runClientOnce, stateDb, syncedPair, waitForDaemonToSee, type ClientSetup } from './support.js';

describe('conflicts on R', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;
  const onE = (p: string) => path.join(e, p);
  const onR = (p: string) => path.join(r, p);
  const text = (p: string) => readFile(p, 'utf8');

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await mkdir(onE('notes'));
    for (const name of ['modify.txt', 'delete.txt', 'same.txt', 'untouched.txt', 'kept.txt', 'gone.txt', 'gone-edited.txt', 'same-stat.txt', 'restored.txt', 'restored-mode.txt']) {
      await writeFile(onE(`notes/${name}`), `E's original ${name}\n`);
    }
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it("keeps R's edits as conflict copies when E modifies or deletes the file, and reports both", async () => {
    await writeFile(onR('notes/modify.txt'), "R's edit of modify.txt\n");
    await writeFile(onR('notes/delete.txt'), "R's edit of delete.txt\n");
    await writeFile(onR('notes/same.txt'), 'both sides wrote this\n');
    await writeFile(onE('notes/modify.txt'), "E's new modify.txt\n");
    await unlink(onE('notes/delete.txt'));
    await writeFile(onE('notes/same.txt'), 'both sides wrote this\n');
    await waitForDaemonToSee(daemon, 'docs', e);

    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(await text(onR('notes/modify.txt'))).toBe("E's new modify.txt\n");
    expect(await exists(onR('notes/delete.txt'))).toBe(false);
    expect(await text(onR('notes/same.txt'))).toBe('both sides wrote this\n');

    const copies = await conflictCopies(r);
    expect(copies).toHaveLength(2);
    const modifyCopy = copies.find((c) => c.startsWith('notes/modify.zync-conflict-'))!;
    const deleteCopy = copies.find((c) => c.startsWith('notes/delete.zync-conflict-'))!;
    expect(modifyCopy).toMatch(/-R\.txt$/);
    expect(await text(onR(modifyCopy))).toBe("R's edit of modify.txt\n");
    expect(await text(onR(deleteCopy))).toBe("R's edit of delete.txt\n");
    expect(result.stderr).toMatch(/conflict: docs\/notes\/modify\.txt .*E modified it/);
    expect(result.stderr).toMatch(/conflict: docs\/notes\/delete\.txt .*E deleted it/);
    expect(result.stderr).toMatch(/2 conflict\(s\)/);
  });

  it('says a file both sides made is one R made and E added too, not an edit E modified', async () => {
    await writeFile(onR('notes/new.md'), "R's new.md\n");
    await writeFile(onE('notes/new.md'), "E's new.md\n");
    await waitForDaemonToSee(daemon, 'docs', e);

    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(await text(onR('notes/new.md'))).toBe("E's new.md\n");
    const copy = (await conflictCopies(r)).find((c) => c.startsWith('notes/new.zync-conflict-'))!;
    expect(await text(onR(copy))).toBe("R's new.md\n");
    expect(result.stderr).toContain(`conflict: docs/notes/new.md was made on R and E added one; R's version is kept as docs/${copy}`);
  });

  it('says once that a file R deleted came back with E\'s edit', async () => {
    await unlink(onR('notes/restored.txt'));
    await writeFile(onE('notes/restored.txt'), "E's edit of restored.txt\n");
    await waitForDaemonToSee(daemon, 'docs', e);

    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(await text(onR('notes/restored.txt'))).toBe("E's edit of restored.txt\n");
    expect(result.stderr).toContain("restored docs/notes/restored.txt: deleted on R, changed on E — E's version is back");
    const again = await runClientOnce(setup);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('restored');
  });

  it('says so the same way when E only chmodded the file R deleted', async () => {
    await unlink(onR('notes/restored-mode.txt'));
    await chmod(onE('notes/restored-mode.txt'), 0o755);
    await waitForDaemonToSee(daemon, 'docs', e);

    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    expect((await stat(onR('notes/restored-mode.txt'))).mode & 0o777).toBe(0o755);
    expect(result.stderr).toContain("restored docs/notes/restored-mode.txt: deleted on R, chmodded on E (755) — E's version is back");
  });

  it("keeps an edit that put the file's size, mtime and inode back (touch -r) as a conflict copy", async () => {
    const file = onR('notes/same-stat.txt');
    const before = await stat(file);
    const reference = path.join(tempDir('zync-ref-'), 'stamp');
    execFileSync('touch', ['-r', file, reference]);
    const edit = `${'R'.repeat(before.size - 1)}\n`;
    await writeFile(file, edit); // in place: same inode, same size
    execFileSync('touch', ['-r', reference, file]); // mtime back, to the nanosecond
    const after = await stat(file, { bigint: true });
    expect([after.size, after.ino]).toEqual([BigInt(before.size), BigInt(before.ino)]);
    expect(after.mtimeMs).toBe((await stat(reference, { bigint: true })).mtimeMs);
    await writeFile(onE('notes/same-stat.txt'), "E's new same-stat.txt\n");
    await waitForDaemonToSee(daemon, 'docs', e);

    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(await text(file)).toBe("E's new same-stat.txt\n");
    const copy = (await conflictCopies(r)).find((c) => c.startsWith('notes/same-stat.zync-conflict-'));
    expect(copy, result.stderr).toBeDefined();
    expect(await text(onR(copy!))).toBe(edit);
    expect(result.stderr).toMatch(/conflict: docs\/notes\/same-stat\.txt .*E modified it/);
  });

  it("resyncs after the daemon's database is recreated, without losing R's edits", async () => {
    const copiesBefore = (await conflictCopies(r)).length;
    await daemon.stop('SIGTERM');
    for (const suffix of ['', '-wal', '-shm']) await rm(`${daemon.db}${suffix}`, { force: true });
    // While the log is gone: R edits two files; E deletes one R left alone and one R edited.
    await writeFile(onR('notes/kept.txt'), "R's edit of kept.txt\n");
    await writeFile(onR('notes/gone-edited.txt'), "R's edit of gone-edited.txt\n");
    await unlink(onE('notes/gone.txt'));
    await unlink(onE('notes/gone-edited.txt'));
    daemon = await startDaemon({ dirs: { docs: e }, db: daemon.db });
    setup = { ...setup, daemon };

    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/full resync: the daemon's change log was recreated/);
    // R's edit of a file E did not change stands (it is R's to send upstream).
    expect(await text(onR('notes/kept.txt'))).toBe("R's edit of kept.txt\n");
    // A file E deleted that R left alone is deleted; one R edited is kept as a copy.
    expect(await exists(onR('notes/gone.txt'))).toBe(false);
    expect(await exists(onR('notes/gone-edited.txt'))).toBe(false);
    const copy = (await conflictCopies(r)).find((c) => c.startsWith('notes/gone-edited.zync-conflict-'));
    expect(copy).toBeDefined();
    expect(await text(onR(copy!))).toBe("R's edit of gone-edited.txt\n");
    // Everything else matches E, and the earlier conflict copies are still there.
    const tree = await treeDigest(r);
    expect(Object.keys(tree).sort()).toEqual(Object.keys(await treeDigest(e)).sort());
    expect((await conflictCopies(r)).length).toBe(copiesBefore + 1);
    expect(await text(onR('notes/untouched.txt'))).toBe("E's original untouched.txt\n");
  });
});

describe('a file R edited in a directory E renamed', () => {
  it('says E moved it, and where, not that E deleted it', async () => {
    // Before: "E deleted it" and "kept directory docs/a, deleted on E", for a rename.
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await mkdir(path.join(e, 'a'));
      await writeFile(path.join(e, 'a/x.txt'), 'x\n');
      await writeFile(path.join(e, 'a/y.txt'), 'y\n');
    });
    try {
      await writeFile(path.join(r, 'a/x.txt'), "R's edit\n");
      await rename(path.join(e, 'a'), path.join(e, 'b'));
      await waitForDaemonToSee(daemon, 'docs', e);

      const result = await runClientOnce(setup);
      expect(result.code, result.stderr).toBe(0);
      // E's tree, and the old directory kept for R's copy.
      expect(await treeDigest(r)).toEqual({ ...(await treeDigest(e)), a: { kind: 'dir' } });
      expect(await conflictCopies(r)).toHaveLength(1);
      expect(result.stderr).toMatch(/conflict: docs\/a\/x\.txt was edited on R and E moved it to docs\/b\/x\.txt; R's version is kept as docs\/a\/x\.zync-conflict-/);
      expect(result.stderr).toContain('kept directory docs/a, moved on E to docs/b: it still holds files that did not come from E');
      expect(result.stderr).not.toMatch(/E deleted it|deleted on E/);

      // R's user clears the copy: the next pass removes the kept directory, and says why as it was.
      // Before: "removed directory docs/a: E deleted it".
      for (const copy of await conflictCopies(r)) await rm(path.join(r, copy));
      const later = await runClientOnce(setup);
      expect(later.code, later.stderr).toBe(0);
      expect(await exists(path.join(r, 'a'))).toBe(false);
      expect(later.stderr).toContain("removed directory docs/a: E moved it to docs/b, and it no longer holds anything of R's");
    } finally {
      await daemon.stop();
    }
  });
});

describe("a file R edited in a directory E renamed, the move's deletion and add in different pages of E's log", () => {
  it('says "deleted or moved", then where E moved it once the later page comes, not that E deleted it', async () => {
    // More than a page (5,000 entries) of deletions: E logs a batch's deletions first (a/x.txt's
    // first of all), then its adds, so b/x.txt comes two pages later.
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await mkdir(path.join(e, 'a'));
      for (let i = 0; i < 5001; i++) await writeFile(path.join(e, `a/f${String(i).padStart(4, '0')}.txt`), `f${i}\n`);
      await writeFile(path.join(e, 'a/x.txt'), 'x\n');
    });
    let again: DaemonHandle | undefined;
    try {
      await writeFile(path.join(r, 'a/x.txt'), "R's edit\n");
      // Renamed while the daemon is down: its start logs the move as one batch.
      await daemon.stop();
      await rename(path.join(e, 'a'), path.join(e, 'b'));
      again = await startDaemon({ dirs: { docs: e }, db: daemon.db, port: daemon.port });

      const result = await runClientOnce({ ...setup, daemon: again });
      expect(result.code, result.stderr).toBe(0);
      expect(await treeDigest(r)).toEqual({ ...(await treeDigest(e)), a: { kind: 'dir' } });
      // Before: "E deleted it" and "kept directory docs/a, deleted on E", for a rename.
      expect(result.stderr).toMatch(/conflict: docs\/a\/x\.txt was edited on R and E deleted it \(or moved it: a later page of E's log may say where\); R's version is kept as docs\/a\/x\.zync-conflict-/);
      expect(result.stderr).toMatch(/E moved docs\/a\/x\.txt to docs\/b\/x\.txt \(its deletion and its add came in different pages of E's log\); R's version of it is kept as docs\/a\/x\.zync-conflict-/);
      // The directory's own deletion, E's last, shares its page with the adds: its move is known.
      expect(result.stderr).toContain('kept directory docs/a, moved on E to docs/b: it still holds files that did not come from E');
      expect(result.stderr).not.toMatch(/E deleted it[;,]|deleted on E/);
    } finally {
      await again?.stop();
    }
  }, 120_000);
});
