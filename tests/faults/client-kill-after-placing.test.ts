// kill -9 of zync-client after a batch placed a file and before it recorded it (its deletions and
// the batch's record still to come). The file copied from content R already held lands in the
// batch's first phase; a download behind a slow tunnel then keeps the batch open while the client
// is killed. The restarted client must take that file for the one it placed:
// - E chmods it meanwhile (content unchanged): R takes E's bits, and nothing goes upstream (R's
//   file still has the bits R wrote, which are no chmod of R's);
// - --update-upstream before that pull is refused (exit 13): it would send the placed file as R's;
// - it was E's rename (`mv a b`): the old name, R's unchanged copy of what it received, is deleted
//   without a conflict copy; also where R had chmodded a, and the killed run gave b R's bits (the
//   chmod follows the file, core/plan-pull.ts): b keeps them, for --update-upstream to send.
import { chmod, copyFile, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exists, expectSameTree, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { conflictCopies, runClientOnce, spawnClient, stateDb, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { runUpstream } from '../upstream/support.js';

const modeOf = async (file: string) => (await stat(file)).mode & 0o7777;

describe('zync-client killed after placing a file, before recording it', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let proxy: TcpProxy;
  let setup: ClientSetup;

  beforeEach(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
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
  });

  /**
   * E's change (which makes R copy a.txt's content to `placed`) and a new file to download; the
   * client is killed once `placed` is on R, while the download is held up.
   */
  const killAfterPlacing = async (change: () => Promise<void>, placed: string) => {
    await change();
    await writeFile(path.join(e, 'downloaded.txt'), 'fetched over the tunnel\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const client = spawnClient({ ...setup, daemon: { ...daemon, url: proxy.url } }, ['--once']);
    try {
      await waitFor(() => exists(path.join(r, placed)), { timeoutMs: 30_000, intervalMs: 1, what: `${placed} placed by the batch` });
      proxy.stall();
      expect(await exists(path.join(r, 'downloaded.txt')), 'the batch ended before the kill').toBe(false);
      expect(await client.kill9()).toBe('SIGKILL');
    } finally {
      proxy.unstall();
      await client.stop('SIGKILL');
    }
  };

  it("E's chmod of the placed file reaches R, and nothing goes upstream", async () => {
    await killAfterPlacing(() => copyFile(path.join(e, 'a.txt'), path.join(e, 'b.sh')), 'b.sh');
    expect(await modeOf(path.join(r, 'b.sh'))).toBe(0o644);

    await chmod(path.join(e, 'b.sh'), 0o755);
    await waitForDaemonToSee(daemon, 'docs', e);

    const restart = await runClientOnce(setup);
    expect(restart.code, restart.stderr).toBe(0);
    expect(await modeOf(path.join(r, 'b.sh'))).toBe(0o755);
    await expectSameTree(r, e);
    const upstream = await runUpstream(setup);
    expect(upstream.code, upstream.stderr).toBe(0);
    expect(upstream.stdout + upstream.stderr).toMatch(/Nothing to send upstream/);
  });

  it('--update-upstream before the next pull is refused (exit 13), naming the batch\'s files, so the placed file does not go to E as R\'s', async () => {
    await killAfterPlacing(() => copyFile(path.join(e, 'a.txt'), path.join(e, 'b.sh')), 'b.sh');

    const refused = await runUpstream(setup);
    expect(refused.code, refused.stderr).toBe(13);
    expect(refused.stderr).toMatch(/A pull was stopped abruptly \(killed\) before it recorded what it changed on R.*run zync-client --once until it ends up to date, then --update-upstream again\. Nothing was sent\./);
    // Before any pull: the killed batch's own files are named, for the user to look at.
    expect(refused.stderr).toMatch(/as R's edits \(in flight when it was stopped: docs\/b\.sh, docs\/downloaded\.txt\); run zync-client/);
    expect(refused.stdout).not.toMatch(/Staged/);

    const restart = await runClientOnce(setup);
    expect(restart.code, restart.stderr).toBe(0);
    await expectSameTree(r, e);
    const upstream = await runUpstream(setup);
    expect(upstream.code, upstream.stderr).toBe(0);
    expect(upstream.stdout + upstream.stderr).toMatch(/Nothing to send upstream/);
  });

  // Not a kill: a stop records what the batch did. Before, the directory the batch had made for
  // E's new files stayed owner-only and unrecorded, and --update-upstream sent it as R's new one.
  it('a SIGTERM instead: the directory the batch made is recorded, and --update-upstream sends nothing', async () => {
    await mkdir(path.join(e, 'new'));
    await copyFile(path.join(e, 'a.txt'), path.join(e, 'new', 'b.txt'));
    await writeFile(path.join(e, 'downloaded.txt'), 'fetched over the tunnel\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const client = spawnClient({ ...setup, daemon: { ...daemon, url: proxy.url } }, ['--once']);
    try {
      await waitFor(() => exists(path.join(r, 'new', 'b.txt')), { timeoutMs: 30_000, intervalMs: 1, what: 'new/b.txt placed by the batch' });
      proxy.stall();
      expect(await exists(path.join(r, 'downloaded.txt')), 'the batch ended before the stop').toBe(false);
      const stopped = client.stop('SIGTERM');
      proxy.unstall();
      await stopped;
    } finally {
      proxy.unstall();
      await client.stop('SIGKILL');
    }
    const upstream = await runUpstream(setup);
    expect(upstream.code, upstream.stderr).toBe(0);
    expect(upstream.stdout + upstream.stderr).toMatch(/Nothing to send upstream/);
    const restart = await runClientOnce(setup);
    expect(restart.code, restart.stderr).toBe(0);
    await expectSameTree(r, e);
  });

  it("E's rename: the old name goes without a conflict copy", async () => {
    await killAfterPlacing(() => rename(path.join(e, 'a.txt'), path.join(e, 'b.txt')), 'b.txt');
    expect(await exists(path.join(r, 'a.txt')), 'the batch deleted the old name before the kill').toBe(true);

    const restart = await runClientOnce(setup);
    expect(restart.code, restart.stderr).toBe(0);
    expect(restart.stderr).toMatch(/, 0 conflict\(s\)/);
    expect(await conflictCopies(r)).toEqual([]);
    await expectSameTree(r, e);
    const upstream = await runUpstream(setup);
    expect(upstream.code, upstream.stderr).toBe(0);
    expect(upstream.stdout + upstream.stderr).toMatch(/Nothing to send upstream/);
  });

  it("E's rename of a file R chmodded: the new name keeps R's chmod, the old one goes without a copy", async () => {
    await chmod(path.join(r, 'a.txt'), 0o755);
    await killAfterPlacing(() => rename(path.join(e, 'a.txt'), path.join(e, 'b.txt')), 'b.txt');
    expect(await exists(path.join(r, 'a.txt')), 'the batch deleted the old name before the kill').toBe(true);
    expect(await modeOf(path.join(r, 'b.txt'))).toBe(0o755);

    const restart = await runClientOnce(setup);
    expect(restart.code, restart.stderr).toBe(0);
    expect(restart.stderr).toMatch(/, 0 conflict\(s\)/);
    expect(restart.stderr).toMatch(/docs\/a\.txt was chmodded on R \(755\) and renamed on E to docs\/b\.txt, which keeps R's 755/);
    expect(await conflictCopies(r)).toEqual([]);
    expect(await exists(path.join(r, 'a.txt'))).toBe(false);
    expect(await modeOf(path.join(r, 'b.txt'))).toBe(0o755);
    const upstream = await runUpstream(setup);
    expect(upstream.code, upstream.stderr).toBe(0);
    // b.txt's chmod, R's edit now carried to E's new name; nothing for a.txt.
    expect(upstream.stdout).toMatch(/Staged 1 change upstream .*\(0 added, 1 modified, 0 deleted; 0 conflicts\)/);
  });
});
