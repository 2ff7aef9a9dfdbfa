// The tunnel fails: a TCP proxy between zync-client and zync-daemon (the SSH tunnel) is cut
// during a 200 MiB transfer, and later stalls — holding the connection open while forwarding
// nothing, as a tunnel over a dead network does. Heartbeats notice the stall on both sides within
// seconds; the continuous client reconnects by itself and converges. R never holds a partial
// file at any moment. The measured figures are printed for the closing note.
import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findTempFiles,
  sameTree,
  sha256File,
  spawnCli,
  startDaemon,
  tempDir,
  waitFor,
  writeRandomFile,
  type DaemonHandle,
  type SpawnedCli,
} from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';

const MiB = 1024 * 1024;

/** Watches R's copies of big files: one that exists with the wrong size is a partial file. */
function watchForPartials(files: { abs: string; size: () => number }[]) {
  const seen: string[] = [];
  const timer = setInterval(() => {
    for (const f of files) {
      try {
        const size = statSync(f.abs).size;
        if (size !== f.size()) seen.push(`${f.abs}: ${size} bytes, expected ${f.size()}`);
      } catch {
        // absent: fine
      }
    }
  }, 5);
  return {
    violations: seen,
    stop: () => clearInterval(timer),
  };
}

/** Milliseconds from `since` until `check` holds, polling every 5 ms. */
async function timeUntil(since: number, check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<number> {
  await waitFor(check, { timeoutMs, intervalMs: 5, what });
  return Date.now() - since;
}

describe('a tunnel that is cut or stalls', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let proxy: TcpProxy;
  let client: SpawnedCli;
  const sizes = new Map<string, number>([['big.bin', 200 * MiB], ['big2.bin', 120 * MiB]]);
  let monitor: ReturnType<typeof watchForPartials>;
  const figures: string[] = [];

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeFile(path.join(e, 'small.txt'), 'small\n');
    await writeRandomFile(path.join(e, 'big.bin'), sizes.get('big.bin')!);
    daemon = await startDaemon({ dirs: { docs: e } });
    proxy = await startProxy({ targetPort: daemon.port });
    monitor = watchForPartials([...sizes.keys()].map((name) => ({ abs: path.join(r, name), size: () => sizes.get(name)! })));
    client = spawnCli('client', [
      '--server', proxy.url,
      '--token', daemon.token,
      '--db', path.join(tempDir('zync-rstate-'), 'sync_client.db'),
      '--dirs', `docs:${r}`,
      '--interval', '600',
    ]);
  });
  afterAll(async () => {
    monitor?.stop();
    await client?.stop('SIGKILL');
    await proxy?.close();
    await daemon?.stop();
    if (figures.length) console.log(`\n[tunnel figures]\n${figures.join('\n')}\n`);
  });

  it('a cut during a 200 MiB transfer: the client reconnects, resumes and converges', async () => {
    await waitFor(() => proxy.bytes.toClient > 40 * MiB, { timeoutMs: 60_000, intervalMs: 2, what: 'the transfer to be under way' });
    expect(statSync(path.join(r, 'big.bin'), { throwIfNoEntry: false })).toBeUndefined();
    proxy.cut();
    const forwardedAtCut = proxy.bytes.toClient;
    // The client notices at once (the socket closes) and fails to reconnect while the tunnel is down.
    await waitFor(() => /Retrying in/.test(client.stderr()), { timeoutMs: 20_000, what: 'a failed reconnect attempt' });
    expect(statSync(path.join(r, 'big.bin'), { throwIfNoEntry: false })).toBeUndefined();
    const accepted = proxy.counters.accepted;
    const restoredAt = Date.now();
    proxy.restore();
    const reconnectMs = await timeUntil(restoredAt, () => proxy.counters.accepted > accepted, 'the client to reconnect');
    const expected = await sha256File(path.join(e, 'big.bin'));
    const convergeMs = await timeUntil(
      restoredAt,
      () => statSync(path.join(r, 'big.bin'), { throwIfNoEntry: false })?.size === sizes.get('big.bin'),
      'big.bin on R',
    );
    expect(await sha256File(path.join(r, 'big.bin'))).toBe(expected);
    expect(await sameTree(r, e)).toBe(true);
    expect(client.proc.exitCode).toBeNull();
    figures.push(
      `cut after ${(forwardedAtCut / MiB).toFixed(0)} MiB of 200 MiB: reconnected ${reconnectMs} ms after the tunnel was restored; ` +
        `converged (200 MiB downloaded again) ${convergeMs} ms after the restore`,
    );
  });

  it('a stall (open but silent) during a transfer: both sides notice within seconds; after unstall the client converges', async () => {
    await waitFor(() => /up to date/.test(client.stderr()), { timeoutMs: 10_000, what: 'a finished pass' });
    const logBefore = client.stderr().length;
    const daemonLogBefore = daemon.stderr().length;
    const before = proxy.bytes.toClient;
    await writeRandomFile(path.join(e, 'big2.bin'), sizes.get('big2.bin')!);
    await waitFor(() => proxy.bytes.toClient - before > 30 * MiB, { timeoutMs: 60_000, intervalMs: 2, what: 'big2.bin to be under way' });
    const stalledAt = Date.now();
    proxy.stall();
    const [clientDetectMs, daemonDetectMs] = await Promise.all([
      timeUntil(stalledAt, () => client.stderr().slice(logBefore).includes('went silent'), 'the client to notice the stall', 20_000),
      timeUntil(stalledAt, () => daemon.stderr().slice(daemonLogBefore).includes('went silent'), 'the daemon to notice the stall', 20_000),
    ]);
    expect(clientDetectMs).toBeLessThan(10_000);
    expect(daemonDetectMs).toBeLessThan(10_000);
    // While stalled, a change on E waits; nothing partial appears on R.
    await writeFile(path.join(e, 'during-stall.txt'), 'written while the tunnel was stalled\n');
    const unstalledAt = Date.now();
    proxy.unstall();
    const convergeMs = await timeUntil(unstalledAt, () => sameTree(r, e), 'R to converge after the stall');
    expect(client.proc.exitCode).toBeNull();
    figures.push(
      `stall: the client noticed after ${clientDetectMs} ms, the daemon after ${daemonDetectMs} ms; ` +
        `converged ${convergeMs} ms after unstall (120 MiB file)`,
    );
  });

  it('no partial file was ever visible on R, and no temp file is left', async () => {
    monitor.stop();
    expect(monitor.violations).toEqual([]);
    expect(await findTempFiles(r)).toEqual([]);
  });
});
