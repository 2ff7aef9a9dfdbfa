// An --update-upstream whose connection is cut after E received FINALIZE_UPSTREAM, before its
// answer reached R: E staged the session. The run asks E on a new connection and says the session
// was staged, with its id and the zync-apply command that reviews it (exit 0). Before: it failed
// with "The connection … was cut" (exit 3), as if nothing had happened, and the next run said
// only that the changes were "already staged". When E cannot be asked, the failure says that E
// may hold the session, and the next run names the command to review it.
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { clientArgs, runClientOnce, type ClientSetup } from '../client/support.js';
import { listSessions, runUpstream } from './support.js';

describe('upstream: a connection cut once E has staged the session', () => {
  let daemon: DaemonHandle | undefined;
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    await daemon?.stop();
  });

  it('says the session was staged, with its id and the command to review it', async () => {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    await writeFile(path.join(e, 'a.txt'), 'a\n');
    daemon = await startDaemon({ dirs: { docs: e } });
    const d = daemon;
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    expect((await runClientOnce(setup)).code).toBe(0);
    await writeFile(path.join(r, 'a.txt'), 'R edit\n');
    await writeFile(path.join(r, 'b.txt'), 'new on R\n');
    // The latency keeps E's answer to FINALIZE_UPSTREAM in the proxy for a second after E logs
    // the session staged: time to cut it off, even on a loaded machine.
    proxy = await startProxy({ targetPort: daemon.port, delayMs: 1000 });
    const client = spawnCli('client', clientArgs({ ...setup, daemon: { ...daemon, url: proxy.url } }, ['--update-upstream']));
    await waitFor(() => /upstream session staged/.test(d.stderr()), { intervalMs: 5, timeoutMs: 60_000, what: 'E to stage the session' });
    // Cut with E's answer still in the proxy; the next connection goes through.
    proxy.cut();
    proxy.restore();
    const code = await client.exited;
    const [session] = await listSessions(d);
    expect(session).toMatchObject({ status: 'complete', file_count: 2 });
    const id = session!.staging_id;
    expect(code, client.stderr()).toBe(0);
    expect(client.stdout().split('\n').filter(Boolean)).toEqual([
      `Staged 2 changes upstream as session ${id} (1 added, 1 modified, 0 deleted); the connection was lost before E's answer, so its conflicts are not listed here: zync-apply show ${id} lists them.`,
      `On E, review and apply it with: zync-apply apply ${id}`,
    ]);
    expect(client.stderr()).not.toMatch(/^zync-client: /m);

    // Not sent twice.
    const again = await runUpstream(setup);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`Nothing new to send upstream: 2 changes are already staged in ${id}, waiting for zync-apply on E.\nOn E, review and apply it with: zync-apply apply ${id}\n`);
    expect(await listSessions(d)).toHaveLength(1);
  });

  it('says E may hold the session when E cannot be asked, and the next run names the command to review it', async () => {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    await writeFile(path.join(e, 'a.txt'), 'a\n');
    daemon = await startDaemon({ dirs: { docs: e } });
    const d = daemon;
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    expect((await runClientOnce(setup)).code).toBe(0);
    await writeFile(path.join(r, 'b.txt'), 'new on R\n');
    proxy = await startProxy({ targetPort: daemon.port, delayMs: 1000 });
    const client = spawnCli('client', clientArgs({ ...setup, daemon: { ...daemon, url: proxy.url } }, ['--update-upstream']));
    await waitFor(() => /upstream session staged/.test(d.stderr()), { intervalMs: 5, timeoutMs: 60_000, what: 'E to stage the session' });
    // Cut, and no new connection gets through.
    proxy.cut();
    const code = await client.exited;
    const id = (await listSessions(d))[0]!.staging_id;
    expect(code, client.stderr()).toBe(3);
    expect(client.stderr().split('\n').filter((l) => l.startsWith('zync-client: '))).toEqual([
      `zync-client: The connection to the daemon at ${proxy.url} was cut (the daemon stopped, or the network or tunnel dropped). This came after session ${id} went to E to be finalized, so E may have staged it: run --update-upstream again once E can be reached; it says whether E holds that session, and sends nothing twice.`,
    ]);

    const again = await runUpstream(setup);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`Nothing new to send upstream: 1 change is already staged in ${id}, waiting for zync-apply on E.\nOn E, review and apply it with: zync-apply apply ${id}\n`);
    expect(await listSessions(d)).toHaveLength(1);
  });
});
