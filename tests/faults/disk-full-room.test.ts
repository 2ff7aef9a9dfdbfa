// R's disk too small for one large file E adds, while E keeps changing a small one (a log
// appended to): each change E pushes makes a pass. Before, every pass downloaded the whole large
// file again through the tunnel and failed again for lack of room (2.3 GB in 10 s), and said so
// at info each time. Now the file waits for room on R's disk: it does not cross again while R has
// none, the log's changes keep arriving, the full disk is warned of once, and once there is room
// (the tmpfs made bigger) the next pass brings the file, with one line saying so.
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTempFiles, sameTree, sha256File, startDaemon, tempDir, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { spawnClient, stateDb, type ClientSetup } from '../client/support.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from './tmpfs.js';

const MiB = 1024 * 1024;
const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`disk-full-room: skipped: ${unavailable}`);

const readOrNull = (file: string) => readFile(file, 'utf8').catch(() => null);

describe.skipIf(unavailable !== null)("a file that does not fit on R's disk, while E keeps changing others", () => {
  let disk: Tmpfs;
  let e: string;
  let daemon: DaemonHandle;
  let proxy: TcpProxy;

  beforeAll(async () => {
    disk = mountTmpfs(24);
    e = tempDir('zync-e-');
    await writeFile(path.join(e, 'notes.txt'), 'from E\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    proxy = await startProxy({ targetPort: daemon.port });
  });
  afterAll(async () => {
    await proxy?.close();
    await daemon?.stop();
    disk?.unmount();
  });

  it('is not downloaded again while R has no room for it, said once, and comes once there is room', async () => {
    const r = path.join(disk.dir, 'r');
    await mkdir(path.join(disk.dir, 'state'));
    // Through the proxy (the tunnel), which counts what crosses it.
    const setup: ClientSetup = { daemon: { ...daemon, url: proxy.url }, dirs: { docs: r }, db: path.join(disk.dir, 'state', 'sync_client.db') };
    const client = spawnClient(setup, ['--interval', '60']);
    await waitFor(async () => (await readOrNull(path.join(r, 'notes.txt'))) === 'from E\n', { what: 'the first sync' });

    await writeRandomFile(path.join(e, 'big/huge.bin'), 30 * MiB);
    await waitFor(() => /No space left on R's disk: .*docs\/big\/huge\.bin/.test(client.stderr()), { timeoutMs: 60_000, what: 'the full disk to be said' });
    const crossedBefore = proxy.bytes.toClient;

    // E's log grows, one line at a time; each line reaches R (a pass each) though huge.bin waits.
    let log = '';
    const appends = 20;
    for (let i = 1; i <= appends; i++) {
      const line = `line ${i}\n`;
      log += line;
      await appendFile(path.join(e, 'app.log'), line);
      await waitFor(async () => (await readOrNull(path.join(r, 'app.log'))) === log, { timeoutMs: 30_000, what: `line ${i} of app.log on R` });
    }
    // Before: 30 MiB per pass.
    expect(proxy.bytes.toClient - crossedBefore).toBeLessThan(4 * MiB);
    const stderr = client.stderr();
    expect(stderr.match(/WARN.*No space left on R's disk: /g), stderr).toHaveLength(1);
    // Nor once more per file: that warning is the only one.
    expect(stderr.match(/WARN/g), stderr).toHaveLength(1);
    // Before: one line at info per pass saying again that huge.bin is not applied.
    expect((stderr.match(/INFO.*not yet applied \(R's disk is full\)/g) ?? []).length, stderr).toBeLessThan(appends / 2);
    expect(await findTempFiles(r)).toEqual([]);

    // Room now: the next change E pushes makes a pass that brings huge.bin.
    disk.resize(64);
    await appendFile(path.join(e, 'app.log'), 'room now\n');
    await waitFor(() => sameTree(e, r), { timeoutMs: 60_000, what: 'R to converge once there is room' });
    expect(await sha256File(path.join(r, 'big/huge.bin'))).toBe(await sha256File(path.join(e, 'big/huge.bin')));
    await waitFor(() => /R's disk has room again/.test(client.stderr()), { what: 'the line saying there is room again' });
    expect(client.stderr().match(/R's disk has room again/g)).toHaveLength(1);
    expect(await client.stop('SIGTERM'), client.stderr()).toBe(0);
  });
});
