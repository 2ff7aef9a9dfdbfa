// Start-up and shut-down as a user meets them: bad arguments, a missing directory, a port in use
// or an unusable database exit non-zero with one sentence; with no token configured the daemon
// makes one (mode 0600, beside the database) and says where; SIGINT/SIGTERM stop it cleanly, also
// during start-up (without listening); listening beyond loopback without TLS is warned about.
// Also: CHANGES_AVAILABLE reaches clients within 100 ms of a commit, the daemon's own or one made
// by another process (zync-apply) in the same database: R is to pull within 100 ms of a change.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChangesAvailablePush, PingResponse, PROTOCOL_VERSION, ZYNC_VERSION } from '@zync/common';
import { DaemonStore } from '@zync/daemon';
import { connect, runCli, spawnCli, startDaemon, tempDir, waitFor } from '../helpers/index.js';
import { fetchLog } from './daemon-helpers.js';

function expectOneSentence(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^zync-daemon: /);
  expect(lines[0]).toMatch(pattern);
}

describe('zync-daemon arguments', () => {
  const root = tempDir();
  const state = tempDir();
  const db = path.join(state, 'sync.db');
  const base = ['--host', '127.0.0.1', '--port', '0', '--db', db, '--token', 'tok-123456'];

  it.each([
    { name: 'no --dirs', args: [...base], pattern: /--dirs NAME:PATH/ },
    { name: 'a dir spec without a name', args: [...base, '--dirs', root], pattern: /is not NAME:PATH/ },
    { name: 'a directory that does not exist', args: [...base, '--dirs', 'w:/nonexistent/zync-dir'], pattern: /"w" does not exist: \/nonexistent\/zync-dir/ },
    { name: 'the same name twice', args: [...base, '--dirs', `w:${root}`, `w:${state}`], pattern: /given twice/ },
    { name: 'a port out of range', args: ['--port', '70000', '--dirs', `w:${root}`, '--token', 't'], pattern: /--port must be a whole number from 0 to 65535, not "70000"\.$/ },
    { name: 'a port that is not a number', args: ['--port', 'abc', '--dirs', `w:${root}`, '--token', 't'], pattern: /--port must be a whole number from 0 to 65535, not "abc"\.$/ },
    { name: 'a retention that is not a number', args: [...base, '--dirs', `w:${root}`, '--retention-days', 'abc'], pattern: /--retention-days must be a number of at least 0, not "abc"\.$/ },
    { name: 'a negative tombstone age', args: [...base, '--dirs', `w:${root}`, '--tombstone-days', '-1'], pattern: /--tombstone-days must be a number of at least 0, not "-1"\.$/ },
    { name: 'a compaction interval in another notation', args: [...base, '--dirs', `w:${root}`, '--compact-interval', '1e3'], pattern: /--compact-interval must be a number of at least 0, not "1e3"\.$/ },
    { name: 'an unknown option', args: [...base, '--dirs', `w:${root}`, '--frobnicate'], pattern: /^zync-daemon: Unknown option --frobnicate; see zync-daemon --help for the options\.$/ },
    { name: 'both --token and --token-file', args: [...base, '--dirs', `w:${root}`, '--token-file', '/x'], pattern: /^zync-daemon: --token and --token-file cannot be given together; give only one of them\.$/ },
    { name: 'a bad log level', args: [...base, '--dirs', `w:${root}`, '--log-level', 'loud'], pattern: /^zync-daemon: --log-level must be trace, debug, info, warn, error or silent, not "loud"\.$/ },
    // Not the default in its place: ./sync.db, or a token of the daemon's own making.
    { name: 'a --db without its value', args: ['--port', '0', '--token', 't', '--dirs', 'w:/nonexistent/zync-dir', '--db'], pattern: /^zync-daemon: --db needs a value\.$/ },
    { name: 'a --token-file without its value', args: ['--port', '0', '--db', db, '--token-file', '--dirs', 'w:/nonexistent/zync-dir'], pattern: /^zync-daemon: --token-file needs a value\.$/ },
  ])('$name: exits 2 with one sentence', async ({ args, pattern }) => {
    const result = await runCli('daemon', args);
    expect(result.code).toBe(2);
    expectOneSentence(result.stderr, pattern);
  });

  it('a database path that cannot be opened', async () => {
    const notDb = path.join(tempDir(), 'garbage.db');
    writeFileSync(notDb, 'definitely not an SQLite database, just text. '.repeat(100));
    const garbage = await runCli('daemon', ['--port', '0', '--db', notDb, '--dirs', `w:${root}`, '--token', 't']);
    expect(garbage.code).toBe(2);
    expectOneSentence(garbage.stderr, /Cannot open database .*garbage\.db: file is not a database\./);

    const dirAsDb = tempDir();
    const isDir = await runCli('daemon', ['--port', '0', '--db', dirAsDb, '--dirs', `w:${root}`, '--token', 't']);
    expect(isDir.code).toBe(2);
    expectOneSentence(isDir.stderr, /Cannot open database/);
  });

  it('a port in use', async () => {
    const first = await startDaemon({ dirs: { w: root } });
    const second = await runCli('daemon', ['--host', '127.0.0.1', '--port', String(first.port), '--db', path.join(tempDir(), 'x.db'), '--dirs', `w:${root}`, '--token', 't']);
    expect(second.code).toBe(2);
    expectOneSentence(second.stderr, new RegExp(`^zync-daemon: Port ${first.port} on 127.0.0.1 is already in use\\.$`));
    await first.stop();
  });

  it.skipIf(!Object.values(networkInterfaces()).some((addresses) => addresses?.some((a) => a.address === '::1')))(
    'logs where it listens as a URL a client takes, an IPv6 address in brackets',
    async () => {
      const daemon = spawnCli('daemon', ['--host', '::1', '--port', '0', '--db', path.join(tempDir(), 'sync.db'), '--token', 'tok-123456', '--dirs', `w:${root}`]);
      const url = await waitFor(() => /listening on (\S+)/.exec(daemon.stderr())?.[1], { what: 'the daemon to listen' });
      expect(url).toMatch(/^ws:\/\/\[::1\]:\d+$/);
      const client = await connect(url, 'tok-123456');
      await client.close();
      expect(await daemon.stop()).toBe(0);
    },
  );

  it('--help describes every flag', async () => {
    const help = await runCli('daemon', ['--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--host', '--port', '--db', '--dirs', '--token', '--token-file', '--log-level']) expect(help.stdout).toContain(flag);
  });

  it('--version of every binary names the release and protocol', async () => {
    for (const program of ['daemon', 'client', 'apply'] as const) {
      const version = await runCli(program, ['--version']);
      expect(version.code, program).toBe(0);
      expect(version.stdout.trim(), program).toBe(`${ZYNC_VERSION} (protocol ${PROTOCOL_VERSION})`);
    }
  });
});

// Beyond loopback, ws:// carries the token and every file in clear: said once at start-up.
describe('zync-daemon listening beyond loopback', () => {
  const WARNING = /WARN.*listening on 0\.0\.0\.0 without TLS: .*listen on 127\.0\.0\.1 \(--host 127\.0\.0\.1\) and reach the daemon through the SSH tunnel, or serve wss:\/\/ with --tls-cert and --tls-key/;

  it.each([
    { host: '0.0.0.0', warned: true },
    { host: '127.0.0.1', warned: false },
  ])('on $host without TLS: warned $warned', async ({ host, warned }) => {
    const daemon = spawnCli('daemon', ['--host', host, '--port', '0', '--db', path.join(tempDir(), 'sync.db'), '--token', 'tok-123456', '--dirs', `w:${tempDir()}`]);
    await waitFor(() => daemon.stderr().includes('listening on'), { what: 'the daemon to listen' });
    if (warned) expect(daemon.stderr().match(new RegExp(WARNING, 'g'))).toHaveLength(1);
    else expect(daemon.stderr()).not.toMatch(/without TLS/);
    expect(await daemon.stop()).toBe(0);
  });
});

describe('zync-daemon tokens', () => {
  it('makes a token file with mode 0600 beside the database, says where, and reuses it', async () => {
    const root = tempDir();
    const state = path.join(tempDir(), 'nested-state');
    const db = path.join(state, 'sync.db');
    const args = ['--host', '127.0.0.1', '--port', '0', '--db', db, '--dirs', `w:${root}`];
    const first = spawnCli('daemon', args);
    await waitFor(() => /listening on ws:\/\/127\.0\.0\.1:\d+/.test(first.stderr()), { what: 'the daemon to listen' });
    const tokenFile = path.join(state, 'zync.token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(first.stderr()).toContain(tokenFile);
    expect(first.stderr()).not.toContain(token);
    const port = Number(/listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(first.stderr())![1]);
    const client = await connect(`ws://127.0.0.1:${port}`, token);
    PingResponse.parse(await client.request('PING'));
    await client.close();
    expect(await first.stop('SIGINT')).toBe(0);

    const second = spawnCli('daemon', args);
    await waitFor(() => second.stderr().includes('listening on'), { what: 'the restarted daemon to listen' });
    expect(second.stderr()).toContain(`using the access token in ${tokenFile}`);
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe(token);
    expect(await second.stop('SIGTERM')).toBe(0);
  });

  it('honours ZYNC_TOKEN and refuses a token file others can read', async () => {
    const root = tempDir();
    const state = tempDir();
    // startDaemon always passes --token, so the environment is tried with a bare spawn.
    const bare = spawnCli('daemon', ['--host', '127.0.0.1', '--port', '0', '--db', path.join(state, 'sync.db'), '--dirs', `w:${root}`], { env: { ZYNC_TOKEN: 'from-the-environment' } });
    await waitFor(() => bare.stderr().includes('listening on'), { what: 'the daemon to listen' });
    const port = Number(/listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(bare.stderr())![1]);
    await expect(connect(`ws://127.0.0.1:${port}`, 'other')).rejects.toMatchObject({ statusCode: 401 });
    const ok = await connect(`ws://127.0.0.1:${port}`, 'from-the-environment');
    await ok.close();
    await bare.stop();

    const loose = path.join(tempDir(), 'token');
    writeFileSync(loose, 'secret-token\n');
    chmodSync(loose, 0o644);
    const refused = await runCli('daemon', ['--port', '0', '--db', path.join(tempDir(), 'sync.db'), '--dirs', `w:${root}`, '--token-file', loose]);
    expect(refused.code).toBe(2);
    expectOneSentence(refused.stderr, /can be read by other users/);
    expect(refused.stderr).not.toContain('secret-token');
  });
});

describe('CHANGES_AVAILABLE', () => {
  // Latency is from the commit to the push's arrival at the client. The test stays out of the
  // way while it is measured: it waits on the arrival (its time taken in the message handler)
  // and reads the log only afterwards, so neither its polling nor the daemon serving that poll
  // adds to what is measured. Another process's commits follow each other's pushes, so they land
  // just after a poll of the daemon's commit watcher: those samples are near its worst case. The
  // median must meet the requirement's 100 ms, so one sample delayed by a machine shared with
  // other test workers is not a failure, while a push that waits on a slow timer is; every push
  // must still arrive within a second.
  it('reaches a client within 100 ms of a commit by the daemon or by another process', async () => {
    const root = tempDir();
    const state = tempDir();
    const db = path.join(state, 'sync.db');
    const daemon = await startDaemon({ dirs: { w: root }, db });
    const client = await connect(daemon.url, daemon.token);
    const arrivals: { highest: number; at: number }[] = [];
    client.ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const push = ChangesAvailablePush.safeParse(JSON.parse(String(data)));
      if (push.success) arrivals.push({ highest: push.data.highest_sequence, at: Date.now() });
    });
    const arrivalOf = (sequence: number) => waitFor(() => arrivals.find((a) => a.highest >= sequence), { what: `a push for ${sequence}` });
    const SAMPLES = 7;

    // The daemon's own commits: the entry's timestamp is taken just before its transaction.
    const ownLatencies: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const before = arrivals.length;
      writeFileSync(path.join(root, `own-${i}.txt`), `${i}`);
      await waitFor(() => arrivals.length > before, { what: `a push after writing own-${i}.txt` });
      const entry = await waitFor(async () => (await fetchLog(client)).find((e) => e.path === `own-${i}.txt`));
      ownLatencies.push((await arrivalOf(entry.sequence)).at - entry.timestamp);
    }

    // Another process (as zync-apply does) records into the same database.
    const other = DaemonStore.open(db);
    const otherLatencies: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const highest = other.recordChanges([
        { operation: 'add', kind: 'file', base_dir: 'w', path: `applied-${i}.txt`, checksum: 'c'.repeat(64), size: 1, mtime: Date.now(), mode: 0o644 },
      ]);
      const committedAt = Date.now();
      otherLatencies.push((await arrivalOf(highest)).at - committedAt);
    }
    other.close();
    console.log(`CHANGES_AVAILABLE latency (ms): own commits ${ownLatencies.join(', ')}; other process ${otherLatencies.join(', ')}`);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    expect(median(ownLatencies), `own commits: ${ownLatencies.join(', ')} ms`).toBeLessThan(100);
    expect(median(otherLatencies), `other process: ${otherLatencies.join(', ')} ms`).toBeLessThan(100);
    expect(Math.max(...ownLatencies, ...otherLatencies)).toBeLessThan(1000);
    await client.close();
    await daemon.stop();
  });
});

describe('zync-daemon shutdown', () => {
  // SIGHUP: closing the SSH session that started the daemon (before: exit 129, no word, lock and WAL left).
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s closes clients and exits 0, its lock and WAL gone', async (signal) => {
    const root = tempDir();
    mkdirSync(path.join(root, 'x'));
    const daemon = await startDaemon({ dirs: { w: root } });
    const client = await connect(daemon.url, daemon.token);
    expect(await daemon.stop(signal)).toBe(0);
    expect((await client.closed).code).toBe(1001);
    expect(daemon.stderr()).toContain(`${signal}: shutting down`);
    expect(existsSync(`${daemon.db}.lock`)).toBe(false);
    expect(existsSync(`${daemon.db}-wal`)).toBe(false);
  });

  it('one SIGTERM during start-up stops it at once, without listening', async () => {
    // Setting up the watches of many directories takes a while; a stop then waited for all of them.
    const root = tempDir();
    for (let d = 0; d < 2000; d++) mkdirSync(path.join(root, `d${d % 20}`, `e${d}`), { recursive: true });
    const db = path.join(tempDir(), 'sync.db');
    const daemon = spawnCli('daemon', ['--host', '127.0.0.1', '--port', '0', '--db', db, '--token', 'tok-123456', '--dirs', `w:${root}`]);
    await waitFor(() => existsSync(`${db}.lock`), { what: 'the daemon to take its lock' });
    expect(await daemon.stop('SIGTERM')).toBe(0);
    expect(daemon.stderr()).not.toContain('listening on');
    expect(existsSync(`${db}.lock`)).toBe(false);
  });
});
