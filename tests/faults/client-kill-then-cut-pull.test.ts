// kill -9 of zync-client mid-batch (a file placed, or deletions made, for E and not recorded),
// then E changes that path again and the next pull is cut (a tunnel drop, Ctrl-C) before it
// reached it: the refusal of --update-upstream (exit 13) must outlive that cut pull, or the upload
// sends E's own older content (or E's deletion) back to E as R's edit — worded as a conflict, and
// `zync-apply apply --force` would put it over E's newer file. Cases: a new file, a modified one,
// a deletion then E re-creating the file, a log compacted so the path comes in a later page than
// the one the cut pull recorded, and the same through a running client (an upload handed to it).
// A pull that ends up to date then lifts the refusal, and nothing of E goes upstream.
import { copyFile, mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, exists, expectSameTree, startDaemon, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { runClientOnce, spawnClient, stateDb, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { runUpstream } from '../upstream/support.js';

const Database = createRequire(new URL('../../packages/client/package.json', import.meta.url))('better-sqlite3') as typeof BetterSqlite3;

const A = 'the content R holds already\n';

describe('zync-client killed mid-batch, then its next pull cut before it reached what the kill left', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let proxy: TcpProxy;
  let setup: ClientSetup;
  let viaProxy: ClientSetup;
  let db: BetterSqlite3.Database | undefined;
  const spawned: SpawnedCli[] = [];

  /** The daemon (compacting fast where asked), a proxy with latency, and R synced with E's a.txt (and `more`). */
  const start = async (more: (e: string) => Promise<void> = async () => undefined, daemonArgs: string[] = []) => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeFile(path.join(e, 'a.txt'), A);
    await more(e);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb(), args: daemonArgs });
    // Latency on every chunk: a download waits on it, so a batch stays open while it is cut.
    proxy = await startProxy({ targetPort: daemon.port, delayMs: 200 });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    viaProxy = { ...setup, daemon: { ...daemon, url: proxy.url } };
    await waitForDaemonToSee(daemon, 'docs', e);
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
  };
  afterEach(async () => {
    db?.close();
    db = undefined;
    for (const cli of spawned.splice(0)) await cli.stop('SIGKILL');
    await proxy?.close();
    await daemon?.stop();
  });

  const spawn = (s: ClientSetup, args: string[]) => {
    const cli = spawnClient(s, args);
    spawned.push(cli);
    return cli;
  };
  const state = () => (db ??= new Database(setup.db, { readonly: true, fileMustExist: true }));
  const notes = (file: string) => (state().prepare("SELECT count(*) AS n FROM placements WHERE base_dir = 'docs' AND path = ?").get(file) as { n: number }).n;
  const sequence = () => Number((state().prepare("SELECT value FROM meta WHERE key = 'sequence'").get() as { value: string }).value);

  /**
   * E's change (R copies a.txt's content to `placed`, or downloads it beside `downloadBytes` of
   * another file) and a new file to download; the client is killed once `placed` holds that
   * content on R, while the other download is held up.
   */
  const killAfterPlacing = async (change: () => Promise<void>, placed: string, downloadBytes = 0) => {
    await change();
    await writeFile(path.join(e, 'downloaded.txt'), downloadBytes === 0 ? 'fetched over the tunnel\n' : randomBytes(downloadBytes));
    await waitForDaemonToSee(daemon, 'docs', e);
    const client = spawn(viaProxy, ['--once']);
    try {
      const target = path.join(r, placed);
      await waitFor(async () => (await exists(target)) && (await readFile(target, 'utf8')) === A, { timeoutMs: 30_000, intervalMs: 1, what: `${placed} placed by the batch` });
      proxy.stall();
      expect(await exists(path.join(r, 'downloaded.txt')), 'the batch ended before the kill').toBe(false);
      expect(await client.kill9()).toBe('SIGKILL');
    } finally {
      proxy.unstall();
    }
  };

  /** A pull through the proxy, stopped (`how`) once its batch noted E's new content of `file`. */
  const cutPull = async (file: string, how: 'cut' | 'SIGINT', opened: () => boolean = () => true) => {
    const before = notes(file);
    const client = spawn(viaProxy, ['--once']);
    await waitFor(() => opened() && notes(file) > before, { timeoutMs: 60_000, intervalMs: 1, what: `the pull's batch holding ${file} opened` });
    if (how === 'cut') proxy.cut();
    else client.proc.kill('SIGINT');
    const code = await client.exited;
    expect(code, client.stderr()).not.toBe(0);
    proxy.restore();
  };

  /** The upload is refused; a clean pull then lifts that, and nothing goes upstream: R is E. */
  const expectRefusedUntilPulled = async (file: string, eContent: string) => {
    const refused = await runUpstream(setup);
    expect(refused.stdout, refused.stderr).not.toMatch(/Staged/);
    expect(refused.code, refused.stdout + refused.stderr).toBe(13);
    expect(refused.stderr).toMatch(/A pull was stopped abruptly \(killed\) before it recorded what it changed on R.*run zync-client --once until it ends up to date/);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    await expectSameTree(r, e);
    const upload = await runUpstream(setup);
    expect(upload.code, upload.stdout + upload.stderr).toBe(0);
    expect(upload.stdout).toMatch(/Nothing to send upstream/);
    expect(await readFile(path.join(e, file), 'utf8')).toBe(eContent);
  };

  describe('a file the killed run placed', () => {
    beforeEach(() => start());

    for (const how of ['cut', 'SIGINT'] as const) {
      it(`a new file: the pull after the kill ${how === 'cut' ? 'cut by a tunnel drop' : 'stopped by Ctrl-C'} keeps --update-upstream refused`, async () => {
        await killAfterPlacing(() => copyFile(path.join(e, 'a.txt'), path.join(e, 'b.txt')), 'b.txt');
        await writeFile(path.join(e, 'b.txt'), 'E wrote b.txt again\n');
        await waitForDaemonToSee(daemon, 'docs', e);
        await cutPull('b.txt', how);
        expect(await readFile(path.join(r, 'b.txt'), 'utf8'), 'the cut pull reached b.txt').toBe(A);
        await expectRefusedUntilPulled('b.txt', 'E wrote b.txt again\n');
      });
    }

    it('a modified file: R\'s earlier copy replaced with E\'s content, then E changed it again', async () => {
      await writeFile(path.join(e, 'm.txt'), 'the first m.txt R received\n');
      await waitForDaemonToSee(daemon, 'docs', e);
      expect((await runClientOnce(setup)).code).toBe(0);
      // R holds a file at m.txt: E's new content for it is downloaded, not copied; the other download is big.
      await killAfterPlacing(() => copyFile(path.join(e, 'a.txt'), path.join(e, 'm.txt')), 'm.txt', 64 * 1024 * 1024);
      await writeFile(path.join(e, 'm.txt'), 'E wrote m.txt again\n');
      await waitForDaemonToSee(daemon, 'docs', e);
      await cutPull('m.txt', 'cut');
      expect(await readFile(path.join(r, 'm.txt'), 'utf8'), 'the cut pull reached m.txt').toBe(A);
      await expectRefusedUntilPulled('m.txt', 'E wrote m.txt again\n');
    });

    it('a running client whose first pull after the kill is cut: an upload handed to it sends nothing of E', async () => {
      await killAfterPlacing(() => copyFile(path.join(e, 'a.txt'), path.join(e, 'b.txt')), 'b.txt');
      await writeFile(path.join(e, 'b.txt'), 'E wrote b.txt again\n');
      await waitForDaemonToSee(daemon, 'docs', e);
      const before = notes('b.txt');
      const service = spawn(viaProxy, ['--interval', '600']);
      await waitFor(() => notes('b.txt') > before, { timeoutMs: 30_000, intervalMs: 1, what: "the running client's batch holding b.txt opened" });
      proxy.cut();
      await waitFor(() => /disconnected; reconnecting in/.test(service.stderr()), { what: 'the running client to wait to reconnect' });
      proxy.restore();
      await waitFor(() => existsSync(`${setup.db}.sock`), { what: 'the hand-off socket' });
      // Handed to the running client: it pulls first (once it reconnects), then sends.
      const upload = await runUpstream(viaProxy);
      expect(upload.stdout, upload.stderr).not.toMatch(/Staged/);
      expect(upload.code, upload.stdout + upload.stderr).toBe(0);
      expect(upload.stdout).toMatch(/Nothing to send upstream/);
      await expectSameTree(r, e);
    });

    it('a running client whose pulls keep being cut: an upload handed to it is refused with advice that fits (wait for its pull, or stop it)', async () => {
      await killAfterPlacing(() => copyFile(path.join(e, 'a.txt'), path.join(e, 'b.txt')), 'b.txt');
      await writeFile(path.join(e, 'b.txt'), 'E wrote b.txt again\n');
      await waitForDaemonToSee(daemon, 'docs', e);
      let before = notes('b.txt');
      const service = spawn(viaProxy, ['--interval', '600', '--log-level', 'debug']);
      await waitFor(() => notes('b.txt') > before, { timeoutMs: 30_000, intervalMs: 1, what: "the running client's batch holding b.txt opened" });
      proxy.cut();
      await waitFor(() => /disconnected; reconnecting in/.test(service.stderr()), { what: 'the running client to wait to reconnect' });
      // E changes b.txt once more: the running client's next batch notes that content.
      await writeFile(path.join(e, 'b.txt'), 'E wrote b.txt a third time\n');
      await waitForDaemonToSee(daemon, 'docs', e);
      before = notes('b.txt');
      // Between two reconnection attempts for 4 s or more: the upload is handed over first.
      await waitFor(() => [...service.stderr().matchAll(/Retrying in (\d+\.\d) s/g)].some((m) => Number(m[1]) >= 4), {
        timeoutMs: 60_000,
        what: 'a reconnection delay of 4 s or more',
      });
      proxy.restore();
      await waitFor(() => existsSync(`${setup.db}.sock`), { what: 'the hand-off socket' });
      const handed = spawn(viaProxy, ['--update-upstream']);
      await waitFor(() => /pulling first, then sending/.test(handed.stderr()), { timeoutMs: 30_000, what: 'the handed upload to wait for a pull' });
      // That pull is cut too, and the tunnel is back at once: the upload connects, the pull did not finish.
      await waitFor(() => notes('b.txt') > before, { timeoutMs: 60_000, intervalMs: 1, what: "the running client's next batch holding b.txt opened" });
      proxy.cut();
      proxy.restore();
      expect(await handed.exited, handed.stderr()).toBe(13);
      expect(handed.stderr()).toMatch(
        new RegExp(`A pull was stopped abruptly \\(killed\\) before it recorded what it changed on R.*the zync-client running on this state \\(pid ${service.proc.pid}\\) finishes it at its next pull.*run --update-upstream again after that pull, or stop that client and run zync-client --once first\\. Nothing was sent\\.`),
      );
      expect(handed.stderr()).not.toMatch(/run zync-client --once until/);
      expect(await readFile(path.join(r, 'b.txt'), 'utf8')).toBe(A);
      // Its pull once the tunnel holds finishes it: the next upload sends nothing.
      await waitFor(async () => (await readFile(path.join(r, 'b.txt'), 'utf8')) === 'E wrote b.txt a third time\n', { timeoutMs: 60_000, what: 'the running client to pull b.txt' });
      const upload = await runUpstream(viaProxy);
      expect(upload.code, upload.stdout + upload.stderr).toBe(0);
      expect(upload.stdout).toMatch(/Nothing to send upstream/);
    });
  });

  it('a note no pull can record (its path not in the log after R\'s position) does not keep the refusal once a pull ends up to date', async () => {
    await start();
    // As a killed run may leave it beside a note an ordinary pass never drops (an entry skipped
    // for good, a file E could not serve): the mark of a stopped batch and a note for a path the
    // rest of E's log does not name.
    const seeded = new Database(setup.db, { fileMustExist: true });
    try {
      seeded.prepare("INSERT INTO meta (key, value) VALUES ('batch_open', '[\"docs\"]') ON CONFLICT (key) DO UPDATE SET value = excluded.value").run();
      seeded.prepare("INSERT INTO placements (base_dir, path, checksum, mode) VALUES ('docs', 'gone.txt', ?, 420)").run('0'.repeat(64));
    } finally {
      seeded.close();
    }
    const refused = await runUpstream(setup);
    expect(refused.code, refused.stdout + refused.stderr).toBe(13);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(notes('gone.txt'), 'the note is still there').toBe(1);
    await writeFile(path.join(r, 'mine.txt'), "R's own file\n");
    const upload = await runUpstream(setup);
    expect(upload.code, upload.stdout + upload.stderr).toBe(0);
    expect(upload.stdout).toMatch(/Staged 1 change upstream/);
  });

  it('a deletion the killed run made, then E re-creating the file: the pull after the kill cut keeps --update-upstream refused', async () => {
    const FILES = 3000;
    await start(async (root) => {
      await mkdir(path.join(root, 'del'));
      for (let i = 0; i < FILES; i += 100) {
        await Promise.all(Array.from({ length: 100 }, (_, j) => writeFile(path.join(root, 'del', `f${String(i + j).padStart(4, '0')}.txt`), `file ${i + j}\n`)));
      }
    });
    // E deletes them all; the client is stopped once R's deletions began, before their record.
    const at = sequence();
    await Promise.all((await readdir(path.join(e, 'del'))).map((name) => unlink(path.join(e, 'del', name))));
    await waitForDaemonToSee(daemon, 'docs', e);
    const client = spawn(setup, ['--once']);
    await waitFor(async () => (await readdir(path.join(r, 'del'))).length < FILES, { timeoutMs: 60_000, intervalMs: 1, what: "R's deletions to begin" });
    client.proc.kill('SIGSTOP');
    expect(await client.kill9()).toBe('SIGKILL');
    expect(sequence(), 'the batch was recorded before the kill').toBe(at);
    const left = new Set(await readdir(path.join(r, 'del')));
    expect(left.size, 'the kill came too late to test anything').toBeGreaterThan(0);
    const gone = [...Array(FILES).keys()].map((i) => `f${String(i).padStart(4, '0')}.txt`).find((name) => !left.has(name))!;
    // E makes it again, with new content: the next pull must download it.
    await writeFile(path.join(e, 'del', gone), 'E made it again\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    await cutPull(`del/${gone}`, 'cut');
    expect(await exists(path.join(r, 'del', gone)), 'the cut pull reached the file').toBe(false);
    await expectRefusedUntilPulled(`del/${gone}`, 'E made it again\n');
  });

  it('a log compacted so that the placed path comes in a later page: the pull cut after the first page keeps --update-upstream refused', async () => {
    // Paths long enough that a page (about 4 MiB of entries) holds some 1,100 of them.
    const deep = path.join(...Array.from({ length: 16 }, (_, i) => `${String(i).padStart(2, '0')}${'d'.repeat(198)}`));
    await start(async () => undefined, ['--compact-interval', '0.01']);
    await killAfterPlacing(() => copyFile(path.join(e, 'a.txt'), path.join(e, 'b.txt')), 'b.txt');
    await mkdir(path.join(e, deep), { recursive: true });
    for (let i = 0; i < 1500; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => writeFile(path.join(e, deep, `${'f'.repeat(40)}${i + j}`), `${i + j}\n`)));
    }
    await waitForDaemonToSee(daemon, 'docs', e);
    // After those: E's later b.txt supersedes the entry the killed run placed from.
    await writeFile(path.join(e, 'b.txt'), 'E wrote b.txt again\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const at = sequence();
    // Compacted away: the page after R's position no longer names b.txt.
    const probe = await connect(daemon.url, daemon.token);
    try {
      await probe.request('HELLO', { client_id: 'compaction-probe', protocol: 2 });
      await waitFor(
        async () => {
          const page = await probe.request('GET_CHANGES', { since_sequence: at, limit: 5000 });
          const changes = page.changes as { path: string }[];
          return page.more_available === true && !changes.some((c) => c.path === 'b.txt');
        },
        { timeoutMs: 30_000, what: "b.txt's first entry compacted away, its later one past the first page" },
      );
    } finally {
      await probe.close();
    }
    await cutPull('b.txt', 'cut', () => sequence() > at);
    expect(await readFile(path.join(r, 'b.txt'), 'utf8'), 'the cut pull reached b.txt').toBe(A);
    await expectRefusedUntilPulled('b.txt', 'E wrote b.txt again\n');
  });
});
