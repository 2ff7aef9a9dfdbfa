// A running client's start, after its first connection, prepares R's roots: a root given a new
// place that is not the same tree moved (a copy, the old place still there) is bound there and its
// records dropped, for the first pull to resync. An upload handed to
// it in that window must wait for that pull: run before it, every file of the moved root reads as
// R's new file — E's own content staged as R's, and a file E changed meanwhile turned into a
// conflict whose --force puts R's stale copy over E's newer one. And when E goes away during the
// start, that wait ends: the upload fails as an in-process one would, it does not hang.
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, spawnCli, startDaemon, tempDir, waitFor, writeText, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { clientArgs, runClientOnce, spawnClient, stateDb, syncedPair, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { listSessions, runUpstream } from './support.js';

describe('upstream: --update-upstream handed to a running client during its start', () => {
  let daemon: DaemonHandle | undefined;
  let service: SpawnedCli | undefined;
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await service?.stop('SIGKILL');
    await proxy?.close();
    await daemon?.stop();
  });

  it("waits for the pull that resyncs a moved root: nothing of E's is staged as R's", async () => {
    const e = tempDir('zync-e-');
    const oldR = tempDir('zync-r-old-');
    await writeFile(path.join(e, 'a.txt'), 'a v1\n');
    await writeFile(path.join(e, 'b.txt'), 'b as E has it\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    await waitForDaemonToSee(daemon, 'docs', e);
    const db = path.join(tempDir('zync-rstate-'), 'sync_client.db');
    expect((await runClientOnce({ daemon, dirs: { docs: oldR }, db })).code).toBe(0);
    // E changes a.txt, R has not pulled it; R's root is moved (README: resynced there, no flag).
    await writeFile(path.join(e, 'a.txt'), "a v2, E's newer\n");
    await waitForDaemonToSee(daemon, 'docs', e);
    const newR = path.join(tempDir('zync-r-new-'), 'docs');
    await cp(oldR, newR, { recursive: true, preserveTimestamps: true });
    // An ignored .git of many directories: the start's walk for temp files takes a while, which
    // widens the window between binding the moved root and the first pull.
    for (let i = 0; i < 1500; i++) {
      const d = path.join(newR, '.git', `d${i}`);
      await mkdir(d, { recursive: true });
      for (let j = 0; j < 50; j++) await mkdir(path.join(d, `s${j}`));
    }
    const setup: ClientSetup = { daemon, dirs: { docs: newR }, db };

    service = spawnClient(setup, ['--interval', '600']);
    await waitFor(() => existsSync(`${db}.sock`), { what: 'the hand-off socket' });
    // One handed over before the service's first connection is refused like an in-process one
    // (R synced into the old place, exit 2); hand over until one is taken.
    let upload = await runUpstream(setup);
    for (let i = 0; i < 50 && upload.code === 2; i++) upload = await runUpstream(setup);
    expect(upload.code, upload.stderr).toBe(0);
    expect(upload.stdout).toContain('Nothing to send upstream');
    expect(await listSessions(daemon, false)).toEqual([]);
  });

  it('does not wait for a first pull that cannot come: E gone during the start, the upload says E cannot be reached', async () => {
    const pair = await syncedPair(async (e) => writeText(path.join(e, 'a.txt'), 'from E\n'));
    daemon = pair.daemon;
    proxy = await startProxy({ targetPort: pair.daemon.port });
    // A long start (its walk for temp files), as above.
    for (let i = 0; i < 600; i++) {
      const d = path.join(pair.r, '.git', `d${i}`);
      await mkdir(d, { recursive: true });
      for (let j = 0; j < 50; j++) await mkdir(path.join(d, `s${j}`));
    }
    await writeText(path.join(pair.r, 'from-r.txt'), 'R edit\n');
    const setup = { ...pair.setup, daemon: { ...pair.setup.daemon, url: proxy.url } };
    service = spawnCli('client', clientArgs(setup, ['--interval', '600', '--log-level', 'debug']));
    await waitFor(() => proxy!.bytes.toClient > 0, { what: 'the first connection', intervalMs: 1 });
    // E goes away once HELLO's answer (which follows the upgrade's, and says nothing R can poll
    // for) has had time to arrive: inside the start's walk. A cut before it is a failed first
    // connection, which must end the same way.
    await new Promise((resolve) => setTimeout(resolve, 150));
    proxy.cut();
    await waitFor(() => /reconnecting in|Retrying in/.test(service!.stderr()), { what: 'the service to retry', timeoutMs: 60_000 });
    const upload = await runCli('client', clientArgs(setup, ['--update-upstream']), { timeoutMs: 30_000 });
    expect(upload.code, upload.stderr).toBe(3);
    expect(upload.stderr).toMatch(/Cannot reach the daemon at /);
  }, 120_000);
});
