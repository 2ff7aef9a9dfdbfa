// zync-client without --once: a file written on E appears on R (pushed, polled with a deadline);
// after the daemon restarts, the client reconnects by itself and converges; SIGTERM stops it
// cleanly, leaving no temp files.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findTempFiles,
  sameTree,
  sha256File,
  startDaemon,
  tempDir,
  waitFor,
  writeRandomFile,
  type DaemonHandle,
  type SpawnedCli,
} from '../helpers/index.js';
import { spawnClient, stateDb, writeTree, type ClientSetup } from './support.js';

describe('zync-client (continuous)', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let client: SpawnedCli;
  let setup: ClientSetup;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeTree(e, 50, 10);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    // A long interval: anything that shows up quickly came from a push, not the timer.
    client = spawnClient(setup, ['--interval', '600']);
    await waitFor(() => sameTree(r, e), { timeoutMs: 30_000, what: 'the initial sync' });
  });
  afterAll(async () => {
    await client?.stop('SIGKILL');
    await daemon?.stop();
  });

  it('pulls a file written on E soon after the daemon logs it', async () => {
    const file = path.join(e, 'fresh/new-file.txt');
    await writeRandomFile(file, 4096);
    const expected = await sha256File(file);
    await waitFor(async () => (await sha256File(path.join(r, 'fresh/new-file.txt')).catch(() => null)) === expected, {
      timeoutMs: 10_000,
      what: 'the new file on R',
    });
  });

  it('reconnects by itself after the daemon restarts, and converges', async () => {
    await daemon.stop('SIGTERM');
    await writeFile(path.join(e, 'while-down.txt'), 'written while the daemon was down\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: daemon.db, port: daemon.port });
    await writeFile(path.join(e, 'after-restart.txt'), 'written after the restart\n');
    await waitFor(() => sameTree(r, e), { timeoutMs: 30_000, what: 'R to converge after the restart' });
    expect(client.proc.exitCode).toBeNull();
    expect(client.stderr()).toMatch(/reconnecting in/);
    // Same database, same log: the client resumed from its acknowledgement, no resync.
    expect(client.stderr().match(/full resync/g)).toHaveLength(1);
  });

  it('stops on SIGTERM with exit code 0 and no temp files', async () => {
    const code = await client.stop('SIGTERM');
    expect(code, client.stderr()).toBe(0);
    expect(await findTempFiles(r)).toEqual([]);
  });

  // Closing the SSH session that started the client sends SIGHUP (before: exit 129, no word, lock left).
  it('stops on SIGHUP as on SIGTERM: exit code 0, one line, no temp files, its lock gone', async () => {
    const again = spawnClient(setup, ['--interval', '600']);
    await waitFor(() => again.stderr().includes('connected to '), { timeoutMs: 30_000, what: 'the client to connect' });
    expect(await again.stop('SIGHUP'), again.stderr()).toBe(0);
    expect(again.stderr()).toContain('SIGHUP: stopping');
    expect(await findTempFiles(r)).toEqual([]);
    expect(existsSync(`${setup.db}.lock`)).toBe(false);
  });
});
