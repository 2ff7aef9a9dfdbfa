// The daemon is restarted while E's disk under its state database is full, and its start-up
// scan finds changes made while it was down. It starts anyway, as a running daemon carries on:
// it serves what it logged, says once (the DISK_FULL sentence) that E's changes since cannot be
// logged until there is room, tells clients so (unlogged_changes), and logs them by itself once
// space is freed. Before, it refused to start (exit 7) until someone freed space and started it again.
import { rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameTree, startDaemon, tempDir, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from './tmpfs.js';

const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`disk-full-restart: skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)("the daemon restarted while E's state disk is full", () => {
  let disk: Tmpfs;
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    disk = mountTmpfs(8);
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    for (let i = 0; i < 20; i++) await writeFile(path.join(e, `logged-${i}.txt`), `logged before the restart ${i}\n`);
    daemon = await startDaemon({ dirs: { docs: e }, db: path.join(disk.dir, 'sync.db'), args: ['--compact-interval', '0'] });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    await waitForDaemonToSee(daemon, 'docs', e);
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
  });
  afterAll(async () => {
    await daemon?.stop();
    disk?.unmount();
  });

  it('starts, serves what it logged, says once what waits, and logs it once there is room', async () => {
    await daemon.stop();
    // While it is down: E changes, adds and deletes; then the state disk fills to the last byte.
    for (let i = 0; i < 200; i++) await writeFile(path.join(e, `new-${i}.txt`), `new file ${i} `.repeat(200));
    await writeFile(path.join(e, 'logged-0.txt'), 'changed while the daemon was down\n');
    await rm(path.join(e, 'logged-1.txt'));
    // Full but for the room a start needs before it writes: its lock file (a 4 KiB page of the
    // tmpfs) and SQLite's WAL index (32 KiB), without which not even a read is possible.
    const filler = path.join(disk.dir, 'filler.bin');
    await writeRandomFile(filler, disk.freeBytes() - 36 * 1024);

    daemon = await startDaemon({ dirs: { docs: e }, db: daemon.db, args: ['--compact-interval', '0'] });
    setup = { ...setup, daemon };
    const waits = new RegExp(
      `E's disk is full: the daemon cannot write its state database ${escape(daemon.db)}, so it cannot record the changes made in the roots while it was stopped \\(it serves what it logged before, and logs them once there is room\\)\\. Free space on the file system that holds ${escape(disk.dir)} \\(df ${escape(disk.dir)}\\); the daemon carries on by itself once there is room, no restart needed\\.`,
      'g',
    );
    expect(daemon.stderr().match(waits), daemon.stderr()).toHaveLength(1);
    expect(daemon.stderr()).toMatch(/DISK_FULL/);
    expect(daemon.stderr()).not.toMatch(/database or disk is full|did not start|failed to record/);

    // R pulls what E logged before, and is told E has changes it cannot log yet.
    const during = await runClientOnce(setup);
    expect(during.code, during.stderr).toBe(0);
    expect(during.stderr).toMatch(/, up to date with E's log \(E has changes it cannot log yet\)/);

    // Space freed: the same daemon logs what waited (deletion included), no restart, and R catches up.
    await rm(filler);
    await waitFor(() => /E's disk has room again/.test(daemon.stderr()), { what: 'the daemon to write its database again', timeoutMs: 60_000 });
    await waitForDaemonToSee(daemon, 'docs', e, 60_000);
    const after = await runClientOnce(setup);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).not.toMatch(/cannot log yet/);
    expect(after.stderr).toMatch(/, up to date\n/);
    expect(await sameTree(e, r)).toBe(true);
    expect(daemon.stderr().match(waits)).toHaveLength(1);
    expect(daemon.proc.exitCode).toBeNull();
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
