// kill -9 of zync-client mid-batch, then a file on R that the pulls after it cannot write (EPERM:
// chattr +i, standing in for any lasting failure on R). Where the killed batch never touched that
// file, it must not keep --update-upstream refused (exit 13) once the pulls recorded everything the
// killed batch placed: the upload sends R's own edit, nothing of E's. Where the killed batch did
// place that file, the refusal stays, and names it and why, until a pull records it.
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exists, startDaemon, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { runClientOnce, spawnClient, stateDb, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { runUpstream } from '../upstream/support.js';

const A = 'the content R holds already\n';

describe('zync-client killed mid-batch, then a file R cannot write', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let proxy: TcpProxy;
  let setup: ClientSetup;
  let viaProxy: ClientSetup;
  const immutable: string[] = [];
  const spawned: SpawnedCli[] = [];
  afterEach(async () => {
    for (const file of immutable.splice(0)) execFileSync('chattr', ['-i', file]);
    for (const cli of spawned.splice(0)) await cli.stop('SIGKILL');
    await proxy?.close();
    await daemon?.stop();
  });

  const start = async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeFile(path.join(e, 'a.txt'), A);
    await writeFile(path.join(e, 'stuck.txt'), 'v1\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    // Latency on every chunk: the second file's download is still on its way when b.txt is placed.
    proxy = await startProxy({ targetPort: daemon.port, delayMs: 200 });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    viaProxy = { ...setup, daemon: { ...daemon, url: proxy.url } };
    await waitForDaemonToSee(daemon, 'docs', e);
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
  };
  /** E changes `file`, which R can no longer replace. */
  const stick = async (file: string, content: string) => {
    execFileSync('chattr', ['+i', path.join(r, file)]);
    immutable.push(path.join(r, file));
    await writeFile(path.join(e, file), content);
    await waitForDaemonToSee(daemon, 'docs', e);
  };
  /** A pull killed after it placed b.txt (a copy of a.txt), before it downloaded downloaded.txt. */
  const killAfterPlacing = async () => {
    await copyFile(path.join(e, 'a.txt'), path.join(e, 'b.txt'));
    await writeFile(path.join(e, 'downloaded.txt'), 'fetched over the tunnel\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const client = spawnClient(viaProxy, ['--once']);
    spawned.push(client);
    try {
      const target = path.join(r, 'b.txt');
      await waitFor(async () => (await exists(target)) && (await readFile(target, 'utf8')) === A, { timeoutMs: 30_000, intervalMs: 1, what: 'b.txt placed' });
      proxy.stall();
      expect(await exists(path.join(r, 'downloaded.txt'))).toBe(false);
      expect(await client.kill9()).toBe('SIGKILL');
    } finally {
      proxy.unstall();
    }
  };

  it('a file the killed batch never touched: the upload goes once the pulls recorded what it placed', async () => {
    await start();
    await killAfterPlacing();
    await stick('stuck.txt', 'v2 on E\n');
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(1);
    expect(pulled.stderr).toMatch(/docs\/stuck\.txt: EPERM/);
    expect(await readFile(path.join(r, 'downloaded.txt'), 'utf8')).toBe('fetched over the tunnel\n');
    await writeFile(path.join(r, 'mine.txt'), "R's own edit\n");
    const upload = await runUpstream(setup);
    expect(upload.code, upload.stdout + upload.stderr).toBe(0);
    // R's edit only: nothing the killed run placed goes back to E as R's.
    expect(upload.stdout).toMatch(/Staged 1 change upstream as session \S+ \(1 added, 0 modified, 0 deleted; 0 conflicts\)/);
  });

  it('a file the killed batch placed and no pull can write since: the refusal names it, and lifts once a pull records it', async () => {
    await start();
    await killAfterPlacing();
    await stick('b.txt', "E's b, changed after the kill\n");
    for (let i = 0; i < 2; i++) {
      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(1);
    }
    expect(await readFile(path.join(r, 'downloaded.txt'), 'utf8')).toBe('fetched over the tunnel\n');
    await writeFile(path.join(r, 'mine.txt'), "R's own edit\n");
    const refused = await runUpstream(setup);
    expect(refused.code, refused.stdout + refused.stderr).toBe(13);
    expect(refused.stderr).toMatch(/as R's edits \(not yet recorded: docs\/b\.txt, which a pull that cannot apply says why\); run zync-client --once until it ends up to date, then --update-upstream again\. Nothing was sent\./);
    expect(refused.stdout).not.toMatch(/Staged/);
    execFileSync('chattr', ['-i', path.join(r, 'b.txt')]);
    immutable.splice(0);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await readFile(path.join(r, 'b.txt'), 'utf8')).toBe("E's b, changed after the kill\n");
    const upload = await runUpstream(setup);
    expect(upload.code, upload.stdout + upload.stderr).toBe(0);
    expect(upload.stdout).toMatch(/Staged 1 change upstream as session \S+ \(1 added, 0 modified, 0 deleted; 0 conflicts\)/);
  });
});
