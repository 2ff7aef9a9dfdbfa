// The disk holding a running client's state database fills up (something else on R filled it)
// while E keeps changing files. Before, each pass failed at once, the client reconnected and the
// new connection reset the backoff: 4-5 connections a second for as long as the disk stayed
// full, each a WARN on R advising to "run again" (the client runs on by itself) and a connection
// logged on E. Now the client stays connected and tries again with a growing delay, warns once
// with advice that fits a running client, says the repeats at debug, and one line when the
// database has room again; then R converges.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameTree, startDaemon, tempDir, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { spawnClient, stateDb, type ClientSetup } from '../client/support.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from './tmpfs.js';

const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`disk-full-state-running: skipped: ${unavailable}`);

const STATE_FULL = /No space left on R's disk for the client database [^\n]*; free some space there: zync-client tries again by itself \(next in (\d+) s, then less often, at least once a minute\)\./g;

describe.skipIf(unavailable !== null)("a running client's state disk full", () => {
  let disk: Tmpfs;
  let e: string;
  let daemon: DaemonHandle;

  beforeAll(async () => {
    disk = mountTmpfs(16);
    e = tempDir('zync-e-');
    await writeFile(path.join(e, 'a.txt'), 'hi\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
  });
  afterAll(async () => {
    await daemon?.stop();
    disk?.unmount();
  });

  it('stays connected, retries less and less often, says it once, and converges once there is room', async () => {
    // R's root on another disk: only the client database runs out of room.
    const r = tempDir('zync-r-');
    await mkdir(path.join(disk.dir, 'state'));
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(disk.dir, 'state', 'sync_client.db') };
    const client = spawnClient(setup, ['--interval', '60', '--log-level', 'debug']);
    await waitFor(() => sameTree(e, r), { what: 'the first sync' });
    const connected = () => (daemon.stderr().match(/client connected/g) ?? []).length;
    const connections = connected();

    const filler = path.join(disk.dir, 'filler.bin');
    await writeRandomFile(filler, disk.freeBytes()).catch(() => undefined);
    for (let i = 0; i < 100; i++) await writeFile(path.join(e, `c${i}.txt`), `E change ${i}\n`);
    // The first attempt and two more, 2 s then 4 s later: E's pushes meanwhile do not make passes.
    const said = () => [...client.stderr().matchAll(STATE_FULL)];
    await waitFor(() => said().length >= 3, { timeoutMs: 30_000, what: 'three attempts on the full state disk' });
    for (let i = 100; i < 110; i++) await writeFile(path.join(e, `c${i}.txt`), `E change ${i}\n`);

    const stderr = client.stderr();
    expect(said().slice(0, 3).map((m) => m[1])).toEqual(['2', '4', '8']);
    expect(stderr.match(/WARN[^\n]*No space left on R's disk for the client database/g), stderr).toHaveLength(1);
    expect(stderr).not.toMatch(/run again/);
    // One connection all along: before, one more per failed pass.
    expect(connected()).toBe(connections);
    expect(client.proc.exitCode).toBeNull();

    await rm(filler);
    // R's root is elsewhere: E's files may be there already, waiting to be recorded.
    const roomAgain = () => client.stderr().match(/R's disk has room for the client database again/g) ?? [];
    await waitFor(() => roomAgain().length > 0, { timeoutMs: 60_000, what: 'the client database to have room again' });
    await waitFor(() => sameTree(e, r), { what: 'R to converge' });
    expect(roomAgain()).toHaveLength(1);
    expect(connected()).toBe(connections);
    expect(await client.stop('SIGTERM'), client.stderr()).toBe(0);
  });
});
