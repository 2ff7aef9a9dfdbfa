// An upload cut by a token rotation (the daemon ends the connection made with the old token,
// close 4401). With --token, it is said as the refused token it is (exit 4), as a request cut the
// same way is, not as a lost connection (before: exit 3, "closed the connection"); a rerun with
// the new token stages the whole upload. With --token-file whose file already holds the new token
// (R's file rotated first), the upload starts again once with it, says so in one info line, and
// stages (before: exit 4, and a rerun staged everything again) — also when the upload was handed
// to a running client, whose connection is the one E cuts.
import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, spawnCli, tempDir, waitFor, writeRandomFile, writeTokenFile, type SpawnedCli } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { stagingIdFrom, type SessionJson } from './support.js';

const MiB = 1024 * 1024;
const BIG = 160 * MiB;
const OLD = 'old-token-0123456789abcdef';
const NEW = 'new-token-fedcba9876543210';
const AGAIN = "E rotated its token and ended the upload's connection, made with the old one; E keeps nothing of that attempt, so the upload starts again with the new token from the token file.";

async function sessionsOn(eDb: string): Promise<SessionJson[]> {
  const listed = await runCli('apply', ['--db', eDb, 'list', '--all', '--json']);
  expect(listed.code, listed.stderr).toBe(0);
  return JSON.parse(listed.stdout) as SessionJson[];
}

describe('an upload cut by a token rotation', () => {
  const running: SpawnedCli[] = [];
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    for (const p of running.splice(0)) await p.stop('SIGKILL');
  });

  /** E's daemon (its token file holding OLD) behind a proxy, and R pulled once with `token`. */
  async function start(token: string[]) {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    const eToken = path.join(tempDir('zync-etoken-'), 'token');
    await writeTokenFile(eToken, OLD);
    await writeFile(path.join(e, 'a.txt'), 'a\n');
    const eDb = path.join(tempDir('zync-state-'), 'sync.db');
    const daemon = spawnCli('daemon', ['--host', '127.0.0.1', '--port', '0', '--db', eDb, '--token-file', eToken, '--dirs', `docs:${e}`]);
    running.push(daemon);
    const port = Number((await waitFor(() => /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(daemon.stderr()), { what: 'the daemon to listen', timeoutMs: 60_000 }))[1]);
    proxy = await startProxy({ targetPort: port });
    const db = path.join(tempDir('zync-rstate-'), 'c.db');
    const args = (...extra: string[]) => ['--server', proxy!.url, ...token, '--db', db, '--dirs', `docs:${r}`, ...extra];
    const pulled = await runCli('client', args('--once'), { timeoutMs: 60_000 });
    expect(pulled.code, pulled.stderr).toBe(0);
    return { r, eToken, eDb, daemon, db, args };
  }

  /** Holds R's upload at a quarter of the file while `rotate` runs, until E closed `closed` connections. */
  async function rotateMidUpload(daemon: SpawnedCli, closed: number, rotate: () => Promise<void>, before: number): Promise<void> {
    await waitFor(() => proxy!.bytes.toTarget - before > BIG / 4, { timeoutMs: 60_000, intervalMs: 1, what: 'a quarter of the file through the proxy' });
    proxy!.stall('toTarget');
    await rotate();
    await waitFor(() => new RegExp(`closed ${closed} connection\\(s\\) authenticated with the token accepted before`).test(daemon.stderr()), { what: 'the daemon to close the old connections' });
    proxy!.unstall();
  }

  it('ends with the refused-token sentence (exit 4) given --token, and a rerun with the new token stages it', async () => {
    const { r, eToken, daemon, args } = await start(['--token', OLD]);
    await writeRandomFile(path.join(r, 'film.bin'), BIG);
    const withToken = (token: string) => args('--update-upstream').map((a) => (a === OLD ? token : a));
    const upload = spawnCli('client', withToken(OLD));
    running.push(upload);
    await rotateMidUpload(daemon, 1, () => writeTokenFile(eToken, NEW), 0);
    expect(await upload.exited, upload.stderr()).toBe(4);
    expect(upload.stderr()).toContain('refused the token (HTTP 401); check --token, --token-file or ZYNC_TOKEN.');
    expect(upload.stderr()).not.toContain(AGAIN);

    const again = await runCli('client', withToken(NEW), { timeoutMs: 110_000 });
    expect(again.code, again.stderr).toBe(0);
  });

  it('starts again once with the new token when R\'s --token-file already holds it, and stages', async () => {
    const rToken = path.join(tempDir('zync-rtoken-'), 'token');
    await writeTokenFile(rToken, OLD);
    const { r, eToken, eDb, daemon, args } = await start(['--token-file', rToken]);
    // A session E discarded: the upload says its change goes again before sending (once, though
    // the upload is sent twice).
    await writeFile(path.join(r, 'small.txt'), 'small\n');
    const first = await runCli('client', args('--update-upstream'), { timeoutMs: 60_000 });
    expect(first.code, first.stderr).toBe(0);
    const discardedId = stagingIdFrom(first.stdout);
    const discarded = await runCli('apply', ['--db', eDb, 'discard', discardedId, '--non-interactive']);
    expect(discarded.code, discarded.stderr).toBe(0);
    await writeRandomFile(path.join(r, 'film.bin'), BIG);

    const upload = spawnCli('client', args('--update-upstream'));
    running.push(upload);
    await rotateMidUpload(daemon, 1, async () => {
      await writeTokenFile(rToken, NEW);
      await writeTokenFile(eToken, NEW);
    }, proxy!.bytes.toTarget);
    expect(await upload.exited, upload.stderr()).toBe(0);
    expect(upload.stderr().split(AGAIN), upload.stderr()).toHaveLength(2);
    expect(upload.stderr()).not.toMatch(/WARN|ERROR|refused the token/);
    const stagingId = stagingIdFrom(upload.stdout());
    expect(upload.stdout().match(/^Staged /gm)).toHaveLength(1);
    expect(upload.stdout().match(new RegExp(`^Session ${discardedId} was discarded on E`, 'gm')), upload.stdout()).toHaveLength(1);
    const sessions = await sessionsOn(eDb);
    expect(sessions.filter((s) => s.status === 'complete').map((s) => [s.staging_id, s.file_count])).toEqual([[stagingId, 2]]);
    expect(sessions.filter((s) => s.status === 'aborted')).toHaveLength(1);
    for (const token of [OLD, NEW]) expect(upload.stderr()).not.toContain(token);
  });

  it('starts again once in the running client it was handed to, whose token file holds the new token; the one-shot reports that outcome', async () => {
    const rToken = path.join(tempDir('zync-rtoken-'), 'token');
    await writeTokenFile(rToken, OLD);
    const { r, eToken, eDb, daemon, db, args } = await start(['--token-file', rToken]);
    await writeRandomFile(path.join(r, 'film.bin'), BIG);
    const service = spawnCli('client', args('--interval', '600'));
    running.push(service);
    await waitFor(() => existsSync(`${db}.sock`) && /pull: /.test(service.stderr()), { what: 'the running client to listen on its socket' });
    const upload = spawnCli('client', args('--update-upstream'));
    running.push(upload);
    await waitFor(() => upload.stderr().includes('the upload is handed to'), { what: 'the hand-off' });
    // Both of the running client's connections go: its pulls' and the upload's.
    await rotateMidUpload(daemon, 2, async () => {
      await writeTokenFile(rToken, NEW);
      await writeTokenFile(eToken, NEW);
    }, proxy!.bytes.toTarget);
    expect(await upload.exited, upload.stderr()).toBe(0);
    expect(upload.stderr().split(AGAIN), upload.stderr()).toHaveLength(2);
    expect(upload.stderr()).not.toMatch(/WARN|ERROR|refused the token/);
    const stagingId = stagingIdFrom(upload.stdout());
    const sessions = await sessionsOn(eDb);
    expect(sessions.filter((s) => s.status === 'complete').map((s) => [s.staging_id, s.file_count])).toEqual([[stagingId, 1]]);
    expect(service.proc.exitCode, service.stderr()).toBeNull();
    expect(service.stderr()).toMatch(/--update-upstream of pid \d+: done/);
    for (const token of [OLD, NEW]) expect(`${upload.stderr()}${service.stderr()}`).not.toContain(token);
  });
});
