// A start the daemon refuses leaves nothing behind: no state directory, database, lock or
// generated token, and nothing in any watched root (a daemon already watching that root would
// otherwise log the files, and sync the access token to R). Each refusal is exit code 2 and one
// sentence, printed before the database or a token is made: a --db inside a watched root (also
// through a symlink, or in a directory that does not exist yet), a --token-file or --tls-key
// inside one, a port already in use and an address that cannot be bound. The same command run
// twice still names the daemon holding the database (exit 8) rather than the port.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, runCli, startDaemon, tempDir, waitFor, writeText, type DaemonHandle } from '../helpers/index.js';
import { fetchLog } from './daemon-helpers.js';

/** Every name below dir, temp files and dot files included, sorted. */
function listAll(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

function expectOneSentence(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^zync-daemon: [A-Z].*\.$/);
  expect(lines[0]).toMatch(pattern);
}

/** A root holding a few files, as a user's watched folder would. */
async function makeRoot(): Promise<string> {
  const root = tempDir('zync-root-');
  await writeText(path.join(root, 'a.txt'), 'a\n');
  await writeText(path.join(root, 'sub/b.txt'), 'b\n');
  return root;
}

/** Runs zync-daemon expecting it to stop by itself; one that starts serving instead is killed after 20 s. */
const refusedStart = (args: string[]) => runCli('daemon', args, { timeoutMs: 20_000 });

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('a refused start leaves nothing behind', () => {
  it.each([
    { name: 'the database in the root', db: (root: string) => path.join(root, 'sync.db') },
    { name: 'the database in a new directory inside the root', db: (root: string) => path.join(root, 'state', 'deeper', 'sync.db') },
  ])('$name: exit 2, one sentence, the root unchanged', async ({ db }) => {
    const root = await makeRoot();
    const before = listAll(root);
    const result = await refusedStart(['--host', '127.0.0.1', '--port', '0', '--db', db(root), '--dirs', `docs:${root}`]);
    expect(result.code).toBe(2);
    expectOneSentence(result.stderr, new RegExp(`is inside the watched directory "docs" \\(${escape(root)}\\); put --db outside every watched root\\.$`));
    expect(listAll(root)).toEqual(before);
  });

  it('the state directory is a symlink into the root: refused all the same', async () => {
    const root = await makeRoot();
    const inside = path.join(root, 'state');
    mkdirSync(inside);
    const link = path.join(tempDir(), 'state-link');
    symlinkSync(inside, link);
    const before = listAll(root);
    const result = await refusedStart(['--host', '127.0.0.1', '--port', '0', '--db', path.join(link, 'sync.db'), '--dirs', `docs:${root}`]);
    expect(result.code).toBe(2);
    expectOneSentence(result.stderr, /is inside the watched directory "docs"/);
    expect(listAll(root)).toEqual(before);
  });

  it('--db is a symlink into the root to a database not made yet: refused, nothing made there', async () => {
    const root = await makeRoot();
    const link = path.join(tempDir(), 'sync.db');
    symlinkSync(path.join(root, 'sub', 'sync.db'), link);
    const before = listAll(root);
    const result = await refusedStart(['--host', '127.0.0.1', '--port', '0', '--db', link, '--dirs', `docs:${root}`]);
    expect(result.code).toBe(2);
    expectOneSentence(result.stderr, new RegExp(`^zync-daemon: The state directory ${escape(path.join(root, 'sub'))} is inside the watched directory "docs"`));
    expect(listAll(root)).toEqual(before);
  });

  it('a token file inside a root: exit 2, one sentence, no state made', async () => {
    const root = await makeRoot();
    const tokenFile = path.join(root, 'sub', 'zync.token');
    writeFileSync(tokenFile, 'a-token-that-must-not-travel\n', { mode: 0o600 });
    chmodSync(tokenFile, 0o600);
    const before = listAll(root);
    const state = path.join(tempDir(), 'state');
    const result = await refusedStart([
      '--host', '127.0.0.1', '--port', '0', '--db', path.join(state, 'sync.db'), '--dirs', `docs:${root}`, '--token-file', tokenFile,
    ]);
    expect(result.code).toBe(2);
    expectOneSentence(result.stderr, new RegExp(`^zync-daemon: The token file ${escape(tokenFile)} is inside the watched directory "docs" \\(${escape(root)}\\); `));
    expect(result.stderr).not.toContain('a-token-that-must-not-travel');
    expect(listAll(root)).toEqual(before);
    expect(existsSync(state)).toBe(false);
  });

  it('a TLS key inside a root: exit 2, one sentence, no state made', async () => {
    const root = await makeRoot();
    const key = path.join(root, 'key.pem');
    const cert = path.join(tempDir(), 'cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-keyout', key, '-out', cert,
    ], { stdio: 'ignore' });
    chmodSync(key, 0o600);
    const before = listAll(root);
    const state = path.join(tempDir(), 'state');
    const result = await refusedStart([
      '--host', '127.0.0.1', '--port', '0', '--db', path.join(state, 'sync.db'), '--dirs', `docs:${root}`,
      '--tls-cert', cert, '--tls-key', key,
    ]);
    expect(result.code).toBe(2);
    expectOneSentence(result.stderr, new RegExp(`^zync-daemon: The TLS key ${escape(key)} is inside the watched directory "docs" \\(${escape(root)}\\); `));
    expect(listAll(root)).toEqual(before);
    expect(existsSync(state)).toBe(false);
  });

  describe('a port in use', () => {
    let blocker: Server;
    let port: number;
    beforeAll(async () => {
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      port = (blocker.address() as AddressInfo).port;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    });

    it('exit 2 with one sentence, before any state or token is made', async () => {
      const root = await makeRoot();
      const before = listAll(root);
      const state = path.join(tempDir(), 'state');
      const result = await refusedStart(['--host', '127.0.0.1', '--port', String(port), '--db', path.join(state, 'sync.db'), '--dirs', `docs:${root}`]);
      expect(result.code).toBe(2);
      expectOneSentence(result.stderr, new RegExp(`^zync-daemon: Port ${port} on 127\\.0\\.0\\.1 is already in use\\.$`));
      expect(listAll(root)).toEqual(before);
      expect(existsSync(state)).toBe(false);
    });
  });

  it('the same command twice: the second is told which daemon holds the database (8), not only that the port is taken', async () => {
    const root = await makeRoot();
    const first = await startDaemon({ dirs: { docs: root } });
    try {
      const second = await refusedStart([
        '--host', '127.0.0.1', '--port', String(first.port), '--db', first.db, '--dirs', `docs:${root}`, '--token', first.token,
      ]);
      expect(second.code).toBe(8);
      expectOneSentence(second.stderr, new RegExp(`^zync-daemon: Another zync-daemon \\(pid ${first.pid}\\) is using the database `));
    } finally {
      await first.stop();
    }
  });

  it('an address that cannot be bound: exit 2 with one sentence, no state made', async () => {
    const root = await makeRoot();
    const state = path.join(tempDir(), 'state');
    // 192.0.2.1 (TEST-NET-1) is never an address of this machine.
    const result = await refusedStart(['--host', '192.0.2.1', '--port', '0', '--db', path.join(state, 'sync.db'), '--dirs', `docs:${root}`]);
    expect(result.code).toBe(2);
    expectOneSentence(result.stderr, /^zync-daemon: Cannot listen on 192\.0\.2\.1:0: 192\.0\.2\.1 is not an address of this machine; check --host\.$/);
    expect(existsSync(state)).toBe(false);
  });

  it('a host name that cannot be resolved: exit 2 with one sentence, no state made', async () => {
    const root = await makeRoot();
    const state = path.join(tempDir(), 'state');
    // .invalid is reserved: it never resolves.
    const result = await refusedStart(['--host', 'e.invalid', '--port', '0', '--db', path.join(state, 'sync.db'), '--dirs', `docs:${root}`]);
    expect(result.code).toBe(2);
    expectOneSentence(result.stderr, /^zync-daemon: Cannot listen on e\.invalid:0: the host name e\.invalid cannot be resolved; check --host\.$/);
    expect(existsSync(state)).toBe(false);
  });

  it('an option given twice: exit 2 with one sentence naming it, no state made', async () => {
    const root = await makeRoot();
    const state = path.join(tempDir(), 'state');
    const [one, two] = [path.join(state, 'one.db'), path.join(state, 'two.db')];
    const result = await refusedStart(['--port', '0', '--db', one, '--db', two, '--dirs', `docs:${root}`]);
    expect(result.code).toBe(2);
    expectOneSentence(result.stderr, /^zync-daemon: The option --db was given more than once \(".*one\.db", ".*two\.db"\); give it once\.$/);
    expect(existsSync(state)).toBe(false);
  });

  describe('with a daemon already watching the root (the reported case)', () => {
    let root: string;
    let daemon: DaemonHandle;
    beforeAll(async () => {
      root = await makeRoot();
      daemon = await startDaemon({ dirs: { docs: root } });
    });
    afterAll(async () => {
      await daemon?.stop();
    });

    it('the refused second start puts no token or database into the running daemon\'s log', async () => {
      const refused = await refusedStart(['--host', '127.0.0.1', '--port', '0', '--db', path.join(root, 'sync.db'), '--dirs', `docs:${root}`]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).not.toContain('generated an access token');
      // A file written after the refusal: once it is logged, so is anything the refusal left.
      await writeText(path.join(root, 'marker.txt'), 'after the refusal\n');
      const client = await connect(daemon.url, daemon.token);
      try {
        const logged = await waitFor(async () => {
          const entries = await fetchLog(client);
          return entries.some((e) => e.path === 'marker.txt') ? entries : null;
        }, { what: 'the marker to be logged' });
        expect(logged.map((e) => e.path).filter((p) => /zync\.token|sync\.db/.test(p))).toEqual([]);
      } finally {
        await client.close();
      }
      expect(listAll(root).filter((p) => /zync\.token|sync\.db/.test(p))).toEqual([]);
    });
  });
});
