// A root R's person moved (`mv docs documents`, or copied elsewhere and removed) with edits not yet
// sent, then given to zync-client at its new place (--dirs docs:documents): the same tree, so R's
// records of what it received are kept, and its edits, new files and deletions stay R's — none
// undone by E's version, all sent by the next --update-upstream. A --dirs pointed at another
// directory (few of R's files there, or the old place still holding them) is no such tree: it is
// resynced without the records, as before, and says so truly; nothing there reads as R's deletion.
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, expectSameTree, startDaemon, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { conflictCopies, runClientOnce, spawnClient, stateDb, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

const Database = createRequire(new URL('../../packages/client/package.json', import.meta.url))('better-sqlite3') as typeof BetterSqlite3;

describe('a root --dirs gives a new place', () => {
  let daemon: DaemonHandle | undefined;
  let proxy: TcpProxy | undefined;
  const spawned: SpawnedCli[] = [];
  afterEach(async () => {
    for (const cli of spawned.splice(0)) await cli.stop('SIGKILL');
    await proxy?.close();
    proxy = undefined;
    await daemon?.stop();
    daemon = undefined;
  });

  /** E's docs of ten files, synced once into R's parent/docs; then R edits d1, adds rnew, deletes d2, and E edits d3. */
  async function syncedThenEditedOnBothSides(
    prepareE: (e: string) => Promise<void> = async () => undefined,
    daemonArgs: string[] = [],
  ): Promise<{ e: string; rParent: string; setup: ClientSetup }> {
    const e = tempDir('zync-e-');
    for (let i = 1; i <= 10; i++) await writeFile(path.join(e, `d${i}.txt`), `doc ${i}\n`);
    await prepareE(e);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb(), args: daemonArgs });
    await waitForDaemonToSee(daemon, 'docs', e);
    const rParent = tempDir('zync-r-');
    const setup: ClientSetup = { daemon, dirs: { docs: path.join(rParent, 'docs') }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
    const r = setup.dirs.docs!;
    await writeFile(path.join(r, 'd1.txt'), 'doc 1\nR edit\n', { flag: 'w' });
    await writeFile(path.join(r, 'rnew.txt'), 'R new\n');
    await rm(path.join(r, 'd2.txt'));
    await writeFile(path.join(e, 'd3.txt'), 'doc 3\nE edit\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    return { e, rParent, setup };
  }

  /** The new place keeps R's edit, new file and deletion, gets E's edit, and the upload sends R's three. */
  async function expectRsChangesKept(e: string, moved: ClientSetup, firstAtNewPlace = true): Promise<void> {
    const pulled = await runClientOnce(moved);
    expect(pulled.code, pulled.stderr).toBe(0);
    const r = moved.dirs.docs!;
    if (firstAtNewPlace) expect(pulled.stderr).toMatch(/The local directory for "docs" moved from .* so R's records are kept/);
    expect(pulled.stderr).not.toMatch(/conflict:/);
    expect(await readFile(path.join(r, 'd1.txt'), 'utf8')).toBe('doc 1\nR edit\n');
    expect(existsSync(path.join(r, 'd2.txt'))).toBe(false);
    expect(await readFile(path.join(r, 'd3.txt'), 'utf8')).toBe('doc 3\nE edit\n');
    expect(await conflictCopies(r)).toEqual([]);

    const upload = await runUpstream(moved);
    expect(upload.code, upload.stdout + upload.stderr).toBe(0);
    expect(upload.stdout).toMatch(/Staged 3 changes upstream as session \S+ \(1 added, 1 modified, 1 deleted; 0 conflicts\)/);
    const applied = await runApply(moved.daemon, ['apply', stagingIdFrom(upload.stdout), '--non-interactive']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    await expectSameTree(r, e);
  }

  it('moved with mv: keeps R\'s edit, new file and deletion as R\'s, and sends them with the next --update-upstream', async () => {
    const { e, rParent, setup } = await syncedThenEditedOnBothSides();
    const documents = path.join(rParent, 'documents');
    await rename(setup.dirs.docs!, documents);
    await expectRsChangesKept(e, { ...setup, dirs: { docs: documents } });
  });

  it('copied to another place and the old one removed: a copy proves no move (a backup would look the same), so it is resynced, R\'s edit kept as a conflict copy, nothing offered as R\'s deletion', async () => {
    const { setup } = await syncedThenEditedOnBothSides();
    const elsewhere = path.join(tempDir('zync-r-new-'), 'docs');
    await cp(setup.dirs.docs!, elsewhere, { recursive: true, preserveTimestamps: true });
    await rm(setup.dirs.docs!, { recursive: true });
    const moved = { ...setup, dirs: { docs: elsewhere } };
    const pulled = await runClientOnce(moved);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toMatch(/fewer than half of the 10 file\(s\) R received are at .* as R wrote them \(a copy, a backup or another directory; only a move within the disk keeps them so\): it is taken for another directory/);
    expect(await readFile(path.join(elsewhere, 'd1.txt'), 'utf8')).toBe('doc 1\n');
    expect(await readFile(path.join(elsewhere, 'd2.txt'), 'utf8')).toBe('doc 2\n');
    expect(await conflictCopies(elsewhere)).toHaveLength(1);
    const upload = await runUpstream(moved);
    expect(upload.code, upload.stdout + upload.stderr).toBe(0);
    expect(upload.stdout).toMatch(/Staged 1 change upstream as session \S+ \(1 added, 0 modified, 0 deleted; 0 conflicts\)/);
  });

  it('killed (-9) at the new place before its resync ended: the upload is refused, the records still kept, and the next pull and upload carry R\'s changes', async () => {
    const { e, rParent, setup } = await syncedThenEditedOnBothSides(async (root) => {
      // Enough files that the resync through a slow link is still under way when it is killed.
      for (let d = 0; d < 10; d++) {
        await mkdir(path.join(root, `s${d}`));
        for (let i = 0; i < 50; i++) await writeFile(path.join(root, `s${d}`, `f${i}.txt`), `E's ${d}/${i}\n`);
      }
    });
    const documents = path.join(rParent, 'documents');
    await rename(setup.dirs.docs!, documents);
    const moved = { ...setup, dirs: { docs: documents } };
    proxy = await startProxy({ targetPort: setup.daemon.port, delayMs: 300 });
    const cli = spawnClient({ ...moved, daemon: { ...setup.daemon, url: proxy.url } }, ['--once']);
    spawned.push(cli);
    // Killed once the root is bound at its new place (its resync then begins).
    await waitFor(
      () => {
        const state = new Database(setup.db, { readonly: true });
        try {
          const row = state.prepare("SELECT root FROM roots WHERE base_dir = 'docs'").get() as { root: string } | undefined;
          return row?.root === documents;
        } finally {
          state.close();
        }
      },
      { timeoutMs: 20_000, intervalMs: 5, what: 'the root bound at its new place' },
    );
    await cli.stop('SIGKILL');
    const refused = await runUpstream(moved);
    expect(refused.code, refused.stdout + refused.stderr).toBe(13);
    expect(refused.stdout).not.toMatch(/Staged/);
    await expectRsChangesKept(e, moved, false);
  });

  it('pointed at another directory holding few of R\'s files: resynced as another tree, said truly, nothing offered as R\'s deletion', async () => {
    const { setup } = await syncedThenEditedOnBothSides();
    await rm(setup.dirs.docs!, { recursive: true });
    // Another directory: two of the ten names, other content, and a file of its own.
    const other = tempDir('zync-r-other-');
    await writeFile(path.join(other, 'd1.txt'), 'unrelated 1\n');
    await writeFile(path.join(other, 'd4.txt'), 'doc 4\n');
    await writeFile(path.join(other, 'mine.txt'), 'mine\n');
    const moved = { ...setup, dirs: { docs: other } };
    const pulled = await runClientOnce(moved);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toMatch(/The local directory for "docs" is now .*, and fewer than half of the 10 file\(s\) R received are at .* as R wrote them .*: it is taken for another directory/);
    // E never touched d1.txt since R received it: not "E added it".
    expect(pulled.stderr).toMatch(/conflict: docs\/d1\.txt was R's own \(R has no record of receiving it from E\) and E holds other content there; R's version is kept as docs\/d1\.zync-conflict-/);
    expect(pulled.stderr).not.toMatch(/E added it/);
    expect(await readFile(path.join(other, 'd2.txt'), 'utf8')).toBe('doc 2\n');
    const upload = await runUpstream(moved);
    expect(upload.code, upload.stdout + upload.stderr).toBe(0);
    expect(upload.stdout).toMatch(/Staged 1 change upstream as session \S+ \(1 added, 0 modified, 0 deleted; 0 conflicts\)/);
  });

  /** How many entries E's log holds for a path, from its start (compaction leaves the latest). */
  async function logEntriesFor(d: DaemonHandle, file: string): Promise<number> {
    const client = await connect(d.url, d.token);
    try {
      let count = 0;
      for (let since = 0; ; ) {
        const page = await client.request('GET_CHANGES', { since_sequence: since, limit: 5000 });
        count += (page.changes as { path: string }[]).filter((c) => c.path === file).length;
        since = page.to_sequence as number;
        if (!page.more_available) return count;
      }
    } finally {
      await client.close();
    }
  }

  it('given a backup made before R\'s last pull, the old place removed: not the tree, E\'s newer content stays, nothing offered to take E back', async () => {
    // E compacts its log (every ~0.6 s): it no longer says which content d4.txt held before.
    const { e, setup } = await syncedThenEditedOnBothSides(undefined, ['--compact-interval', '0.01']);
    const backup = path.join(tempDir('zync-r-backup-'), 'docs');
    await cp(setup.dirs.docs!, backup, { recursive: true, preserveTimestamps: true });
    // R pulls E's rewrite of d4.txt after the backup was made; then R's root is lost.
    await writeFile(path.join(e, 'd4.txt'), 'doc four, rewritten on E\n');
    await waitForDaemonToSee(setup.daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await readFile(path.join(setup.dirs.docs!, 'd4.txt'), 'utf8')).toBe('doc four, rewritten on E\n');
    await waitFor(async () => (await logEntriesFor(setup.daemon, 'd4.txt')) === 1, { what: "E's log compacted" });
    await rm(setup.dirs.docs!, { recursive: true });
    const restored = { ...setup, dirs: { docs: backup } };
    const again = await runClientOnce(restored);
    expect(again.code, again.stderr).toBe(0);
    expect(await readFile(path.join(backup, 'd4.txt'), 'utf8')).toBe('doc four, rewritten on E\n');
    const upload = await runUpstream(restored);
    expect(upload.code, upload.stdout + upload.stderr).toBe(0);
    // The backup's old d4.txt is a conflict copy, never sent: E's rewrite is not offered for
    // undoing (rnew.txt, R's own file, goes as new; R's edit of d1.txt stays in a conflict copy).
    expect(upload.stdout).toMatch(/Staged 1 change upstream as session \S+ \(1 added, 0 modified, 0 deleted; 0 conflicts\)/);
    expect(again.stderr).toMatch(/fewer than half of the 10 file\(s\) R received are at .* as R wrote them .*: it is taken for another directory/);
  });

  it('given a copy while the old place still holds the tree: the copy is another directory, resynced without the records', async () => {
    const { setup } = await syncedThenEditedOnBothSides();
    const copy = path.join(tempDir('zync-r-copy-'), 'docs');
    await cp(setup.dirs.docs!, copy, { recursive: true });
    const moved = { ...setup, dirs: { docs: copy } };
    const pulled = await runClientOnce(moved);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toMatch(/The local directory for "docs" is now .*, and .* still holds the files R received there: it is taken for another directory/);
    expect(await readFile(path.join(copy, 'd2.txt'), 'utf8')).toBe('doc 2\n');
    expect(await readFile(path.join(copy, 'd1.txt'), 'utf8')).toBe('doc 1\n');
  });
});
