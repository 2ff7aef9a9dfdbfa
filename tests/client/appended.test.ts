// A large file E appends to (a log) reaches R as its new bytes only: R extends its own copy,
// unchanged since it received it, with what E asks after it, and verifies the whole before placing
// it (rsync's --append-verify). Before, every version crossed whole: a 97 MiB log appended once a
// second sent ~2.8 GiB in 30 s. A file E rewrote before R's end is fetched whole instead, never
// placed wrong; a file R edited is kept as a conflict copy as for any change of E's.
import { appendFile, chmod, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameTree, findTempFiles, sameTree, startDaemon, tempDir, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { conflictCopies, runClientOnce, spawnClient, stateDb, waitForDaemonToSee, type ClientSetup } from './support.js';

const MiB = 1024 * 1024;
const SIZE = 20 * MiB;

describe('a file E appended to', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let proxy: TcpProxy;
  let setup: ClientSetup;
  const log = () => path.join(e, 'logs/app.log');

  /** Runs the client once through the proxy; returns its stderr and the bytes E sent it. */
  const pull = async () => {
    const before = proxy.bytes.toClient;
    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    return { stderr: result.stderr, crossed: proxy.bytes.toClient - before };
  };

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeRandomFile(log(), SIZE);
    // Read-only, as some loggers leave rotated files: R's copy must still be extended.
    await chmod(log(), 0o444);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    proxy = await startProxy({ targetPort: daemon.port });
    setup = { daemon: { ...daemon, url: proxy.url }, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    await pull();
    await expectSameTree(r, e);
  });
  afterAll(async () => {
    await proxy?.close();
    await daemon?.stop();
  });

  const appendOnE = async (text: string) => {
    await chmod(log(), 0o644);
    await appendFile(log(), text);
    await chmod(log(), 0o444);
    await waitForDaemonToSee(daemon, 'docs', e);
  };

  it('crosses as its appended bytes only, and R ends with E’s file byte for byte', async () => {
    await appendOnE('x'.repeat(10_000) + '\n');
    const { stderr, crossed } = await pull();
    await expectSameTree(r, e);
    expect(stderr).toContain("1 file(s) downloaded (0.0 MiB, 1 extended from R's copy)");
    // The appended bytes, the protocol around them: far from the 20 MiB of the whole file.
    expect(crossed).toBeLessThan(MiB);
    expect(await findTempFiles(r)).toEqual([]);
  });

  it('is downloaded whole when E rewrote it before R’s end as it grew, and R still ends with E’s file', async () => {
    await chmod(log(), 0o644);
    const handle = await open(log(), 'r+');
    await handle.write(randomBytes(4096), 0, 4096, 10 * MiB);
    await handle.close();
    await appendOnE('y'.repeat(5_000) + '\n');
    const { stderr, crossed } = await pull();
    await expectSameTree(r, e);
    expect(stderr).toMatch(/docs\/logs\/app\.log changed on E before the bytes R holds; downloading it whole/);
    expect(stderr).toMatch(/1 file\(s\) downloaded \(20\.\d MiB\)/);
    expect(crossed).toBeGreaterThan(SIZE);
    expect(await conflictCopies(r)).toEqual([]);
    expect(await findTempFiles(r)).toEqual([]);
  });

  it('R’s own edit of it is kept as a conflict copy, and R takes E’s version', async () => {
    const onR = path.join(r, 'logs/app.log');
    // As an editor saves: a new file renamed over R's copy (read-only, as E's).
    const rEdit = Buffer.concat([await readFile(onR), Buffer.from('a line R wrote\n')]);
    await writeFile(`${onR}.new`, rEdit, { mode: 0o444 });
    await rename(`${onR}.new`, onR);
    await appendOnE('z'.repeat(3_000) + '\n');
    const { stderr } = await pull();
    expect(stderr).toMatch(/1 conflict\(s\)/);
    expect(stderr).not.toMatch(/extended from R's copy/);
    const copies = await conflictCopies(r);
    expect(copies).toHaveLength(1);
    expect((await readFile(path.join(r, copies[0]!))).equals(rEdit)).toBe(true);
    expect((await readFile(onR)).equals(await readFile(log()))).toBe(true);
  });

  it('cut short while E’s new bytes arrive, resumes after them, still from R’s copy', async () => {
    const added = 48 * MiB;
    const held = (await stat(log())).size;
    await chmod(log(), 0o644);
    const more = path.join(tempDir('zync-more-'), 'more.bin');
    await writeRandomFile(more, added);
    await appendFile(log(), await readFile(more));
    await chmod(log(), 0o444);
    await waitForDaemonToSee(daemon, 'docs', e);
    const before = proxy.bytes.toClient;
    const client = spawnClient(setup, ['--log-level', 'debug']);
    try {
      await waitFor(() => proxy.bytes.toClient - before > added / 2, { timeoutMs: 60_000, intervalMs: 1, what: 'half the new bytes through the proxy' });
      proxy.cut();
      proxy.restore();
      await waitFor(() => sameTree(r, e), { timeoutMs: 90_000, what: 'R to hold E’s file' });
      // The kept temp file starts with R's copy: R's bytes never crossed again.
      expect(client.stderr()).toContain(`fetching docs/logs/app.log after the ${held} bytes R holds`);
      const resumedAt = Number(/resuming docs\/logs\/app\.log after (\d+) of/.exec(client.stderr())?.[1]);
      expect(resumedAt, client.stderr()).toBeGreaterThan(held);
      const total = (await stat(log())).size;
      const crossed = `${((total - resumedAt) / MiB).toFixed(1)} MiB, 1 resumed`;
      await waitFor(() => client.stderr().includes(`1 file(s) downloaded (${crossed})`), { what: `the pass line with ${crossed}` });
      await waitFor(async () => (await findTempFiles(r)).length === 0, { what: 'no temp file left' });
    } finally {
      await client.stop('SIGTERM');
    }
  });
});
