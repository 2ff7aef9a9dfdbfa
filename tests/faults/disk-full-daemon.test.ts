// E's disk fills up under the daemon's state database (SQLITE_FULL). The daemon says so with
// DISK_FULL and a sentence naming the state database's file system in its log, while a client
// still pulls what was logged; once space is freed it records the changes it could not and R
// catches up, with no restart.
import { rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameTree, startDaemon, tempDir, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from './tmpfs.js';

const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`disk-full-daemon: skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)("E's disk full under the daemon's state database", () => {
  let disk: Tmpfs;
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    disk = mountTmpfs(8);
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeFile(path.join(e, 'first.txt'), 'from E\n');
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

  it('says DISK_FULL with what to free, and catches up once there is room, without a restart', async () => {
    // Fill the state database's file system to the last byte.
    const filler = path.join(disk.dir, 'filler.bin');
    await writeRandomFile(filler, disk.freeBytes()).catch(() => undefined);
    const before = daemon.stderr().length;
    for (let i = 0; i < 200; i++) await writeFile(path.join(e, `new-${i}.txt`), `new file ${i} `.repeat(200));

    // The daemon's log: one sentence with the code, naming the state database's directory, once.
    const advice = new RegExp(`E's disk is full: the daemon cannot write its state database ${escape(daemon.db)}\\. Free space on the file system that holds ${escape(disk.dir)}`);
    await waitFor(() => advice.test(daemon.stderr().slice(before)), { what: 'the daemon to say its disk is full', timeoutMs: 30_000 });
    expect(daemon.stderr().slice(before)).toMatch(/DISK_FULL/);
    expect(daemon.stderr().slice(before)).not.toMatch(/database or disk is full|request failed/);

    // A client pulls what E logged: serving it needs no room (disk-full-pull.test.ts).
    const during = await runClientOnce(setup);
    expect(during.code, during.stderr).toBe(0);
    expect(during.stderr).not.toMatch(/see its log|unexpected/);
    // R is up to date with E's log, not with E's tree: said once, plainly (before: "up to date").
    expect(during.stderr.match(/E has changes it cannot log yet \(E's disk is full\); they follow when E has room\./g), during.stderr).toHaveLength(1);
    expect(during.stderr).toMatch(/, up to date with E's log \(E has changes it cannot log yet\)/);
    expect(advice.test(daemon.stderr().slice(before).replace(advice, ''))).toBe(false); // said once, not per failure

    // Space freed: the same daemon records what waited and R catches up.
    await rm(filler);
    await waitFor(() => /E's disk has room again/.test(daemon.stderr().slice(before)), { what: 'the daemon to write its database again', timeoutMs: 60_000 });
    await waitForDaemonToSee(daemon, 'docs', e, 60_000);
    const after = await runClientOnce(setup);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).not.toMatch(/cannot log yet/);
    expect(after.stderr).toMatch(/, up to date\n/);
    expect(await sameTree(e, r)).toBe(true);
    expect(daemon.proc.exitCode).toBeNull();
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
