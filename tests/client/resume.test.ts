// A large download cut short by a lost connection resumes where it stopped: the continuous
// client reconnects by itself, asks for the rest only, and R ends with E's file byte for byte,
// with no temp file left; the pass counts only the bytes that crossed (before: the whole file). A client stopped while it waits to reconnect leaves no temp file. Without resuming, a flaky tunnel could restart a big file forever.
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameTree, findTempFiles, startDaemon, tempDir, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { spawnClient, stateDb } from './support.js';

const MiB = 1024 * 1024;
const BIG = 160 * MiB;

describe('a download cut short', () => {
  let e: string;
  let daemon: DaemonHandle;
  let proxy: TcpProxy;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    await writeRandomFile(path.join(e, 'media/film.bin'), BIG);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    proxy = await startProxy({ targetPort: daemon.port });
  });
  afterAll(async () => {
    await proxy?.close();
    await daemon?.stop();
  });

  it('resumes after the bytes R already has when the connection comes back', async () => {
    const r = tempDir('zync-r-');
    const client = spawnClient({ daemon: { ...daemon, url: proxy.url }, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') });
    try {
      await waitFor(() => proxy.bytes.toClient > BIG / 2, { timeoutMs: 60_000, intervalMs: 1, what: 'half the file through the proxy' });
      proxy.cut();
      proxy.restore();
      await waitFor(() => expectSameTree(r, e).then(() => true, () => false), { timeoutMs: 90_000, what: 'R to hold the whole file' });
      const resumedAt = Number(/resuming docs\/media\/film\.bin after (\d+) of/.exec(client.stderr())?.[1]);
      expect(resumedAt, client.stderr()).toBeGreaterThan(BIG / 4);
      // The pass counts the bytes that crossed, not the whole file again, and says it resumed.
      const crossed = `${((BIG - resumedAt) / MiB).toFixed(1)} MiB, 1 resumed`;
      await waitFor(() => client.stderr().includes(`1 file(s) downloaded (${crossed})`), { what: `the pass line with ${crossed}` });
      // What crossed the link: the file once, plus little more than what was in flight at the cut.
      expect(proxy.bytes.toClient).toBeLessThan(BIG * 1.25);
      expect(await findTempFiles(r)).toEqual([]);
    } finally {
      await client.stop('SIGTERM');
    }
  });

  it('is not kept when the client is stopped while it waits to reconnect', async () => {
    const r = tempDir('zync-r-');
    const client = spawnClient({ daemon: { ...daemon, url: proxy.url }, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') });
    const before = proxy.bytes.toClient;
    try {
      await waitFor(() => proxy.bytes.toClient - before > BIG / 2, { timeoutMs: 60_000, intervalMs: 1, what: 'half the file through the proxy' });
      proxy.cut(); // and stays cut: the client keeps what it has and retries
      await waitFor(() => /kept \d+ bytes of docs\/media\/film\.bin to resume/.test(client.stderr()), { what: 'the partial download to be kept' });
      expect(await findTempFiles(r)).toHaveLength(1);
      expect(await client.stop('SIGTERM'), client.stderr()).toBe(0);
      expect(await findTempFiles(r)).toEqual([]);
    } finally {
      proxy.restore();
      await client.stop('SIGKILL');
    }
  });
});
