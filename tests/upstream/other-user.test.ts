// zync-daemon and zync-apply as different users on one state directory: the daemon as its own
// user (nobody here), zync-apply as another user, a member of a shared group, or root, with the
// daemon running and stopped, and the reverse (the daemon as root). SQLite makes DB-wal and
// DB-shm beside the database as whoever opens it first; afterwards everything in the state
// directory must still be the daemon's, and a refusal is one sentence with exit code 10. A
// second hard link to the database, and a state directory its owner cannot write, are refused
// too; a probe file that cannot be removed changes none of that. Needs root (setpriv switches
// users); skipped otherwise.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce } from '../client/support.js';
import { runInPty, runUpstream, stagingIdFrom } from './support.js';

const IS_ROOT = process.getuid?.() === 0;
const OWNER = 65534; // nobody: the daemon's user
const OTHER = 4242; // another user, not in /etc/passwd
const GROUP = 5000; // a group both share
const as = (uid: number, group?: number) => ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, ...(group === undefined ? ['--clear-groups'] : [`--groups=${group}`]), '--'];
const ROOT_USER: readonly string[] = [];

/** Whether this machine lets root make a directory append-only (chattr +a): files may be made there, not removed. */
function appendOnlyUnavailable(): string | null {
  if (!IS_ROOT) return 'not running as root';
  const dir = tempDir('zync-chattr-');
  try {
    execFileSync('chattr', ['+a', dir], { stdio: 'ignore' });
    execFileSync('chattr', ['-a', dir], { stdio: 'ignore' });
    return null;
  } catch {
    return 'chattr +a is not available here';
  }
}

const daemons: DaemonHandle[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
});

interface Setup {
  e: string;
  state: string;
  db: string;
  stagingId: string;
  daemonUser: readonly string[];
}

/** A temp dir owned by `uid`, reachable by everyone (mkdtemp makes it 0700). */
function ownedDir(prefix: string, uid: number): string {
  const dir = tempDir(prefix);
  chmodSync(dir, 0o755);
  chownSync(dir, uid, uid);
  return dir;
}

async function start(s: Pick<Setup, 'e' | 'db' | 'daemonUser'>): Promise<DaemonHandle> {
  const daemon = await startDaemon({ dirs: { docs: s.e }, db: s.db, wrapper: s.daemonUser });
  daemons.push(daemon);
  return daemon;
}

/** E with one file, served by a daemon running as `daemonUid`; R staged an edit of it. The daemon is left running. */
async function stagedSession(daemonUid: number, group?: number, rEdits?: (r: string) => void): Promise<Setup & { daemon: DaemonHandle }> {
  const e = ownedDir('zync-e-', daemonUid);
  writeFileSync(path.join(e, 'a.txt'), 'from E\n', { mode: 0o600 }); // private to the daemon's user
  chownSync(path.join(e, 'a.txt'), daemonUid, daemonUid);
  const state = ownedDir('zync-state-', daemonUid);
  const db = path.join(state, 'sync.db');
  const daemonUser = daemonUid === 0 ? ROOT_USER : as(daemonUid, group);
  const daemon = await start({ e, db, daemonUser });
  const r = tempDir('zync-r-');
  const setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
  expect((await runClientOnce(setup)).code).toBe(0);
  writeFileSync(path.join(r, 'a.txt'), 'edited on R\n');
  rEdits?.(r);
  const upstream = await runUpstream(setup);
  expect(upstream.code, upstream.stderr).toBe(0);
  return { e, state, db, daemon, daemonUser, stagingId: stagingIdFrom(upstream.stdout) };
}

const apply = (db: string, args: readonly string[], user: readonly string[]) => runCli('apply', ['--db', db, ...args], { wrapper: user });

/** Every entry below dir (dir included) whose owner is not uid, as "path uid". */
function notOwnedBy(dir: string, uid: number): string[] {
  const wrong: string[] = [];
  const walk = (p: string) => {
    const info = lstatSync(p);
    if (info.uid !== uid) wrong.push(`${p} ${info.uid}`);
    if (info.isDirectory()) for (const name of readdirSync(p)) walk(path.join(p, name));
  };
  walk(dir);
  return wrong;
}

describe.skipIf(!IS_ROOT)('the daemon and zync-apply as different users', () => {
  it("another user's zync-apply is refused in one sentence, the daemon running or stopped, and leaves nothing behind", async () => {
    const s = await stagedSession(OWNER);
    const refusal = /^zync-apply: The database \S+ belongs to nobody \(uid 65534\), not to uid 4242; run this as nobody \(uid 65534\) or as root, so that the files SQLite makes beside it stay writable for the daemon\.\n$/;
    for (const args of [['list'], ['show', s.stagingId], ['apply', s.stagingId, '--non-interactive']]) {
      const result = await apply(s.db, args, as(OTHER));
      expect(result.stderr).toMatch(refusal);
      expect(result.code).toBe(10);
    }
    await s.daemon.stop();
    const stopped = await apply(s.db, ['list'], as(OTHER));
    expect(stopped.stderr).toMatch(refusal);
    expect(stopped.code).toBe(10);
    expect(notOwnedBy(s.state, OWNER)).toEqual([]);
    await start(s);
  });

  it("a member of a group-writable state's group is refused before SQLite makes files the daemon could not write", async () => {
    const s = await stagedSession(OWNER, GROUP);
    await s.daemon.stop();
    chownSync(s.state, OWNER, GROUP);
    chmodSync(s.state, 0o775);
    chownSync(s.db, OWNER, GROUP);
    chmodSync(s.db, 0o664);
    // discard waits at its question with the database open: the daemon starts meanwhile.
    const pty = runInPty('apply', ['--db', s.db, 'discard', s.stagingId], { wrapper: as(OTHER, GROUP) });
    try {
      // Refused at once (zync-apply's sentence), or (before) waiting at the question.
      await waitFor(() => /zync-apply: |Discard session/.test(pty.output()), { what: 'a refusal or the question' });
      const daemon = await start(s); // before: "Cannot open database ...: attempt to write a readonly database."
      expect(pty.output()).toMatch(/zync-apply: The database \S+ belongs to nobody \(uid 65534\), not to uid 4242; run this as nobody \(uid 65534\) or as root, /);
      expect(await pty.exited).toBe(10);
      expect(notOwnedBy(s.state, OWNER)).toEqual([]);
      await daemon.stop();
    } finally {
      pty.kill();
    }
  });

  it("root's list, show and apply, the daemon running and stopped, leave the state directory the daemon's", async () => {
    const s = await stagedSession(OWNER);
    expect((await apply(s.db, ['list'], ROOT_USER)).code).toBe(0);
    expect((await apply(s.db, ['show', s.stagingId], ROOT_USER)).code).toBe(0);
    const applied = await apply(s.db, ['apply', s.stagingId, '--non-interactive'], ROOT_USER);
    expect(applied.stdout, applied.stderr).toMatch(/Applied session/);
    expect(notOwnedBy(s.state, OWNER)).toEqual([]);
    await s.daemon.stop();
    const listed = await apply(s.db, ['list', '--all', '--json'], ROOT_USER);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ staging_id: s.stagingId, status: 'applied' })]);
    expect(notOwnedBy(s.state, OWNER)).toEqual([]);
    await start(s);
  });

  it("root's apply leaves E's files and the directories it makes their owners', readable by the daemon", async () => {
    const s = await stagedSession(OWNER, undefined, (r) => {
      mkdirSync(path.join(r, 'new/deeper'), { recursive: true });
      writeFileSync(path.join(r, 'new/deeper/n.txt'), 'new on R\n');
    });
    const applied = await apply(s.db, ['apply', s.stagingId, '--non-interactive'], ROOT_USER);
    expect(applied.stdout, applied.stderr).toMatch(/Applied session/);
    // Before: a.txt became root's (0600), which the daemon could no longer read, nor E's user edit.
    expect(notOwnedBy(s.e, OWNER)).toEqual([]);
    expect(execFileSync(as(OWNER)[0]!, [...as(OWNER).slice(1), 'cat', path.join(s.e, 'a.txt')], { encoding: 'utf8' })).toBe('edited on R\n');
  });

  it("the reverse: a user's zync-apply on a root daemon's database is told to run as root", async () => {
    const s = await stagedSession(0);
    for (const running of [true, false]) {
      const result = await apply(s.db, ['list'], as(OWNER));
      expect(result.stderr).toMatch(/^zync-apply: The database \S+ belongs to root \(uid 0\), not to nobody \(uid 65534\); run this as root, so that /);
      expect(result.code).toBe(10);
      if (running) await s.daemon.stop();
    }
    expect(notOwnedBy(s.state, 0)).toEqual([]);
  });

  it("a second hard link to the database is refused, by zync-apply and the daemon, and the daemon's log survives", async () => {
    const s = await stagedSession(OWNER);
    const elsewhere = ownedDir('zync-link-', OWNER);
    const link = path.join(elsewhere, 'link.db');
    linkSync(s.db, link);
    const refusal = /^zync-apply: The database \S+link\.db has 2 names \(hard links\), and SQLite keeps a separate write-ahead log per name, which can lose the daemon's log: remove the other links \(find \/ -xdev -samefile \S+\) and pass --db with the daemon's database\.\n$/;
    for (const user of [as(OWNER), ROOT_USER]) {
      const result = await apply(link, ['list'], user);
      expect(result.stderr).toMatch(refusal);
      expect(result.code).toBe(2);
    }
    await s.daemon.stop();
    // Before: this run replayed the WAL it made through the link over the daemon's checkpointed log.
    expect((await apply(link, ['list'], as(OWNER))).code).toBe(2);
    await expect(start(s)).rejects.toThrow(/zync-daemon: The database \S+sync\.db has 2 names \(hard links\)/);
    rmSync(link);
    expect(readdirSync(elsewhere)).toEqual([]);
    await start(s);
    const listed = await apply(s.db, ['list', '--json'], as(OWNER));
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ staging_id: s.stagingId, status: 'complete' })]);
  });

  const noAppendOnly = appendOnlyUnavailable();
  it.skipIf(noAppendOnly !== null)(`the probe that finds whether owners are recorded may stay where files cannot be removed${noAppendOnly ? ` (${noAppendOnly})` : ''}`, async () => {
    // Root's database in a directory everyone may write but no one may remove from (as on a
    // share granting create but not delete): the probe is made, tells that owners are recorded,
    // and cannot be removed. Before: that removal's EPERM ended zync-apply with a stack trace.
    const state = tempDir('zync-state-');
    chmodSync(state, 0o777);
    const db = path.join(state, 'sync.db');
    writeFileSync(db, 'not opened\n');
    execFileSync('chattr', ['+a', state]);
    try {
      const listed = await apply(db, ['list'], as(OWNER));
      expect(listed.stderr).toMatch(/^zync-apply: The database \S+ belongs to root \(uid 0\), not to nobody \(uid 65534\); run this as root, so that the files SQLite makes beside it stay writable for the daemon\.\n$/);
      expect(listed.code).toBe(10);
      expect(readdirSync(state).filter((name) => name !== 'sync.db')).toEqual([expect.stringMatching(/^\.zync-owner-probe-/)]);
    } finally {
      execFileSync('chattr', ['-a', state]);
    }
  });

  it('a state directory its owner cannot write (0555) is named by the daemon and zync-apply', async () => {
    const s = await stagedSession(OWNER);
    await s.daemon.stop();
    chmodSync(s.state, 0o555);
    try {
      const message = (program: string) => new RegExp(`^${program}: The state directory \\S+ \\(mode 0555\\) is not writable by nobody \\(uid 65534\\), and SQLite and zync keep their files beside the database there; make it writable \\(chmod u\\+w \\S+\\)\\.\\n$`);
      const listed = await apply(s.db, ['list'], as(OWNER));
      expect(listed.stderr).toMatch(message('zync-apply'));
      expect(listed.code).toBe(10);
      const daemon = await runCli('daemon', ['--host', '127.0.0.1', '--port', '0', '--db', s.db, '--token', 'test-token-0123456789', '--dirs', `docs:${s.e}`], { wrapper: as(OWNER) });
      expect(daemon.stderr).toMatch(message('zync-daemon'));
      expect(daemon.code).toBe(10);
      // A new database in such a directory: the same sentence, and the directory stays empty.
      const empty = ownedDir('zync-state-', OWNER);
      mkdirSync(path.join(empty, 'inner'));
      chownSync(path.join(empty, 'inner'), OWNER, OWNER);
      chmodSync(path.join(empty, 'inner'), 0o555);
      const fresh = await runCli('daemon', ['--host', '127.0.0.1', '--port', '0', '--db', path.join(empty, 'inner', 'sync.db'), '--token', 'test-token-0123456789', '--dirs', `docs:${s.e}`], { wrapper: as(OWNER) });
      expect(fresh.stderr).toMatch(message('zync-daemon'));
      expect(fresh.code).toBe(10);
      expect(readdirSync(path.join(empty, 'inner'))).toEqual([]);
      // One this run makes unwritable (umask 0277) is taken back, and the sentence says so.
      const umask = [...as(OWNER), 'sh', '-c', 'umask 277 && exec "$@"', 'sh'];
      const made = await runCli('daemon', ['--host', '127.0.0.1', '--port', '0', '--db', path.join(empty, 'made', 'sync.db'), '--token', 'test-token-0123456789', '--dirs', `docs:${s.e}`], { wrapper: umask });
      expect(made.stderr).toMatch(/^zync-daemon: The state directory \S+\/made, made by this run with mode 0500, is not writable by nobody \(uid 65534\), and SQLite and zync keep their files beside the database there, so it was removed again; run this with a umask that leaves the owner write and search permission \(umask 022, say\), or pass another --db\.\n$/);
      expect(made.code).toBe(10);
      expect(readdirSync(empty)).toEqual(['inner']);
    } finally {
      chmodSync(s.state, 0o755);
    }
  });
});
