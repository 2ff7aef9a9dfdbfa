// E's disk under the daemon's state database fills while zync-apply applies a session: SQLite
// refuses to record an entry. zync-apply says so in the daemon's words (DISK_FULL, exit code 7,
// the file system to free, the command to run again), leaves no temp file in E's tree, and the
// same command finishes the session once there is room. Before: exit code 1 with INTERNAL
// "Could not apply … (SQLITE_FULL: database or disk is full)", which read as a bug.
import { readdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findTempFiles, sameTree, startDaemon, tempDir, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { listSessions, runApply, runUpstream, stagingIdFrom } from '../upstream/support.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from './tmpfs.js';

const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`disk-full-apply-entry: skipped: ${unavailable}`);

const FILES = 200;

describe.skipIf(unavailable !== null)("zync-apply when E's state disk fills during the apply", () => {
  let disk: Tmpfs;
  let daemon: DaemonHandle;
  afterAll(async () => {
    await daemon?.stop();
    disk?.unmount();
  });

  it('says DISK_FULL at the entry it could not record, and a rerun finishes the session once there is room', async () => {
    disk = mountTmpfs(16);
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    await writeFile(path.join(e, 'first.txt'), 'from E\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: path.join(disk.dir, 'sync.db'), args: ['--compact-interval', '0'] });
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    await waitForDaemonToSee(daemon, 'docs', e);
    expect((await runClientOnce(setup)).code).toBe(0);
    for (let i = 0; i < FILES; i++) await writeFile(path.join(r, `from-r-${String(i).padStart(3, '0')}.txt`), `new on R ${i}\n`);
    const up = await runUpstream(setup);
    expect(up.code, up.stderr).toBe(0);
    const id = stagingIdFrom(up.stdout);
    // Only zync-apply writes the database from here: the daemon's own logging of what it writes
    // would race it for the last bytes.
    await daemon.stop();

    // Room to open the database and begin (lock files, SQLite's WAL index), not for every entry.
    const filler = path.join(disk.dir, 'filler.bin');
    await writeRandomFile(filler, disk.freeBytes() - 96 * 1024);
    const full = await runApply(daemon, ['apply', id, '--non-interactive']);
    expect(full.code, full.stderr).toBe(7);
    const sentence = new RegExp(
      `^zync-apply: E's disk is full: zync-apply cannot record docs/from-r-\\d{3}\\.txt in the daemon's state database ${escape(daemon.db)}, so the apply stopped there \\(the entries before it were applied, and the rerun records what was done for it\\)\\. Free space on the file system that holds ${escape(disk.dir)} \\(df ${escape(disk.dir)}\\); then run zync-apply --db ${escape(daemon.db)} apply ${id} again\\.$`,
    );
    expect(full.stderr.trim()).toMatch(sentence);
    expect(await findTempFiles(e)).toEqual([]);
    const landed = (await readdir(e)).filter((n) => n.startsWith('from-r-')).length;
    expect(landed).toBeLessThan(FILES);

    await rm(filler);
    const again = await runApply(daemon, ['apply', id, '--non-interactive']);
    expect(again.code, again.stderr).toBe(0);
    expect(await sameTree(e, r)).toBe(true);
    expect((await listSessions(daemon)).find((s) => s.staging_id === id)?.status).toBe('applied');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
