// A directory at a root's place after the root went (rm -rf, mv): R's records of the root are
// trusted only for the directory R synced — the root directory's own identity (inode and birth
// time: `mv` keeps them; `mkdir`, `cp -a`, a restored backup do not). Another directory has its
// records dropped before any pull pass, upload or start uses them, and is fetched again: a
// restored backup's older files are not sent as R's edits nor E's newer files as R's deletions.
// The tree that went, moved back, keeps R's edits even when most of its files were edited. A
// symbolic link at the place is said as that and held, never written through. (Review R4.)
import { cp, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { listSessions, runUpstream } from '../upstream/support.js';
import { conflictCopies, runClientOnce, spawnClient, stateDb, waitForDaemonToSee, type ClientSetup } from './support.js';

const GONE = /WARN.*The local directory for "docs" \([^)]*\) is gone/;
const STRANGER = /WARN.*The local directory for "docs" \([^)]*\) is not the directory R synced there/;

describe('zync-client with a directory back at a root\'s place', () => {
  let daemon: DaemonHandle | undefined;
  let client: SpawnedCli | undefined;
  afterEach(async () => {
    await client?.stop('SIGKILL');
    client = undefined;
    await daemon?.stop();
    daemon = undefined;
  });

  /** E with n files, R synced once with them. */
  async function pair(n: number): Promise<{ e: string; setup: ClientSetup; docs: string; d: DaemonHandle }> {
    const e = tempDir('zync-e-');
    for (let i = 1; i <= n; i++) await writeFile(path.join(e, `f${i}.txt`), `file ${i} v1\n`);
    const d = (daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() }));
    await waitForDaemonToSee(d, 'docs', e);
    const setup: ClientSetup = { daemon: d, dirs: { docs: path.join(tempDir('zync-r-'), 'docs') }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
    return { e, setup, docs: setup.dirs.docs!, d };
  }

  /** A backup of R's root, then E moves on (f1 changed, f5 added) and R pulls that. */
  async function backupThenEMovesOn(e: string, setup: ClientSetup, d: DaemonHandle): Promise<string> {
    const backup = path.join(tempDir('zync-bak-'), 'docs');
    await cp(setup.dirs.docs!, backup, { recursive: true, preserveTimestamps: true });
    await writeFile(path.join(e, 'f1.txt'), 'file 1 v2 (E, newer)\n');
    await writeFile(path.join(e, 'f5.txt'), 'file 5 (E, newer)\n');
    await waitForDaemonToSee(d, 'docs', e);
    expect((await runClientOnce(setup)).code).toBe(0);
    return backup;
  }

  async function runningClientHoldsItGone(e: string, d: DaemonHandle, tag: string): Promise<void> {
    await writeFile(path.join(e, `wake-${tag}.txt`), 'wake\n');
    await waitForDaemonToSee(d, 'docs', e);
    await waitFor(() => GONE.test(client!.stderr()), { timeoutMs: 30_000, what: 'the pass that holds the root as gone' });
  }

  async function startRunningClient(setup: ClientSetup): Promise<void> {
    client = spawnClient(setup, ['--interval', '600']);
    await waitFor(() => /pull: .*up to date/.test(client!.stderr()), { what: "the running client's first pass" });
  }

  /** R, once caught up, holds E's newer files: none of the backup's older content went anywhere. */
  async function expectEsNewerFiles(docs: string): Promise<void> {
    expect(await readFile(path.join(docs, 'f1.txt'), 'utf8')).toBe('file 1 v2 (E, newer)\n');
    expect(await readFile(path.join(docs, 'f5.txt'), 'utf8')).toBe('file 5 (E, newer)\n');
  }

  it('an older backup restored after the running client held the root: an upload handed over before its next pass sends none of it, and R is fetched again', async () => {
    const { e, setup, docs, d } = await pair(4);
    const backup = await backupThenEMovesOn(e, setup, d);
    await startRunningClient(setup);
    await rm(docs, { recursive: true });
    await runningClientHoldsItGone(e, d, 'a');
    await cp(backup, docs, { recursive: true, preserveTimestamps: true });
    const up = await runUpstream(setup);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(await listSessions(d), 'nothing of the backup staged on E').toEqual([]);
    expect(up.stderr + client!.stderr()).toMatch(STRANGER);
    await expectEsNewerFiles(docs);
    expect(await readFile(path.join(e, 'f1.txt'), 'utf8')).toBe('file 1 v2 (E, newer)\n');
    expect(existsSync(path.join(e, 'f5.txt'))).toBe(true);
  });

  it("an empty directory made after an rm -rf under the running client, and a new file in it: an upload stages no deletion of E's files", async () => {
    const { e, setup, docs, d } = await pair(4);
    await startRunningClient(setup);
    await rm(docs, { recursive: true });
    await runningClientHoldsItGone(e, d, 'a');
    await mkdir(docs);
    await writeFile(path.join(docs, 'notes.txt'), 'new on R\n');
    const up = await runUpstream(setup);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    // R's new file may go up (after the resync it is R's own); E's files are not deleted.
    expect(up.stdout).not.toMatch(/[1-9]\d* deleted/);
    for (const session of await listSessions(d)) expect(session.file_count).toBe(1);
    for (let i = 1; i <= 4; i++) expect(await readFile(path.join(docs, `f${i}.txt`), 'utf8')).toBe(`file ${i} v1\n`);
  });

  it.each([
    { name: 'held by a running client, then the client stopped', held: true },
    { name: 'removed while no client ran', held: false },
  ])('an older backup restored at the place and the client started: R gets E\'s newer files and the upload sends nothing ($name)', async ({ held }) => {
    const { e, setup, docs, d } = await pair(4);
    const backup = await backupThenEMovesOn(e, setup, d);
    if (held) await startRunningClient(setup);
    await rm(docs, { recursive: true });
    if (held) {
      await runningClientHoldsItGone(e, d, 'a');
      await client!.stop('SIGTERM');
      client = undefined;
    }
    await cp(backup, docs, { recursive: true, preserveTimestamps: true });
    const again = await runClientOnce(setup);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(STRANGER);
    await expectEsNewerFiles(docs);
    const up = await runUpstream(setup);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(await listSessions(d)).toEqual([]);
  });

  it("the tree that went, moved back after R edited most of its files: R's edits stay R's (no conflict copies) and go upstream", async () => {
    const { e, setup, docs, d } = await pair(2);
    await writeFile(path.join(docs, 'f1.txt'), 'R edit before the move\n');
    await startRunningClient(setup);
    const moved = path.join(path.dirname(docs), 'documents');
    await rename(docs, moved);
    await runningClientHoldsItGone(e, d, 'a');
    await writeFile(path.join(moved, 'f2.txt'), 'R edit while moved\n');
    await rename(moved, docs);
    await writeFile(path.join(e, 'wake-b.txt'), 'wake\n');
    await waitForDaemonToSee(d, 'docs', e);
    await waitFor(() => existsSync(path.join(docs, 'wake-b.txt')), { timeoutMs: 30_000, what: 'the client caught up with the root back' });
    expect(client!.stderr()).not.toMatch(/taken for another directory|is not the directory R synced/);
    expect(await conflictCopies(docs)).toEqual([]);
    expect(await readFile(path.join(docs, 'f1.txt'), 'utf8')).toBe('R edit before the move\n');
    expect(await readFile(path.join(docs, 'f2.txt'), 'utf8')).toBe('R edit while moved\n');
    await client!.stop('SIGTERM');
    client = undefined;
    const up = await runUpstream(setup);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toMatch(/0 added, 2 modified, 0 deleted/);
  });

  it('a symbolic link put at the place of a root moved away: said as a link and held (nothing written through it), caught up once the directory is back', async () => {
    const { e, setup, docs, d } = await pair(4);
    await startRunningClient(setup);
    const moved = path.join(path.dirname(docs), 'documents');
    await rename(docs, moved);
    await runningClientHoldsItGone(e, d, 'a');
    await symlink(moved, docs);
    await writeFile(path.join(e, 'f2.txt'), 'file 2 v2 on E\n');
    await waitForDaemonToSee(d, 'docs', e);
    await waitFor(() => /WARN.*"docs" \([^)]*\) is now a symbolic link, not a directory/.test(client!.stderr()), { timeoutMs: 30_000, what: 'the link said' });
    expect(client!.stderr()).not.toMatch(/PATH_CLASH|is back/);
    expect(await readFile(path.join(moved, 'f2.txt'), 'utf8')).toBe('file 2 v1\n');
    await rm(docs);
    await rename(moved, docs);
    await writeFile(path.join(e, 'wake-b.txt'), 'wake\n');
    await waitForDaemonToSee(d, 'docs', e);
    // Said once the pass that has it back ends.
    await waitFor(() => /"docs" \([^)]*\) is back/.test(client!.stderr()), { timeoutMs: 30_000, what: 'the client caught up with the root back' });
    expect(await readFile(path.join(docs, 'wake-b.txt'), 'utf8')).toBe('wake\n');
    expect(await readFile(path.join(docs, 'f2.txt'), 'utf8')).toBe('file 2 v2 on E\n');
    expect(client!.stderr()).not.toMatch(/PATH_CLASH/);
  });
});
