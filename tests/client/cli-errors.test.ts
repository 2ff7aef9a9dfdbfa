// zync-client --once fails with one clear sentence and a stable exit code when the daemon cannot
// be reached, refuses the token, or does not serve a --dirs name; bad usage is refused before
// anything is touched. ZYNC_TOKEN is honoured.
import { realpathSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonStore } from '@zync/daemon';
import { exists, runCli, sha256File, spawnCli, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { startProxy } from '../helpers/tcp-proxy.mjs';
import { stateDb } from './support.js';

/** The last line the client printed: the sentence a user reads. */
const lastLine = (stderr: string) => stderr.trim().split('\n').at(-1) ?? '';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('zync-client errors', () => {
  let daemon: DaemonHandle;
  let e: string;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  const args = (server: string, extra: string[]) => {
    const state = tempDir('zync-rstate-');
    return ['--server', server, '--db', path.join(state, 'sync_client.db'), '--once', ...extra];
  };

  it('exits 3 with one sentence when the daemon cannot be reached', async () => {
    const port = await freePort();
    const result = await runCli('client', args(`ws://127.0.0.1:${port}`, ['--token', 't', '--dirs', `docs:${tempDir()}`]));
    expect(result.code).toBe(3);
    expect(lastLine(result.stderr)).toMatch(/^zync-client: Cannot reach the daemon at ws:\/\/127\.0\.0\.1:\d+: connection refused/);
  });

  // ssh -R with the daemon on E down: R's end of the tunnel accepts, then drops the connection.
  // Before, every attempt said to switch --server to wss://, which is what a daemon serving
  // wss:// does to ws:// too; only a TLS answer at the address tells the two apart.
  it('says a tunnel that accepts with no daemon at its end is up but unanswered, not to use wss://', async () => {
    const tunnel = await startProxy({ targetPort: await freePort() });
    try {
      const result = await runCli('client', args(tunnel.url, ['--token', 't', '--dirs', `docs:${tempDir()}`]));
      expect(result.code).toBe(3);
      expect(tunnel.counters.accepted).toBeGreaterThan(0);
      expect(lastLine(result.stderr)).toBe(
        `zync-client: Cannot reach the daemon at ${tunnel.url}: the connection was accepted, then closed before any answer: through an SSH tunnel, the tunnel is up but nothing answers at E's end; is zync-daemon running on E?`,
      );
    } finally {
      await tunnel.close();
    }
  });

  // Before, the first Ctrl-C waited out the 15 s handshake timeout (a stalled tunnel, a wrong port).
  it.each<[string, string[], number, RegExp]>([
    ['--once', ['--once'], 3, /^zync-client: Stopped before R was up to date\.$/],
    ['a continuous client', [], 0, /SIGINT: stopping$/],
  ])('%s stops at once on Ctrl-C while the address it dials does not answer the handshake', async (_name, extra, code, last) => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const state = tempDir('zync-rstate-');
      const client = spawnCli('client', ['--server', `ws://127.0.0.1:${port}`, '--token', 't', '--db', path.join(state, 'sync_client.db'), '--dirs', `docs:${tempDir()}`, ...extra]);
      await waitFor(() => sockets.length > 0, { what: 'the client to dial' });
      const started = Date.now();
      expect(await client.stop('SIGINT')).toBe(code);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(lastLine(client.stderr())).toMatch(last);
      expect(await readdir(state)).toEqual([]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('exits 4 with one sentence when the daemon refuses the token', async () => {
    const result = await runCli('client', args(daemon.url, ['--token', 'wrong', '--dirs', `docs:${tempDir()}`]));
    expect(result.code).toBe(4);
    expect(lastLine(result.stderr)).toMatch(/^zync-client: The daemon at .* refused the token \(HTTP 401\)/);
    expect(result.stderr).not.toContain('wrong');
  });

  it('honours ZYNC_TOKEN', async () => {
    const result = await runCli('client', args(daemon.url, ['--dirs', `docs:${tempDir()}`]), { env: { ZYNC_TOKEN: daemon.token } });
    expect(result.code, result.stderr).toBe(0);
  });

  it('exits 2 naming the directory when the daemon does not serve a --dirs name', async () => {
    const result = await runCli('client', args(daemon.url, ['--token', daemon.token, '--dirs', `nope:${tempDir()}`]));
    expect(result.code).toBe(2);
    expect(lastLine(result.stderr)).toBe('zync-client: The daemon does not serve "nope" (it serves "docs").');
  });

  it('--update-upstream exits 2 with the same sentence when the daemon does not serve a --dirs name', async () => {
    const db = path.join(tempDir('zync-rstate-'), 'sync_client.db');
    const r = tempDir('zync-r-');
    const first = await runCli('client', ['--server', daemon.url, '--token', daemon.token, '--db', db, '--once', '--dirs', `docs:${r}`]);
    expect(first.code, first.stderr).toBe(0);
    const other = tempDir('zync-r-');
    await writeFile(path.join(other, 'x.txt'), 'R\n');
    const result = await runCli('client', ['--server', daemon.url, '--token', daemon.token, '--db', db, '--update-upstream', '--dirs', `docs:${r}`, `nope:${other}`]);
    expect(result.code, result.stderr).toBe(2);
    expect(lastLine(result.stderr)).toBe('zync-client: The daemon does not serve "nope" (it serves "docs").');
  });

  // docs/guarantees.md §2: bad input changes nothing. The client proves the token and the
  // served names before it creates a local root or its database.
  it.each<[string, (db: string, root: string) => string[], number, RegExp]>([
    ['a wrong token (--once)', () => ['--token', 'wrong', '--once'], 4, /refused the token \(HTTP 401\)/],
    ['a wrong token (continuous)', () => ['--token', 'wrong'], 4, /refused the token \(HTTP 401\)/],
    ['an unknown base dir (--once)', () => ['--token', daemon.token, '--once'], 2, /does not serve "nope"/],
    ['an unknown base dir (continuous)', () => ['--token', daemon.token], 2, /does not serve "nope"/],
    ['an unreachable daemon (--once)', () => ['--token', daemon.token, '--once'], 3, /Cannot reach the daemon/],
    ['--update-upstream before any sync', () => ['--token', daemon.token, '--update-upstream'], 13, /has not synced with E yet/],
    ['--db given twice', (db) => ['--token', daemon.token, '--once', '--db', `${db}.other`], 2, /--db was given more than once/],
    ['--interval without its value', () => ['--token', daemon.token, '--interval', '--once'], 2, /^zync-client: --interval needs a value\.$/],
  ])('creates neither the local root nor the database on %s', async (name, extra, code, message) => {
    const state = tempDir('zync-rstate-');
    const db = path.join(state, 'sync_client.db');
    const root = path.join(tempDir(), 'not/yet/here');
    const dirName = name.includes('unknown base dir') ? 'nope' : 'docs';
    const server = name.includes('unreachable') ? `ws://127.0.0.1:${await freePort()}` : daemon.url;
    const result = await runCli('client', ['--server', server, '--db', db, '--dirs', `${dirName}:${root}`, ...extra(db, root)]);
    expect(result.code, result.stderr).toBe(code);
    expect(lastLine(result.stderr)).toMatch(message);
    expect(await exists(root)).toBe(false);
    expect(await exists(path.dirname(root))).toBe(false);
    expect(await readdir(state)).toEqual([]);
  });

  it('creates missing local directories', async () => {
    const local = path.join(tempDir(), 'not/yet/here');
    const result = await runCli('client', args(daemon.url, ['--token', daemon.token, '--dirs', `docs:${local}`]));
    expect(result.code, result.stderr).toBe(0);
    expect(await exists(local)).toBe(true);
  });

  it("creates a new database's missing directory, as the daemon does", async () => {
    const db = path.join(tempDir('zync-rstate-'), 'not/yet/sync_client.db');
    const result = await runCli('client', ['--server', daemon.url, '--token', daemon.token, '--db', db, '--once', '--dirs', `docs:${tempDir()}`]);
    expect(result.code, result.stderr).toBe(0);
    expect(await exists(db)).toBe(true);
  });

  it('exits 2 with one sentence, before connecting, when the directory of a new database cannot be made, and creates no root', async () => {
    const file = path.join(tempDir(), 'a-file');
    await writeFile(file, 'x');
    const db = path.join(file, 'state', 'sync_client.db');
    const local = path.join(tempDir(), 'docs');
    // No daemon listens there: the refusal must come before any connection is tried.
    const server = `ws://127.0.0.1:${await freePort()}`;
    const result = await runCli('client', ['--server', server, '--token', daemon.token, '--db', db, '--once', '--dirs', `docs:${local}`]);
    // Before: found only once connected (exit 3 here; in continuous mode after hours of retries).
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(lastLine(result.stderr)).toBe(`zync-client: Cannot create ${path.dirname(db)}, the directory of --db (${file} is a file); pass a --db whose directory exists or can be made.`);
    expect(await exists(local)).toBe(false);
  });

  it.each([
    ['an existing folder', true],
    ['a folder not made yet', false],
  ])('exits 2 when its database would live inside a synced directory, in %s, and creates nothing', async (_where, made) => {
    const r = tempDir('zync-r-');
    const db = path.join(r, 'state', 'sync_client.db');
    if (made) await mkdir(path.dirname(db));
    const result = await runCli('client', ['--server', daemon.url, '--token', daemon.token, '--db', db, '--once', '--dirs', `docs:${r}`]);
    expect(result.code, result.stderr).toBe(2);
    expect(lastLine(result.stderr)).toBe(
      `zync-client: The client database ${db} is inside the synced directory "docs" (${realpathSync(r)}); put --db outside every synced directory.`,
    );
    expect(await readdir(r)).toEqual(made ? ['state'] : []);
    if (made) expect(await readdir(path.dirname(db))).toEqual([]);
  });

  it('exits 2 when its token file is inside a synced directory, which --update-upstream would send to E', async () => {
    const r = tempDir('zync-r-');
    const tokenFile = path.join(r, 'token');
    await writeFile(tokenFile, `${daemon.token}\n`, { mode: 0o600 });
    const result = await runCli('client', args(daemon.url, ['--token-file', tokenFile, '--dirs', `docs:${r}`]));
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toBe(
      `zync-client: The token file ${tokenFile} is inside the synced directory "docs" (${realpathSync(r)}); move it outside every synced directory, where --update-upstream does not send it to E.\n`,
    );
    expect(await readdir(r)).toEqual(['token']);
  });

  it.each([
    ['a file', (file: string) => file],
    ['a path below a file', (file: string) => path.join(file, 'sub')],
  ])('exits 2 with one sentence when a local root is %s', async (_why, local) => {
    const file = path.join(tempDir(), 'a-file');
    await writeFile(file, 'x');
    const root = local(file);
    const result = await runCli('client', args(daemon.url, ['--token', daemon.token, '--dirs', `docs:${root}`]));
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(lastLine(result.stderr)).toMatch(new RegExp(`^zync-client: "docs" is not a directory: ${root}( \\(${file} is a file\\))?\\.$`));
  });

  it('exits 2 with one sentence when its database is not a database', async () => {
    const db = path.join(tempDir('zync-rstate-'), 'bad.db');
    await writeFile(db, 'garbage\n');
    const result = await runCli('client', ['--server', daemon.url, '--token', daemon.token, '--db', db, '--once', '--dirs', `docs:${tempDir()}`]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(lastLine(result.stderr)).toBe(`zync-client: Cannot open database ${db}: file is not a database.`);
  });

  it("exits 2 with one sentence when its database is the daemon's, and leaves it as it was", async () => {
    const db = path.join(tempDir('zync-rstate-'), 'sync.db');
    DaemonStore.open(db).close();
    const before = await sha256File(db);
    const result = await runCli('client', ['--server', daemon.url, '--token', daemon.token, '--db', db, '--once', '--dirs', `docs:${tempDir()}`]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toBe(`zync-client: ${db} is not a zync-client database; pass --db with the client's state, or a new file.\n`);
    expect(await sha256File(db)).toBe(before);
  });

  it('--help describes every option, choices unbroken', async () => {
    const result = await runCli('client', ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/--log-level +Log verbosity \(logs go to stderr\)/);
    expect(result.stdout).toContain('[default: "info"]');
  });

  it('--help says in one line what the client does, as the daemon\'s does', async () => {
    const result = await runCli('client', ['--help']);
    expect(result.stdout.split('\n').slice(0, 3)).toEqual([
      'zync-client --server ws://localhost:8000 --dirs NAME:LOCALPATH... [options]',
      '',
      "Pulls the daemon's changes into the local directories; --update-upstream sends local edits back.",
    ]);
  });

  it('--help wraps long descriptions between words', async () => {
    const result = await runCli('client', ['--help']);
    expect(result.code).toBe(0);
    // Lines joined as a reader's eye does: a word cut at the column would read "te rminal".
    // Before: yargs' ES module build cut words at column 100 (yargs#2112).
    const text = result.stdout.replace(/\s+/g, ' ');
    expect(text).toContain(
      'Show progress of pulls and uploads of more than a second: a status line on a terminal, else a log line every 5 s (default: on a terminal only; --no-progress: never)',
    );
    expect(result.stdout.split('\n').every((line) => line.length <= 100)).toBe(true);
  });

  it.each<[string, string[], RegExp]>([
    ['no --dirs', ['--token', 't'], /^zync-client: No directories given: pass --dirs NAME:PATH \(for example --dirs docs:\.\/docs\)\.$/],
    ['a malformed dir spec', ['--token', 't', '--dirs', 'nocolon'], /is not NAME:PATH/],
    ['both --token and --token-file', ['--token', 't', '--token-file', '/nonexistent', '--dirs', 'docs:/tmp/x'], /^zync-client: --token and --token-file cannot be given together; give only one of them\.$/],
    ['a server that is not a ws:// URL', ['--token', 't', '--dirs', `docs:${'/tmp/zync-unused'}`], /must start with ws:\/\/ or wss:\/\//],
    // The password is not echoed: the address appears in every connection error.
    [
      'a server address with a password',
      ['--token', 't', '--dirs', 'docs:/tmp/zync-unused'],
      /^zync-client: Server address ws:\/\/…@localhost:1 must not carry a user name or password; zync authenticates with --token, --token-file or ZYNC_TOKEN\.$/,
    ],
    ['no token at all', ['--dirs', 'docs:/tmp/zync-unused'], /^zync-client: No token given: use --token, --token-file or ZYNC_TOKEN\.$/],
    ['an empty --token', ['--token', '', '--dirs', 'docs:/tmp/zync-unused'], /^zync-client: The token given with --token is empty: use --token, --token-file or ZYNC_TOKEN\.$/],
    // Longer than a timer holds: setTimeout would fire after 1 ms and the client pull without pause.
    ['an --interval longer than a timer holds', ['--token', 't', '--dirs', 'docs:/tmp/zync-unused', '--interval', '3000000'], /^zync-client: --interval must be at most 2147483 seconds \(about 24 days\), not 3000000\.$/],
    ['a --new-disk name --dirs does not give', ['--token', 't', '--dirs', 'docs:/tmp/zync-unused', '--new-disk', 'code'], /^zync-client: --new-disk code: --dirs gives no such name\.$/],
    ['a --new-disk without a name', ['--token', 't', '--dirs', 'docs:/tmp/zync-unused', '--new-disk', '--once'], /^zync-client: --new-disk needs a value\.$/],
  ])('exits 2 on bad usage: %s', async (name, extra, message) => {
    const server = name === 'a server address with a password' ? 'ws://me:s3cret@localhost:1' : name.startsWith('a server') ? 'http://localhost:1' : daemon.url;
    const result = await runCli('client', args(server, extra));
    expect(result.code).toBe(2);
    expect(lastLine(result.stderr)).toMatch(message);
  });

  it('exits 2 with a sentence saying what to pass when given no arguments', async () => {
    const result = await runCli('client', []);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('zync-client: No daemon or directories given: pass --server and --dirs (for example --server ws://localhost:8000 --dirs docs:./docs).\n');
  });
});
