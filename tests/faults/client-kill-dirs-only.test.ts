// kill -9 of zync-client in a batch that made only directories (E's new empty folders): such a
// batch notes no file contents, yet what it made is on R's disk unrecorded. E then removes those
// directories, and
// - the next pull is cut before it reached E's removal (a compacted log brings it in a later page
//   than the first one the cut pull recorded): --update-upstream must stay refused (exit 13) until
//   a pull recorded them, or it sends E's removed directories back to E as R's new ones;
// - E's removal leaves its log before R pulls (--tombstone-days 0): the resync that follows must
//   remove the folders the killed run made, or --update-upstream sends them as R's new ones.
// Then nothing of E's goes upstream.
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, exists, expectSameTree, startDaemon, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { runClientOnce, spawnClient, stateDb, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { runUpstream } from '../upstream/support.js';

const Database = createRequire(new URL('../../packages/client/package.json', import.meta.url))('better-sqlite3') as typeof BetterSqlite3;

const DIRS = 3000;

describe('zync-client killed in a batch that made only directories', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;
  let proxy: TcpProxy | undefined;
  let state: BetterSqlite3.Database | undefined;
  const spawned: SpawnedCli[] = [];
  afterEach(async () => {
    state?.close();
    state = undefined;
    for (const cli of spawned.splice(0)) await cli.stop('SIGKILL');
    await proxy?.close();
    proxy = undefined;
    await daemon?.stop();
  });
  const sequence = () => Number((state!.prepare("SELECT value FROM meta WHERE key = 'sequence'").get() as { value: string }).value);

  /** R synced with E; E makes empty folders; the client is killed once R's began, before their record. Returns R's. */
  const killWhileMakingDirs = async (daemonArgs: string[]): Promise<string[]> => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeFile(path.join(e, 'a.txt'), 'a\n');
    await mkdir(path.join(e, 'made'));
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb(), args: daemonArgs });
    await waitForDaemonToSee(daemon, 'docs', e);
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    expect((await runClientOnce(setup)).code).toBe(0);
    state = new Database(setup.db, { readonly: true, fileMustExist: true });
    for (let i = 0; i < DIRS; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => mkdir(path.join(e, 'made', `d${String(i + j).padStart(4, '0')}`))));
    }
    await waitForDaemonToSee(daemon, 'docs', e);
    const at = sequence();
    const client = spawnClient(setup, ['--once']);
    spawned.push(client);
    await waitFor(async () => (await readdir(path.join(r, 'made'))).length > 0, { timeoutMs: 60_000, intervalMs: 1, what: "R's directories to be made" });
    client.proc.kill('SIGSTOP');
    expect(await client.kill9()).toBe('SIGKILL');
    expect(sequence(), 'the batch was recorded before the kill').toBe(at);
    const made = await readdir(path.join(r, 'made'));
    expect(made.length, 'the kill came too late to test anything').toBeGreaterThan(0);
    return made;
  };

  /** The upload sends nothing, R is E. */
  const expectNothingSent = async () => {
    await expectSameTree(r, e);
    expect((state!.prepare('SELECT count(*) AS n FROM placements').get() as { n: number }).n, 'notes left behind').toBe(0);
    const upload = await runUpstream(setup);
    expect(upload.code, upload.stdout + upload.stderr).toBe(0);
    expect(upload.stdout).toMatch(/Nothing to send upstream/);
  };

  it('E removes them and the next pull is cut before that removal: --update-upstream stays refused', async () => {
    const made = await killWhileMakingDirs(['--compact-interval', '0.01']);
    const at = sequence();
    // Paths long enough that a page (about 4 MiB of entries) holds some 1,100 of them: the
    // removals of E's folders come after two pages of files (the cut pull records the first and
    // is cut while it downloads the second), and the compaction drops the folders' entries.
    const deep = path.join(...Array.from({ length: 16 }, (_, i) => `${String(i).padStart(2, '0')}${'d'.repeat(198)}`));
    await mkdir(path.join(e, deep), { recursive: true });
    for (let i = 0; i < 2500; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => writeFile(path.join(e, deep, `${'f'.repeat(40)}${i + j}`), `${i + j}\n`)));
    }
    await waitForDaemonToSee(daemon, 'docs', e);
    await rm(path.join(e, 'made'), { recursive: true });
    await waitForDaemonToSee(daemon, 'docs', e);
    const probe = await connect(daemon.url, daemon.token);
    try {
      await probe.request('HELLO', { client_id: 'compaction-probe', protocol: 2 });
      await waitFor(
        async () => {
          const page = await probe.request('GET_CHANGES', { since_sequence: at, limit: 5000 });
          const changes = page.changes as { path: string }[];
          return page.more_available === true && !changes.some((c) => c.path.startsWith('made'));
        },
        { timeoutMs: 30_000, what: "the folders' entries compacted away, E's removals past the first page" },
      );
    } finally {
      await probe.close();
    }

    // The next pull, through latency, is cut once it recorded its first page.
    proxy = await startProxy({ targetPort: daemon.port, delayMs: 200 });
    const cut = spawnClient({ ...setup, daemon: { ...daemon, url: proxy.url } }, ['--once']);
    spawned.push(cut);
    await waitFor(() => sequence() > at, { timeoutMs: 60_000, intervalMs: 1, what: 'the first page recorded' });
    proxy.cut();
    expect(await cut.exited, cut.stderr()).not.toBe(0);
    proxy.restore();
    expect(await exists(path.join(r, 'made', made[0]!)), 'the cut pull reached the removals').toBe(true);

    const refused = await runUpstream(setup);
    expect(refused.stdout, refused.stderr).not.toMatch(/Staged/);
    expect(refused.code, refused.stdout + refused.stderr).toBe(13);
    expect(refused.stderr).toMatch(/A pull was stopped abruptly \(killed\) before it recorded what it changed on R.*\(not yet recorded: docs\/made\/d\d{4}/);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    await expectNothingSent();
  });

  it('E removes them and its removal leaves the log before R pulls: the resync removes what the killed run made', async () => {
    const made = await killWhileMakingDirs(['--compact-interval', '0.01', '--tombstone-days', '0']);
    for (const name of made) expect((await stat(path.join(r, 'made', name))).mode & 0o777, 'the killed batch gave E\'s modes already').toBe(0o700);
    await rm(path.join(e, 'made'), { recursive: true });
    await waitForDaemonToSee(daemon, 'docs', e);
    const probe = await connect(daemon.url, daemon.token);
    try {
      await probe.request('HELLO', { client_id: 'compaction-probe', protocol: 2 });
      await waitFor(
        async () => {
          const page = await probe.request('GET_CHANGES', { since_sequence: 0, limit: 5000 });
          return !(page.changes as { path: string }[]).some((c) => c.path.startsWith('made'));
        },
        { timeoutMs: 30_000, what: "E's removals compacted away" },
      );
    } finally {
      await probe.close();
    }
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toMatch(/resync/);
    await expectNothingSent();
  });
});
