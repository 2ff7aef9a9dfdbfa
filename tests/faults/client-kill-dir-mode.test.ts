// kill -9 of zync-client while a batch writes into a directory E holds read-only (0555): the batch
// opened it to 0755 for its owner and would have given the mode back at its end. The restarted
// client gives it back before anything else — before a pull (`--once`) and before
// `--update-upstream` — so R does not keep 0755 for good while its record and E say 0555. Before,
// which directories were opened was held in memory only, and `--once` then said "up to date".
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameTree, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { runClientOnce, spawnClient, stateDb, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { runUpstream } from '../upstream/support.js';

const modeOf = async (file: string) => (await stat(file)).mode & 0o7777;

describe('zync-client killed while a batch writes into a read-only directory', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let proxy: TcpProxy;
  let setup: ClientSetup;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await mkdir(path.join(e, 'ro'));
    await writeFile(path.join(e, 'ro/a.txt'), 'a\n');
    await chmod(path.join(e, 'ro'), 0o555);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    // Latency on every chunk: the batch holds the directory open long enough to be caught at it.
    proxy = await startProxy({ targetPort: daemon.port, delayMs: 200 });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    await waitForDaemonToSee(daemon, 'docs', e);
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
    expect(await modeOf(path.join(r, 'ro'))).toBe(0o555);
  });
  afterAll(async () => {
    await proxy?.close();
    await chmod(path.join(e, 'ro'), 0o755).catch(() => undefined);
    await daemon?.stop();
  });

  /** E gets a new file in ro (written as root, E's mode unchanged); a client is killed mid-batch. */
  const killWhileOpened = async (name: string) => {
    await writeFile(path.join(e, 'ro', name), `${name}\n`);
    await waitForDaemonToSee(daemon, 'docs', e);
    const client = spawnClient({ ...setup, daemon: { ...daemon, url: proxy.url } });
    try {
      await waitFor(async () => (await modeOf(path.join(r, 'ro'))) === 0o755, { timeoutMs: 30_000, intervalMs: 1, what: 'ro opened by the batch' });
      proxy.stall();
      expect(await modeOf(path.join(r, 'ro')), 'the batch ended before the kill').toBe(0o755);
      expect(await client.kill9()).toBe('SIGKILL');
    } finally {
      proxy.unstall();
      await client.stop('SIGKILL');
    }
    expect(await modeOf(path.join(r, 'ro'))).toBe(0o755);
  };

  it("the next --once gives the directory E's mode back", async () => {
    await killWhileOpened('b.txt');
    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(await modeOf(path.join(r, 'ro'))).toBe(0o555);
    expect(result.stderr).toMatch(/gave 1 directory mode\(s\) back that an interrupted run had opened/);
    // Given back from the note alone: no resync, only the file the kill cut short downloaded.
    expect(result.stderr).not.toMatch(/full resync/);
    expect(result.stderr).toMatch(/pull: 1 file\(s\) downloaded/);
    await expectSameTree(r, e);
  });

  it('--update-upstream first gives it back, and sends nothing (the killed batch: a pull first, exit 13)', async () => {
    await killWhileOpened('c.txt');
    const refused = await runUpstream(setup);
    expect(refused.code, refused.stderr).toBe(13);
    expect(refused.stderr).toMatch(/A pull was stopped abruptly \(killed\)/);
    expect(await modeOf(path.join(r, 'ro'))).toBe(0o555);
    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(await modeOf(path.join(r, 'ro'))).toBe(0o555);
    await expectSameTree(r, e);
    const staged = await runUpstream(setup);
    expect(staged.code, staged.stderr).toBe(0);
    expect(staged.stdout + staged.stderr).toMatch(/Nothing to send upstream/);
  });
});
