// A connection killed mid-upload: zync-client --update-upstream sends a large file through a
// loopback proxy, the proxy is stalled once bytes flow (so the cut lands mid-file) and then cut.
// The client fails with one sentence, the daemon marks the session aborted and deletes its
// staged bytes, and zync-apply refuses it. Sent again over a working link, the changes stage
// normally (the aborted attempt left nothing behind on R either).
import { readdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, startDaemon, tempDir, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { clientArgs, runClientOnce, type ClientSetup } from '../client/support.js';
import { listSessions, runApply, runUpstream, stagingIdFrom } from './support.js';

describe('upstream: a connection killed mid-upload', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let proxy: TcpProxy;
  let setup: ClientSetup;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeFile(path.join(e, 'small.txt'), 'from E\n');
    daemon = await startDaemon({ dirs: { docs: e } });
    proxy = await startProxy({ targetPort: daemon.port });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
  });
  afterAll(async () => {
    await proxy?.close();
    await daemon?.stop();
  });

  it('leaves an aborted session that apply refuses', async () => {
    await writeRandomFile(path.join(r, 'big.bin'), 96 * 1024 * 1024);
    await writeFile(path.join(r, 'small.txt'), 'edited on R\n');
    const args = clientArgs(setup, ['--update-upstream']);
    args[args.indexOf('--server') + 1] = proxy.url;
    const client = spawnCli('client', args);

    // Hold the link once the upload is under way, make sure the daemon is mid-session, then cut.
    await waitFor(() => proxy.bytes.toTarget > 2 * 1024 * 1024, { intervalMs: 2, what: 'upload bytes through the proxy' });
    proxy.stall();
    const [session] = await waitFor(async () => {
      const sessions = await listSessions(daemon);
      return sessions.length === 1 && sessions[0]!.status === 'in_progress' ? sessions : null;
    });
    const stagingDir = path.join(daemon.stateDir, 'zync-staging', session!.staging_id);
    expect((await readdir(stagingDir)).length).toBeGreaterThan(0);
    proxy.cut();

    const code = await client.exited;
    expect(code).not.toBe(0);
    expect(client.stderr()).toMatch(/^zync-client: .+$/m);

    await waitFor(async () => (await listSessions(daemon))[0]?.status === 'aborted', { what: 'the session to be aborted' });
    await waitFor(
      async () => {
        try {
          await readdir(stagingDir);
          return false;
        } catch {
          return true;
        }
      },
      { what: 'the staged bytes to be removed' },
    );

    const applied = await runApply(daemon, ['apply', session!.staging_id, '--force', '--non-interactive']);
    expect(applied.code).toBe(6);
    expect(applied.stderr).toMatch(/was aborted .*cannot be applied/);
    expect(applied.stderr.trim().split('\n')).toHaveLength(1);
    expect(await listSessions(daemon, false)).toEqual([]);

    // Over a working link the same changes stage in full.
    proxy.restore();
    proxy.unstall();
    const again = await runUpstream(setup, proxy.url);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Staged 2 changes upstream as session \S+ \(1 added, 1 modified, 0 deleted; 0 conflicts\)/);
    const retried = stagingIdFrom(again.stdout);
    expect(await listSessions(daemon, false)).toEqual([expect.objectContaining({ staging_id: retried, status: 'complete', file_count: 2 })]);
  });
});
