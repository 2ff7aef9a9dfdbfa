// A state disk so full that SQLite cannot even open the database: no room for its WAL index
// (DB-shm, 32 KiB), which SQLite says as SQLITE_IOERR_SHMSIZE ("disk I/O error"), or no inode
// left for it (SQLITE_CANTOPEN, "unable to open database file"). zync-daemon, zync-apply and
// zync-client each say it as the full disk it is, in the words they use for a full disk elsewhere
// (DISK_FULL, exit code 7, what to free). Before: "Cannot open database …: disk I/O error." (or
// "unable to open database file"), exit code 2, as for a --db that is not a database; the client
// said a lock file it could not write in other words than its database's.
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startDaemon, tempDir, writeRandomFile } from '../helpers/index.js';
import { clientArgs, runClientOnce, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from './tmpfs.js';

const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`disk-full-state-open: skipped: ${unavailable}`);

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const errorLines = (stderr: string, program: string) => stderr.split('\n').filter((l) => l.startsWith(`${program}: `));

describe.skipIf(unavailable !== null)('a state disk too full for SQLite to open the database', () => {
  let eDisk: Tmpfs;
  let rDisk: Tmpfs;
  let setup: ClientSetup;
  let daemonArgs: string[];

  beforeAll(async () => {
    eDisk = mountTmpfs(2, 'zync-estate-');
    rDisk = mountTmpfs(2, 'zync-rstate-');
    const e = tempDir('zync-e-');
    await writeRandomFile(path.join(e, 'a.bin'), 4096);
    const daemon = await startDaemon({ dirs: { docs: e }, db: path.join(eDisk.dir, 'sync.db') });
    daemonArgs = ['--host', '127.0.0.1', '--port', '0', '--db', daemon.db, '--token', daemon.token, '--dirs', `docs:${e}`];
    setup = { daemon, dirs: { docs: tempDir('zync-r-') }, db: path.join(rDisk.dir, 'sync_client.db') };
    await waitForDaemonToSee(daemon, 'docs', e);
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
    // Stopped: each program below fails at its start, before any connection.
    await daemon.stop();
  });
  afterAll(() => {
    eDisk?.unmount();
    rDisk?.unmount();
  });

  const expectFullDiskSentences = async (e = true) => {
    const db = setup.daemon.db;
    const dir = eDisk.dir;
    if (e) await expectEFullDiskSentences(db, dir);
    const pulled = await runCli('client', clientArgs(setup, ['--once']), { timeoutMs: 30_000 });
    expect(pulled.code, pulled.stderr).toBe(7);
    expect(errorLines(pulled.stderr, 'zync-client')).toEqual([
      expect.stringMatching(new RegExp(`^zync-client: No space left on R's disk for the client database ${escape(setup.db)}; free some space and run again\\.$`)),
    ]);
  };
  const expectEFullDiskSentences = async (db: string, dir: string) => {
    const started = await runCli('daemon', daemonArgs, { timeoutMs: 30_000 });
    expect(started.code, started.stderr).toBe(7);
    expect(errorLines(started.stderr, 'zync-daemon')).toEqual([
      `zync-daemon: E's disk is full: the daemon cannot write its state database ${db}, so it did not start. Free space on the file system that holds ${dir} (df ${dir}); then start the daemon again.`,
    ]);
    const listed = await runCli('apply', ['--db', db, 'list'], { timeoutMs: 30_000 });
    expect(listed.code, listed.stderr).toBe(7);
    expect(errorLines(listed.stderr, 'zync-apply')).toEqual([
      `zync-apply: E's disk is full: zync-apply cannot open the daemon's state database ${db}, so it changed nothing. Free space on the file system that holds ${dir} (df ${dir}); then run zync-apply again.`,
    ]);
  };

  // These two first, while nothing SQLite makes beside a database is left over from a failed open.
  it("is said by the client as for its database with room for the database's WAL index but not for its lock file", async () => {
    const filler = path.join(rDisk.dir, 'filler.bin');
    await writeRandomFile(filler, rDisk.freeBytes() - 32 * 1024);
    try {
      // Before: "No space left on device while writing the lock file …", other words than the database's.
      await expectFullDiskSentences(false);
    } finally {
      await rm(filler);
    }
  });

  it('is said as a full disk by all three programs with no inode left (SQLITE_CANTOPEN)', async () => {
    eDisk.limitInodes(true);
    rDisk.limitInodes(true);
    try {
      await expectFullDiskSentences();
    } finally {
      eDisk.limitInodes(false);
      rDisk.limitInodes(false);
    }
  });

  it.each([
    { what: 'no room at all', eRoom: 0, rRoom: 0 },
    { what: 'less room than the WAL index needs (SQLITE_IOERR_SHMSIZE)', eRoom: 8 * 1024, rRoom: 8 * 1024 },
  ])('is said as a full disk with $what', async ({ eRoom, rRoom }) => {
    const fillers = [path.join(eDisk.dir, 'filler.bin'), path.join(rDisk.dir, 'filler.bin')];
    await writeRandomFile(fillers[0]!, eDisk.freeBytes() - eRoom);
    await writeRandomFile(fillers[1]!, rDisk.freeBytes() - rRoom);
    try {
      await expectFullDiskSentences();
    } finally {
      for (const filler of fillers) await rm(filler);
    }
  });

  it('opens again once there is room', async () => {
    const listed = await runCli('apply', ['--db', setup.daemon.db, 'list'], { timeoutMs: 30_000 });
    expect(listed.code, listed.stderr).toBe(0);
  });
});
