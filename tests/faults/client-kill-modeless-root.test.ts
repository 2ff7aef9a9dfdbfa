// kill -9 of zync-client after a batch placed a file and before it recorded it, on a root of R's
// that keeps no Unix modes (vfat; emulated with bindfs: every file 755, chmod ignored). The file
// shows the root's bits, not E's it was written with; the restarted pull adopts it as E's, and
// must take those bits for the file's own, as for any file it writes there. Before: they read as
// R's chmod — kept over E's at that pull and recorded as R's for good, so --update-upstream staged
// a chmod nobody made (applied, E's file became 755), and E's deletion of the file left a conflict
// copy "chmodded on R (755)". Needs root, /dev/fuse and bindfs (skipped with the reason otherwise).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, readdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exists, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { conflictCopies, runClientOnce, spawnClient, stateDb, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { runUpstream } from '../upstream/support.js';

const run = (args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });

function bindfsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not running as root: no FUSE mount can be made';
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse: nothing can be mounted';
  try {
    run(['sh', '-c', 'command -v bindfs']);
  } catch {
    return 'bindfs is not installed';
  }
  return null;
}
const unavailable = bindfsUnavailable();

describe.skipIf(unavailable !== null)(`zync-client killed after placing a file on a root without Unix modes${unavailable ? ` (${unavailable})` : ''}`, () => {
  let e: string;
  let r: string;
  let mount: string | undefined;
  let daemon: DaemonHandle;
  let proxy: TcpProxy;
  let setup: ClientSetup;

  beforeEach(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    run(['bindfs', '--chmod-ignore', '--perms=0755', tempDir('zync-r-backing-'), r]);
    mount = r;
    await writeFile(path.join(e, 'a.txt'), 'the content R holds already\n');
    await chmod(path.join(e, 'a.txt'), 0o644);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    // Latency on every chunk: the batch's download waits on it after the copy has landed.
    proxy = await startProxy({ targetPort: daemon.port, delayMs: 200 });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    await waitForDaemonToSee(daemon, 'docs', e);
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
  });
  afterEach(async () => {
    await proxy?.close();
    await daemon?.stop();
    if (mount) run(['fusermount', '-u', '-z', mount]);
    mount = undefined;
  });

  it("the placed file's bits are the root's, not R's chmod: nothing goes upstream, E's deletion leaves no copy", async () => {
    await copyFile(path.join(e, 'a.txt'), path.join(e, 'b.txt'));
    await writeFile(path.join(e, 'downloaded.txt'), 'fetched over the tunnel\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const client = spawnClient({ ...setup, daemon: { ...daemon, url: proxy.url } }, ['--once']);
    try {
      await waitFor(() => exists(path.join(r, 'b.txt')), { timeoutMs: 30_000, intervalMs: 1, what: 'b.txt placed by the batch' });
      proxy.stall();
      expect(await exists(path.join(r, 'downloaded.txt')), 'the batch ended before the kill').toBe(false);
      expect(await client.kill9()).toBe('SIGKILL');
    } finally {
      proxy.unstall();
      await client.stop('SIGKILL');
    }

    const restart = await runClientOnce(setup);
    expect(restart.code, restart.stderr).toBe(0);
    // (Not expectSameTree: the root's bits are not E's.)
    expect((await readdir(r)).sort()).toEqual(['a.txt', 'b.txt', 'downloaded.txt']);
    const upstream = await runUpstream(setup);
    expect(upstream.code, upstream.stderr).toBe(0);
    expect(upstream.stdout + upstream.stderr).toMatch(/Nothing to send upstream/);

    await rm(path.join(e, 'b.txt'));
    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).not.toMatch(/conflict:|chmodded on R/);
    expect(await conflictCopies(r)).toEqual([]);
    expect((await readdir(r)).sort()).toEqual(['a.txt', 'downloaded.txt']);
  });
});
