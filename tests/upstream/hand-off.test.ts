// zync-client --update-upstream while a client runs on the same state (the usual service): the
// one-shot hands the upload to the running client over `<db>.sock` and reports its result as its
// own — stdout, stderr and exit code — while the running client goes on pulling. A one-shot given
// other --dirs or another --server is refused with a sentence saying what differs; Ctrl-C cancels
// the upload as it would in-process. A socket left by a client killed with -9 never blocks: the
// next client replaces it, and while nobody answers on it the one-shot says "in use" as before.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../helpers/tcp-proxy.mjs';
import { spawnCli, startDaemon, tempDir, waitFor, writeRandomFile, writeText, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { clientArgs, conflictCopies, spawnClient, syncedPair, type ClientSetup } from '../client/support.js';
import { listSessions, runApply, runUpstream, stagingIdFrom } from './support.js';

const lastLine = (text: string) => text.trim().split('\n').at(-1);
const readText = (file: string) => readFile(file, 'utf8');

describe('upstream: --update-upstream handed to the running client', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;
  let client: SpawnedCli | undefined;
  const socket = () => `${setup.db}.sock`;

  /** A running client, once it listens for hand-offs (after its first pass). */
  async function startClient(): Promise<SpawnedCli> {
    const started = spawnClient(setup, ['--interval', '600']);
    await waitFor(() => existsSync(socket()) && /pull: /.test(started.stderr()), { what: 'the running client to listen on its socket' });
    return started;
  }

  beforeAll(async () => {
    ({ e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeText(path.join(e, 'a.txt'), 'from E\n');
    }));
  });
  afterEach(async () => {
    await client?.stop('SIGKILL');
    client = undefined;
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('stages R\'s edit through the running client, which keeps pulling after it', async () => {
    client = await startClient();
    expect((await stat(socket())).mode & 0o777).toBe(0o600);
    await writeText(path.join(r, 'a.txt'), 'edited on R\n');
    await writeText(path.join(r, 'new.txt'), 'new on R\n');

    const sent = await runUpstream(setup);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/^Staged 2 changes upstream as session \S+ \(.*; 0 conflicts\)\.$/m);
    const stagingId = stagingIdFrom(sent.stdout);
    expect(sent.stdout).toContain(`On E, review and apply it with: zync-apply apply ${stagingId}`);
    expect(sent.stderr).toContain(`the zync-client running on this state (pid ${client.pid}) sends R's edits`);
    const sessions = await listSessions(daemon, false);
    expect(sessions.map((s) => [s.staging_id, s.status, s.file_count])).toEqual([[stagingId, 'complete', 2]]);
    // The running client says who asked, in its own log.
    expect(client.stderr()).toMatch(new RegExp(`--update-upstream of pid \\d+: done`));

    // Sent once: asked again, nothing new goes.
    const again = await runUpstream(setup);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^Nothing new to send upstream: 2 changes are already staged in /m);

    // It goes on pulling: the session applied on E comes back as R's own edits (no conflict
    // copy), and E's later file arrives after it.
    const applied = await runApply(daemon, ['apply', stagingId, '--non-interactive']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await readText(path.join(e, 'new.txt'))).toBe('new on R\n');
    await writeText(path.join(e, 'later.txt'), 'later from E\n');
    await waitFor(async () => (await readText(path.join(r, 'later.txt')).catch(() => null)) === 'later from E\n', { what: "E's later file on R" });
    expect(await conflictCopies(r)).toEqual([]);
    expect(await readText(path.join(r, 'a.txt'))).toBe('edited on R\n');

    // A clean stop removes the socket; a connection that never asked anything does not hold it up.
    const idle = createConnection(socket());
    await new Promise((resolve) => idle.once('connect', resolve));
    expect(await client.stop('SIGTERM'), client.stderr()).toBe(0);
    idle.destroy();
    expect(existsSync(socket())).toBe(false);
  });

  it('refuses other --dirs or another --server, saying what differs, and sends nothing', async () => {
    client = await startClient();
    await writeText(path.join(r, 'refused.txt'), 'not sent\n');
    const before = (await listSessions(daemon)).length;

    const elsewhere = tempDir('zync-r-');
    const otherDirs = await runUpstream({ ...setup, dirs: { docs: elsewhere } });
    expect(otherDirs.code, otherDirs.stderr).toBe(2);
    expect(lastLine(otherDirs.stderr)).toBe(
      `zync-client: --dirs differs from the running zync-client (pid ${client.pid}), which has docs:${r}: "docs" is ${r} there, ${elsewhere} here; give the same --dirs to hand the upload to it, or stop it first.`,
    );

    const otherServer = await runUpstream(setup, `ws://127.0.0.1:1`);
    expect(otherServer.code, otherServer.stderr).toBe(2);
    expect(lastLine(otherServer.stderr)).toBe(
      `zync-client: --server ws://127.0.0.1:1 is not the one the running zync-client (pid ${client.pid}) syncs with (${daemon.url}); give the same --server to hand the upload to it, or stop it first.`,
    );
    expect(await listSessions(daemon)).toHaveLength(before);
    await rm(path.join(r, 'refused.txt'));
  });

  it('Ctrl-C on the one-shot cancels the upload in the running client: exit 3, nothing staged', async () => {
    client = await startClient();
    const big = path.join(r, 'big.bin');
    await writeRandomFile(big, 200 * 1024 * 1024);
    const stagingRoot = path.join(daemon.stateDir, 'zync-staging');
    const earlier = new Set(await readdir(stagingRoot).catch(() => []));
    const sessionsBefore = (await listSessions(daemon)).length;

    const oneShot = spawnCli('client', clientArgs(setup, ['--update-upstream']));
    const stagingId = await waitFor(
      async () => {
        for (const id of await readdir(stagingRoot).catch(() => [])) {
          if (!earlier.has(id) && (await readdir(path.join(stagingRoot, id)).catch(() => [])).length > 0) return id;
        }
        return null;
      },
      { intervalMs: 2, timeoutMs: 60_000, what: 'an upstream session receiving bytes' },
    );
    oneShot.proc.kill('SIGINT');
    expect(await oneShot.exited, oneShot.stderr()).toBe(3);
    expect(lastLine(oneShot.stderr())).toBe('zync-client: Stopped before the upload finished; E keeps nothing of this attempt — run --update-upstream again.');
    const sessions = await waitFor(
      async () => {
        const all = await listSessions(daemon);
        const ours = all.find((s) => s.staging_id === stagingId);
        return ours && ours.status !== 'in_progress' ? all : null;
      },
      { what: 'the session to be aborted' },
    );
    expect(sessions).toHaveLength(sessionsBefore + 1);
    expect(sessions.find((s) => s.staging_id === stagingId)?.status).toBe('aborted');
    // The running client is unharmed: it still answers.
    await rm(big);
    const next = await runUpstream(setup);
    expect(next.code, next.stderr).toBe(0);
  });

  it('Ctrl-C on a one-shot waiting behind a pull ends it at once, not once the pull is over', async () => {
    // Round trips of 2 s: a pass that fetches one file takes several.
    const proxy = await startProxy({ targetPort: daemon.port, delayMs: 1000 });
    const viaProxy = { ...setup, daemon: { ...daemon, url: proxy.url } };
    try {
      client = spawnClient(viaProxy, ['--interval', '600']);
      await waitFor(() => existsSync(socket()) && /pull: /.test(client!.stderr()), { what: 'the running client to listen', timeoutMs: 60_000 });
      await writeText(path.join(r, 'queued.txt'), 'not sent\n');
      const sessionsBefore = (await listSessions(daemon)).length;
      // Its pass for E's new file has asked for it (more than a heartbeat's few bytes went out).
      const asked = proxy.bytes.toTarget;
      await writeText(path.join(e, 'during-pull.txt'), 'from E\n');
      await waitFor(() => proxy.bytes.toTarget > asked + 40, { what: 'the pass asking for the change', intervalMs: 5, timeoutMs: 30_000 });

      const oneShot = spawnCli('client', clientArgs(viaProxy, ['--update-upstream']));
      await waitFor(() => oneShot.stderr().includes("it is pulling E's changes; the upload starts once that pass ends"), { what: 'the one-shot to wait' });
      oneShot.proc.kill('SIGINT');
      expect(await oneShot.exited, oneShot.stderr()).toBe(3);
      expect(lastLine(oneShot.stderr())).toBe('zync-client: Stopped before the upload finished; E keeps nothing of this attempt — run --update-upstream again.');
      // Before: it ended only after the pull, which had written E's file by then.
      expect(existsSync(path.join(r, 'during-pull.txt'))).toBe(false);

      await waitFor(async () => (await readText(path.join(r, 'during-pull.txt')).catch(() => null)) === 'from E\n', { what: "E's file on R", timeoutMs: 60_000 });
      expect(await listSessions(daemon)).toHaveLength(sessionsBefore);
      expect(client.stderr()).toMatch(/--update-upstream of pid \d+: Stopped before the upload finished/);
    } finally {
      await client?.stop('SIGKILL');
      client = undefined;
      await proxy.close();
      await rm(path.join(r, 'queued.txt'), { force: true });
    }
  });

  it('with its socket full, the running client says it is busy; connections that ask nothing are closed after a while', async () => {
    client = await startClient();
    // Connected, asking nothing: what each hears before the running client closes it.
    const heard: string[] = [];
    const idle = await Promise.all(
      Array.from({ length: 16 }, async () => {
        const connection = createConnection(socket());
        let said = '';
        connection.on('data', (d: Buffer) => (said += d.toString()));
        connection.once('close', () => heard.push(said));
        await new Promise((resolve) => connection.once('connect', resolve));
        return connection;
      }),
    );
    const busy = await runUpstream(setup);
    expect(busy.code, busy.stderr).toBe(8);
    expect(lastLine(busy.stderr)).toBe(
      `zync-client: The running zync-client (pid ${client.pid}) is busy: 16 other connections wait on its socket ${socket()}; run --update-upstream again in a moment.`,
    );
    // They are let go, saying why, and the next one-shot gets through.
    try {
      await waitFor(() => heard.length === idle.length, { what: 'the idle connections to be closed', timeoutMs: 30_000 });
    } finally {
      for (const connection of idle) connection.destroy();
    }
    expect(heard.every((said) => said.includes('"The hand-off socket got no request within 5 s."')), heard.join('')).toBe(true);
    const next = await runUpstream(setup);
    expect(next.code, next.stderr).toBe(0);
  });

  it('a stopped or hung running client: the one-shot says it handed the upload over, and one Ctrl-C ends it (exit 3)', async () => {
    client = await startClient();
    await writeText(path.join(r, 'to-a-hung-client.txt'), 'R edit\n');
    const sessionsBefore = (await listSessions(daemon)).length;
    client.proc.kill('SIGSTOP');
    try {
      const oneShot = spawnCli('client', clientArgs(setup, ['--update-upstream']));
      await waitFor(() => oneShot.stderr().includes(`the upload is handed to the zync-client running on this state (pid ${client!.pid}); Ctrl-C cancels it`), {
        what: 'the one-shot to say where its upload went',
      });
      oneShot.proc.kill('SIGINT');
      // Before: it waited for an answer that never came, until a second Ctrl-C (exit 130).
      await waitFor(() => oneShot.proc.exitCode !== null, { what: 'the one-shot to end after one Ctrl-C', timeoutMs: 20_000 });
      expect(await oneShot.exited, oneShot.stderr()).toBe(3);
      expect(lastLine(oneShot.stderr())).toBe(
        `zync-client: The running zync-client (pid ${client.pid}) did not answer Ctrl-C within 5 s (is it stopped or hung? see its log); it cancels the upload once it runs again, and E keeps nothing of this attempt — run --update-upstream again.`,
      );
    } finally {
      client.proc.kill('SIGCONT');
    }
    // Once it runs again it drops that upload and answers the next one-shot.
    await waitFor(() => /--update-upstream of pid \d+: Stopped before the upload finished/.test(client!.stderr()), { what: 'the dropped upload in its log' });
    expect(await listSessions(daemon)).toHaveLength(sessionsBefore);
    const next = await runUpstream(setup);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/^Staged 1 change upstream as session /m);
  });

  // A suspended laptop session: before, the one-shot said it handed the upload over, then nothing
  // for ever. Now it says once, after a few seconds, that the client is stopped, and waits on.
  it('a stopped running client: the one-shot says once that it is stopped, and the upload goes on when it is resumed', async () => {
    client = await startClient();
    await writeText(path.join(r, 'to-a-stopped-client.txt'), 'R edit\n');
    client.proc.kill('SIGSTOP');
    let oneShot: SpawnedCli | undefined;
    try {
      oneShot = spawnCli('client', clientArgs(setup, ['--update-upstream']));
      const note = `WARN (zync-client): The running zync-client (pid ${client.pid}) has not answered in 5 s: it is stopped (state T in /proc/${client.pid}/stat: suspended, by SIGSTOP or Ctrl-Z say); the upload waits until it runs again (kill -CONT ${client.pid}), or Ctrl-C cancels it.`;
      await waitFor(() => oneShot!.stderr().includes(note), { what: 'the one-shot to say the running client is stopped', timeoutMs: 20_000 });
      expect(oneShot.proc.exitCode).toBeNull();
    } finally {
      client.proc.kill('SIGCONT');
    }
    expect(await oneShot.exited, oneShot.stderr()).toBe(0);
    expect(oneShot.stdout()).toMatch(/^Staged 1 change upstream as session /m);
    expect(oneShot.stderr().split('has not answered')).toHaveLength(2);
  });

  it('the running client stopped during the upload (systemctl stop): the one-shot says so, exit 3, nothing staged', async () => {
    client = await startClient();
    const big = path.join(r, 'big-stop.bin');
    await writeRandomFile(big, 200 * 1024 * 1024);
    const stagingRoot = path.join(daemon.stateDir, 'zync-staging');
    const earlier = new Set(await readdir(stagingRoot).catch(() => []));

    const oneShot = spawnCli('client', clientArgs(setup, ['--update-upstream']));
    const stagingId = await waitFor(
      async () => {
        for (const id of await readdir(stagingRoot).catch(() => [])) {
          if (!earlier.has(id) && (await readdir(path.join(stagingRoot, id)).catch(() => [])).length > 0) return id;
        }
        return null;
      },
      { intervalMs: 2, timeoutMs: 60_000, what: 'an upstream session receiving bytes' },
    );
    const pid = client.pid;
    expect(await client.stop('SIGTERM'), client.stderr()).toBe(0);
    client = undefined;
    expect(await oneShot.exited, oneShot.stderr()).toBe(3);
    expect(lastLine(oneShot.stderr())).toBe(
      `zync-client: The running zync-client (pid ${pid}) stopped before the upload finished; E keeps nothing of this attempt — run --update-upstream again.`,
    );
    expect(existsSync(socket())).toBe(false);
    await waitFor(async () => (await listSessions(daemon)).find((s) => s.staging_id === stagingId)?.status === 'aborted', { what: 'the session to be aborted' });
    await rm(big);
  });

  it('a socket left by a client killed with -9 blocks nothing', async () => {
    client = await startClient();
    await client.kill9();
    client = undefined;
    expect(existsSync(socket())).toBe(true);

    // Nobody holds the state now: the one-shot runs itself, as always.
    await writeText(path.join(r, 'after-kill.txt'), 'sent in-process\n');
    const alone = await runUpstream(setup);
    expect(alone.code, alone.stderr).toBe(0);
    expect(alone.stderr).not.toContain('the zync-client running on this state');
    expect(alone.stdout).toMatch(/^Staged 1 change upstream as session /m);

    // The next running client replaces the stale socket and takes hand-offs.
    client = await startClient();
    await writeText(path.join(r, 'after-restart.txt'), 'sent by the service\n');
    const handed = await runUpstream(setup);
    expect(handed.code, handed.stderr).toBe(0);
    expect(handed.stderr).toContain(`the zync-client running on this state (pid ${client.pid}) sends R's edits`);
    expect(handed.stdout).toMatch(/^Staged 1 change upstream as session /m);
  });

  it('pulls first where R must (E\'s log recreated), then sends: exit 0, not 13', async () => {
    // E's own state, so that recreating its database leaves the other tests' daemon alone.
    const pair = await syncedPair(async (e) => writeText(path.join(e, 'a.txt'), 'base\n'));
    const first = pair.daemon;
    let second: DaemonHandle | undefined;
    const running = spawnClient(pair.setup, ['--interval', '600', '--log-level', 'debug']);
    try {
      await waitFor(() => existsSync(`${pair.setup.db}.sock`) && /pull: /.test(running.stderr()), { what: 'the running client to listen' });
      await first.stop();
      for (const suffix of ['', '-wal', '-shm']) await rm(`${first.db}${suffix}`, { force: true });
      // The running client is between two reconnection attempts for at least 4 s: the one-shot's
      // upload meets the new log before the running client's pull does.
      await waitFor(() => [...running.stderr().matchAll(/Retrying in (\d+\.\d) s/g)].some((m) => Number(m[1]) >= 4), {
        timeoutMs: 30_000,
        what: 'a reconnection delay of 4 s or more',
      });
      second = await startDaemon({ dirs: { docs: pair.e }, db: first.db, port: first.port });
      await writeText(path.join(pair.r, 'a.txt'), 'R edit\n');
      const sent = await runUpstream({ ...pair.setup, daemon: second });
      expect(sent.code, sent.stderr).toBe(0);
      expect(sent.stderr).toContain("E's change log was recreated since R last synced: pulling first, then sending");
      expect(sent.stdout).toMatch(/^Staged 1 change upstream as session /m);
      expect((await listSessions(second, false)).map((s) => s.file_count)).toEqual([1]);
    } finally {
      await running.stop('SIGKILL');
      await second?.stop();
    }
  });

  it('says "in use", as before, when the state\'s holder does not answer on the socket', async () => {
    // A stale socket (its listener killed with -9), and a live zync-client process holding the
    // lock that does not listen (an older zync's client, or a --once run).
    await rm(socket(), { force: true });
    const listener = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(socket())}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => listener.stdout.once('data', resolve));
    listener.kill('SIGKILL');
    await new Promise((resolve) => listener.once('exit', resolve));
    expect(existsSync(socket())).toBe(true);
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'zync-client'], { stdio: 'ignore' });
    try {
      await writeText(`${setup.db}.lock`, `${holder.pid}\n`);
      const refused = await runUpstream(setup);
      expect(refused.code, refused.stderr).toBe(8);
      expect(lastLine(refused.stderr)).toBe(`zync-client: Another zync-client (pid ${holder.pid}) is using the client state ${setup.db}; stop it first.`);
    } finally {
      holder.kill('SIGKILL');
      await rm(`${setup.db}.lock`, { force: true });
      await rm(socket(), { force: true });
    }
  });
});
