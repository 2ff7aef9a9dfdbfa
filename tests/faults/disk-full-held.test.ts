// Files R deletes for E's deletions are held a few minutes (.zync-tmp-deleted), taking space a
// plain unlink would free. On a small disk, E deleting files and adding others that fit only in
// the space the deleted ones leave must still converge: a full disk releases what is held and
// retries at once, with no DISK_FULL said — in one --once pass, and in a running client that
// pulled the deletions a pass before the additions. A nearly full disk holds nothing at all.
import { readdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sameTree, startDaemon, tempDir, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, spawnClient, stateDb, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from './tmpfs.js';

const MiB = 1024 * 1024;
const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`disk-full-held: skipped: ${unavailable}`);

const heldCount = (r: string) => readdir(path.join(r, '.zync-tmp-deleted')).then((names) => names.length, () => 0);

describe.skipIf(unavailable !== null)("files held after E's deletions on a small disk", () => {
  let disk: Tmpfs;
  let e: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  // 20 MiB for R: four 3 MiB files leave 8 MiB, enough to hold two deleted ones (freeToHold), not
  // enough for three new ones unless those two are released.
  beforeEach(async () => {
    disk = mountTmpfs(20);
    e = tempDir('zync-e-');
    for (const name of ['a', 'b', 'c', 'd']) await writeRandomFile(path.join(e, `${name}.bin`), 3 * MiB);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    setup = { daemon, dirs: { docs: disk.dir }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    await waitForDaemonToSee(daemon, 'docs', e);
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
  });
  afterEach(async () => {
    await daemon?.stop();
    disk?.unmount();
  });

  async function replaceOnE(): Promise<void> {
    await rm(path.join(e, 'a.bin'));
    await rm(path.join(e, 'b.bin'));
    for (const name of ['x', 'y', 'z']) await writeRandomFile(path.join(e, `${name}.bin`), 3 * MiB);
    await waitForDaemonToSee(daemon, 'docs', e);
  }

  it('--once converges in one pass (exit 0) where the deletions and additions meet', async () => {
    await replaceOnE();
    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/DISK_FULL|No space left/);
    expect(await sameTree(disk.dir, e)).toBe(true);
  });

  it('a running client that held the deletions a pass before converges at once, without a warning', async () => {
    const client = spawnClient(setup, ['--interval', '600']);
    try {
      await waitFor(() => /up to date/.test(client.stderr()), { timeoutMs: 30_000, what: 'the client to start' });
      await rm(path.join(e, 'a.bin'));
      await rm(path.join(e, 'b.bin'));
      await waitFor(async () => (await heldCount(disk.dir)) === 2, { timeoutMs: 30_000, what: 'R to hold the two deleted files' });
      for (const name of ['x', 'y', 'z']) await writeRandomFile(path.join(e, `${name}.bin`), 3 * MiB);
      await waitFor(() => sameTree(disk.dir, e), { timeoutMs: 30_000, what: 'R to converge on the new files' });
      expect(client.stderr()).not.toMatch(/DISK_FULL|No space left/);
      expect(await client.stop('SIGTERM'), client.stderr()).toBe(0);
    } finally {
      await client.stop('SIGKILL').catch(() => undefined);
    }
  });

  it('holds nothing on a nearly full disk: a deletion on E frees its space on R at once', async () => {
    await writeRandomFile(path.join(e, 'big.bin'), 5 * MiB);
    await waitForDaemonToSee(daemon, 'docs', e);
    const client = spawnClient(setup, ['--interval', '600']);
    try {
      await waitFor(() => sameTree(disk.dir, e), { timeoutMs: 30_000, what: 'R to get big.bin' });
      const free = disk.freeBytes();
      expect(free).toBeLessThan(4 * MiB);
      await rm(path.join(e, 'a.bin'));
      await waitFor(() => sameTree(disk.dir, e), { timeoutMs: 30_000, what: 'R to pull the deletion' });
      expect(await heldCount(disk.dir)).toBe(0);
      expect(disk.freeBytes()).toBeGreaterThanOrEqual(free + 3 * MiB);
      expect(await client.stop('SIGTERM'), client.stderr()).toBe(0);
    } finally {
      await client.stop('SIGKILL').catch(() => undefined);
    }
  });
});
