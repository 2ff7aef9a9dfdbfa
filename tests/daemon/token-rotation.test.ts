// A token is rotated by rewriting its file: a daemon started with --token-file takes the new
// token for the next connection, with no restart (before, it kept the token it read at start
// until restarted), and still refuses a file other users may read, keeping the last good token
// meanwhile. A running client given --token-file reads it at each connection, so it reconnects
// with the new token; refused in between (E rotated first), it waits for its file to be rewritten
// instead of ending, warning once per refused token (before: at the close and again at the first
// reconnection). Rotating also ends the connections made with the old token at once (before,
// they stayed until they disconnected): a client given the old token with --token stops with the
// sentence it says for a refused token (exit 4); one whose --token-file already holds the new
// token reconnects with it and carries on. No token value ever reaches a log.
import { execFileSync } from 'node:child_process';
import { chmod, rm, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, sameTree, spawnCli, tempDir, waitFor, writeTokenFile, type RawClient, type SpawnedCli } from '../helpers/index.js';

const OLD = 'old-token-0123456789abcdef';
const NEW = 'new-token-fedcba9876543210';
const LEAKED = 'leaked-token-0000000000000';

async function startWithTokenFile(tokenFile: string, root: string, db: string, port = 0): Promise<{ daemon: SpawnedCli; port: number; url: string }> {
  const daemon = spawnCli('daemon', ['--host', '127.0.0.1', '--port', String(port), '--db', db, '--token-file', tokenFile, '--dirs', `docs:${root}`]);
  const match = await waitFor(() => /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(daemon.stderr()), { what: 'the daemon to listen' });
  const chosen = Number(match[1]);
  return { daemon, port: chosen, url: `ws://127.0.0.1:${chosen}` };
}

const accepted = (url: string, token: string) =>
  connect(url, token).then(
    async (client) => {
      await client.close();
      return true;
    },
    () => false,
  );

describe('a rewritten token file', () => {
  const running: SpawnedCli[] = [];
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
  });

  it('gives the running daemon its new token, and a file others may read is refused, the last good token kept', async () => {
    const dir = tempDir('zync-token-');
    const tokenFile = path.join(dir, 'token');
    await writeTokenFile(tokenFile, OLD);
    const { daemon, url } = await startWithTokenFile(tokenFile, tempDir('zync-e-'), path.join(tempDir('zync-state-'), 'sync.db'));
    running.push(daemon);
    expect(await accepted(url, OLD)).toBe(true);

    await writeTokenFile(tokenFile, NEW);
    expect(await accepted(url, NEW)).toBe(true);
    expect(await accepted(url, OLD)).toBe(false);
    expect(daemon.stderr()).toContain(`The token file ${tokenFile} changed`);

    // Rewritten readable by others: not taken; the token read before stays until it is fixed.
    await writeTokenFile(tokenFile, LEAKED, 0o644);
    expect(await accepted(url, LEAKED)).toBe(false);
    expect(await accepted(url, NEW)).toBe(true);
    expect(daemon.stderr()).toMatch(new RegExp(`Token file ${tokenFile} can be read by other users \\(mode 644\\); run chmod 600 ${tokenFile}\\. The token read from it before stays in use until it is fixed\\.`));
    await chmod(tokenFile, 0o600);
    expect(await accepted(url, LEAKED)).toBe(true);

    for (const token of [OLD, NEW, LEAKED]) expect(daemon.stderr()).not.toContain(token);
    expect(daemon.proc.exitCode).toBeNull();
  });

  it.each<[string, (file: string) => Promise<void>]>([
    ['a FIFO', async (file) => {
      await rm(file);
      execFileSync('mkfifo', ['-m', '600', file]);
    }],
    ['a link to /dev/zero', async (file) => {
      await rm(file);
      await symlink('/dev/zero', file);
    }],
  ])('keeps serving, and stops on SIGTERM, when the token file is replaced by %s (before, the read blocked the daemon)', async (_what, spoil) => {
    const tokenFile = path.join(tempDir('zync-token-'), 'token');
    await writeTokenFile(tokenFile, OLD);
    const { daemon, url } = await startWithTokenFile(tokenFile, tempDir('zync-e-'), path.join(tempDir('zync-state-'), 'sync.db'));
    running.push(daemon);
    await spoil(tokenFile);
    await waitFor(() => daemon.stderr().includes(`Token file ${tokenFile} is not a file. The token read from it before stays in use`), { what: 'the daemon to say the token file is not a file' });
    expect(await accepted(url, OLD)).toBe(true);
    expect(daemon.stderr().match(/is not a file/g)).toHaveLength(1);
    const stopped = await Promise.race([daemon.stop('SIGTERM'), new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000))]);
    expect(stopped, 'the daemon to stop on SIGTERM').toBe(0);
  });

  it('closes the connections made with the token accepted before, at once, and only those', async () => {
    const tokenFile = path.join(tempDir('zync-token-'), 'token');
    await writeTokenFile(tokenFile, OLD);
    const { daemon, url } = await startWithTokenFile(tokenFile, tempDir('zync-e-'), path.join(tempDir('zync-state-'), 'sync.db'));
    running.push(daemon);
    const leaked = await connect(url, OLD);
    expect((await leaked.request('HELLO', { client_id: 'leaked', protocol: 2 })).status).toBe('ok');

    await writeTokenFile(tokenFile, NEW);
    const closed = await Promise.race([leaked.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000))]);
    expect(closed).toEqual({ code: 4401, reason: 'the token this connection presented is no longer accepted' });

    // A connection with the new token is served.
    const current: RawClient = await connect(url, NEW);
    try {
      await waitFor(() => /closed 1 connection\(s\) authenticated with the token accepted before/.test(daemon.stderr()), { what: 'the daemon to say it closed one connection' });
      for (let i = 0; i < 3; i++) expect((await current.request('PING')).status).toBe('ok');
    } finally {
      await current.close();
    }
    for (const token of [OLD, NEW]) expect(daemon.stderr()).not.toContain(token);
  });

  it('stops a running client given the old token with --token, with the refused-token sentence (exit 4)', async () => {
    const tokenFile = path.join(tempDir('zync-token-'), 'token');
    await writeTokenFile(tokenFile, OLD);
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    await writeFile(path.join(e, 'a.txt'), 'a\n');
    const { daemon, url } = await startWithTokenFile(tokenFile, e, path.join(tempDir('zync-state-'), 'sync.db'));
    running.push(daemon);
    const client = spawnCli('client', ['--server', url, '--token', OLD, '--db', path.join(tempDir('zync-rstate-'), 'c.db'), '--dirs', `docs:${r}`, '--interval', '600']);
    running.push(client);
    await waitFor(() => sameTree(r, e), { what: 'the first sync' });

    await writeTokenFile(tokenFile, NEW);
    const code = await waitFor(() => client.proc.exitCode, { what: 'the client to stop', timeoutMs: 15_000 });
    expect(code, client.stderr()).toBe(4);
    const errors = client.stderr().split('\n').filter((line) => line.startsWith('zync-client: '));
    expect(errors).toEqual([`zync-client: The daemon at ${url} refused the token (HTTP 401); check --token, --token-file or ZYNC_TOKEN.`]);
    // Told by the close itself: no reconnection with a token that cannot work.
    expect(daemon.stderr()).not.toMatch(/refused a connection/);
  });

  it('makes a running client whose token file holds the new token reconnect with it and carry on', async () => {
    const eTokenFile = path.join(tempDir('zync-etoken-'), 'token');
    const rTokenFile = path.join(tempDir('zync-rtoken-'), 'token');
    await writeTokenFile(eTokenFile, OLD);
    await writeTokenFile(rTokenFile, OLD);
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    await writeFile(path.join(e, 'a.txt'), 'a\n');
    const { daemon, url } = await startWithTokenFile(eTokenFile, e, path.join(tempDir('zync-state-'), 'sync.db'));
    running.push(daemon);
    const client = spawnCli('client', ['--server', url, '--token-file', rTokenFile, '--db', path.join(tempDir('zync-rstate-'), 'c.db'), '--dirs', `docs:${r}`, '--interval', '600']);
    running.push(client);
    await waitFor(() => sameTree(r, e), { what: 'the first sync' });

    // R's file first, then E's: the connection made with the old token is closed, the next one
    // presents the new token, and syncing goes on.
    await writeTokenFile(rTokenFile, NEW);
    await writeTokenFile(eTokenFile, NEW);
    await waitFor(() => (client.stderr().match(/connected to /g) ?? []).length >= 2, { what: 'the client to reconnect', timeoutMs: 15_000 });
    await writeFile(path.join(e, 'b.txt'), 'b\n');
    await waitFor(() => sameTree(r, e), { what: 'the client to sync with the new token' });
    expect(client.proc.exitCode, client.stderr()).toBeNull();
    // An expected step, said once at info (before: two warnings that the token was refused).
    expect(client.stderr().match(/E rotated its token and ended the connection made with the old one; reconnecting with the new token from the token file\./g), client.stderr()).toHaveLength(1);
    expect(client.stderr()).not.toMatch(/WARN|ERROR|refused the token/);
    for (const token of [OLD, NEW]) {
      expect(client.stderr()).not.toContain(token);
      expect(daemon.stderr()).not.toContain(token);
    }
  });

  it('makes a running client whose connection E closed warn once per refused token, not at each reconnection, and carry on once its file holds the new one', async () => {
    const eTokenFile = path.join(tempDir('zync-etoken-'), 'token');
    const rTokenFile = path.join(tempDir('zync-rtoken-'), 'token');
    await writeTokenFile(eTokenFile, OLD);
    await writeTokenFile(rTokenFile, OLD);
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    await writeFile(path.join(e, 'a.txt'), 'a\n');
    const { daemon, url } = await startWithTokenFile(eTokenFile, e, path.join(tempDir('zync-state-'), 'sync.db'));
    running.push(daemon);
    const client = spawnCli('client', ['--server', url, '--token-file', rTokenFile, '--db', path.join(tempDir('zync-rstate-'), 'c.db'), '--dirs', `docs:${r}`, '--interval', '600', '--log-level', 'debug']);
    running.push(client);
    await waitFor(() => sameTree(r, e), { what: 'the first sync' });
    const refused = (level: string) => client.stderr().split('\n').filter((line) => line.includes(` ${level} `) && line.includes('refused the token (HTTP 401)'));
    const warned = `WARN (zync-client): The daemon at ${url} refused the token (HTTP 401); check --token, --token-file or ZYNC_TOKEN. Retrying until the token file holds the token E accepts.`;

    // Rotated on E first: E closes the connection, then refuses each reconnection with R's old
    // token. One warning says so (before: a second one at the first reconnection); the
    // reconnections refused the same way are said at debug.
    await writeTokenFile(eTokenFile, NEW);
    await waitFor(() => refused('DEBUG').length >= 2, { what: 'two reconnections refused', timeoutMs: 20_000 });
    expect(refused('WARN'), client.stderr()).toEqual([expect.stringContaining(warned)]);

    // R's file rewritten with a token E refuses too: a new refusal, warned of once.
    await writeTokenFile(rTokenFile, LEAKED);
    await waitFor(() => refused('WARN').length >= 2, { what: 'the other token refused', timeoutMs: 40_000 });

    // R's file holds the new token: the client connects with it and carries on, saying so once.
    await writeTokenFile(rTokenFile, NEW);
    await writeFile(path.join(e, 'b.txt'), 'b\n');
    await waitFor(() => sameTree(r, e), { what: 'the client to sync with the new token', timeoutMs: 40_000 });
    expect(client.proc.exitCode, client.stderr()).toBeNull();
    expect(refused('WARN'), client.stderr()).toHaveLength(2);
    expect(client.stderr().match(/ WARN /g), client.stderr()).toHaveLength(2);
    expect(client.stderr().match(new RegExp(`INFO \\(zync-client\\): The token file ${rTokenFile} changed`, 'g')), client.stderr()).toHaveLength(2);
    for (const token of [OLD, NEW, LEAKED]) expect(client.stderr()).not.toContain(token);
  });

  it('is taken by a running client refused for its token within seconds of being rewritten, not once its backoff is over', async () => {
    const eTokenFile = path.join(tempDir('zync-etoken-'), 'token');
    const rTokenFile = path.join(tempDir('zync-rtoken-'), 'token');
    await writeTokenFile(eTokenFile, OLD);
    await writeTokenFile(rTokenFile, OLD);
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    await writeFile(path.join(e, 'a.txt'), 'a\n');
    const { daemon, url } = await startWithTokenFile(eTokenFile, e, path.join(tempDir('zync-state-'), 'sync.db'));
    running.push(daemon);
    const client = spawnCli('client', ['--server', url, '--token-file', rTokenFile, '--db', path.join(tempDir('zync-rstate-'), 'c.db'), '--dirs', `docs:${r}`, '--interval', '600', '--log-level', 'debug']);
    running.push(client);
    await waitFor(() => sameTree(r, e), { what: 'the first sync' });

    // Rotated on E first: the reconnections are refused, each waiting longer, until one waits 8 s
    // or more (before, the rewritten file below was read only once that wait was over).
    await writeTokenFile(eTokenFile, NEW);
    const longWait = /refused the token \(HTTP 401\).*Retrying in (\d+\.\d) s\./g;
    await waitFor(() => [...client.stderr().matchAll(longWait)].some((m) => Number(m[1]) >= 8), { what: 'a wait of 8 s or more', timeoutMs: 40_000 });
    const rewritten = Date.now();
    await writeTokenFile(rTokenFile, NEW);
    await writeFile(path.join(e, 'b.txt'), 'b\n');
    await waitFor(() => sameTree(r, e), { what: 'the client to sync with the new token', timeoutMs: 40_000 });
    expect(Date.now() - rewritten, client.stderr()).toBeLessThan(6000);
    expect(client.proc.exitCode, client.stderr()).toBeNull();
    // One line says the file was taken.
    expect(client.stderr().match(new RegExp(`INFO \\(zync-client\\): The token file ${rTokenFile} changed`, 'g')), client.stderr()).toHaveLength(1);
    for (const token of [OLD, NEW]) expect(client.stderr()).not.toContain(token);
  });

  it('is read by a running client at its next connection', async () => {
    const eTokenFile = path.join(tempDir('zync-etoken-'), 'token');
    const rTokenFile = path.join(tempDir('zync-rtoken-'), 'token');
    await writeTokenFile(eTokenFile, OLD);
    await writeTokenFile(rTokenFile, OLD);
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    const db = path.join(tempDir('zync-state-'), 'sync.db');
    await writeFile(path.join(e, 'a.txt'), 'a\n');
    const first = await startWithTokenFile(eTokenFile, e, db);
    running.push(first.daemon);
    const client = spawnCli('client', ['--server', first.url, '--token-file', rTokenFile, '--db', path.join(tempDir('zync-rstate-'), 'c.db'), '--dirs', `docs:${r}`, '--interval', '600']);
    running.push(client);
    await waitFor(() => sameTree(r, e), { what: 'the first sync' });

    // Rotated on E first; the daemon restarts (the connection drops): the client, refused with
    // R's old token, waits instead of ending, and goes on once R's file holds the new one.
    await writeTokenFile(eTokenFile, NEW);
    await first.daemon.stop();
    await writeFile(path.join(e, 'b.txt'), 'b\n');
    const second = await startWithTokenFile(eTokenFile, e, db, first.port);
    running.push(second.daemon);
    await waitFor(() => /refused the token \(HTTP 401\).*Retrying in/.test(client.stderr()), { what: 'the client to be refused and wait' });
    expect(client.proc.exitCode, client.stderr()).toBeNull();
    await writeTokenFile(rTokenFile, NEW);
    await waitFor(() => sameTree(r, e), { what: 'the client to sync with the new token' });
    expect(client.proc.exitCode, client.stderr()).toBeNull();
    expect(client.stderr()).toContain(`The token file ${rTokenFile} changed`);
    for (const token of [OLD, NEW]) expect(client.stderr()).not.toContain(token);
  });
});
