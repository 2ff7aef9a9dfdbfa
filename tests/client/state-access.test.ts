// zync-client's own state (--db) reached by a second name, or by another user: refused before
// SQLite makes anything beside it. A second hard link is a second write-ahead log and a second
// lock (`DB.lock` is per name): two clients through two names would both run and race each
// other's downloads. A symbolic link is resolved, so it takes the one lock. Another (non-root)
// user would leave DB-wal and DB-shm its owner's client cannot write. The user tests need root
// (setpriv switches users) and are skipped otherwise.
import { chmodSync, chownSync, linkSync, lstatSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exists, runCli, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { clientArgs, runClientOnce, spawnClient, stateDb, type ClientSetup } from './support.js';

const lastLine = (stderr: string) => stderr.trim().split('\n').at(-1) ?? '';
const IS_ROOT = process.getuid?.() === 0;
const OWNER = 65534; // nobody: R's user
const OTHER = 4242; // another user, not in /etc/passwd
const GROUP = 5000; // a group both share
const as = (uid: number, group: number) => ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, `--groups=${group}`, '--'];

describe("zync-client's state reached by a second name or another user", () => {
  let e: string;
  let daemon: DaemonHandle;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    writeFileSync(path.join(e, 'a.txt'), 'from E\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  const synced = async (): Promise<ClientSetup> => {
    const setup: ClientSetup = { daemon, dirs: { docs: tempDir('zync-r-') }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
    return setup;
  };

  it('refuses a state with a second hard link, by either name, and makes nothing beside it', async () => {
    const setup = await synced();
    const elsewhere = tempDir('zync-link-');
    const link = path.join(elsewhere, 'link.db');
    linkSync(setup.db, link);
    for (const db of [link, setup.db]) {
      const result = await runClientOnce({ ...setup, db });
      expect(result.code, result.stderr).toBe(2);
      expect(lastLine(result.stderr)).toBe(
        `zync-client: The database ${db} has 2 names (hard links), and SQLite keeps a separate write-ahead log per name, which can lose the client's state: remove the other links (find / -xdev -samefile ${db}) and pass --db with the client's state.`,
      );
    }
    // Before: the run through the link made link.db-wal, link.db-shm and its own link.db.lock.
    expect(readdirSync(elsewhere)).toEqual(['link.db']);
    rmSync(link);
    expect((await runClientOnce(setup)).code).toBe(0);
  });

  it('refuses a second client given a symbolic link to the state of a running one', async () => {
    const setup = await synced();
    const first = spawnClient(setup);
    try {
      writeFileSync(path.join(e, 'b.txt'), 'while the first client runs\n');
      await waitFor(() => exists(path.join(setup.dirs.docs!, 'b.txt')), { what: 'the first client to pull b.txt' });
      const link = path.join(tempDir('zync-link-'), 'sync_client.db');
      symlinkSync(setup.db, link);
      // Before: it took link's own lock file and pulled beside the first client.
      const second = await runClientOnce({ ...setup, db: link });
      expect(second.code, second.stderr).toBe(8);
      expect(lastLine(second.stderr)).toBe(
        `zync-client: Another zync-client (pid ${first.pid}) is using the client state ${setup.db}; stop it first.`,
      );
    } finally {
      await first.stop('SIGTERM');
      rmSync(path.join(e, 'b.txt'));
    }
  });

  it.skipIf(!IS_ROOT)("refuses another user sharing the state's group, and leaves the state its owner's", async () => {
    const r = tempDir('zync-r-');
    const state = tempDir('zync-rstate-');
    for (const dir of [r, state]) {
      chownSync(dir, OWNER, GROUP);
      chmodSync(dir, 0o2775);
    }
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(state, 'sync_client.db') };
    const once = (uid: number) => runCli('client', clientArgs(setup, ['--once']), { wrapper: as(uid, GROUP), timeoutMs: 110_000 });
    expect((await once(OWNER)).code).toBe(0);
    const refused = await once(OTHER);
    expect(refused.code, refused.stderr).toBe(10);
    expect(lastLine(refused.stderr)).toBe(
      `zync-client: The database ${setup.db} belongs to nobody (uid 65534), not to uid ${OTHER}; run this as nobody (uid 65534), so that the files SQLite makes beside it stay writable for zync-client.`,
    );
    // Before: it failed with a stack trace, left DB-wal and DB-shm its own (0644), and nobody's
    // next run failed on them.
    expect(readdirSync(state).filter((name) => lstatSync(path.join(state, name)).uid !== OWNER)).toEqual([]);
    const again = await once(OWNER);
    expect(again.code, again.stderr).toBe(0);
  });

  it.skipIf(!IS_ROOT)('takes back the directory it made for a new state that is then refused', async () => {
    const parent = tempDir('zync-rstate-');
    chownSync(parent, OWNER, OWNER);
    const setup: ClientSetup = { daemon, dirs: { docs: path.join(parent, 'r') }, db: path.join(parent, 'state/sync_client.db') };
    // umask 0277: the state directory is made 0500, which the guard refuses (SQLite could not write beside the database).
    const wrapper = [...as(OWNER, OWNER), 'sh', '-c', 'umask 277 && exec "$@"', 'sh'];
    const refused = await runCli('client', clientArgs(setup, ['--once']), { wrapper, timeoutMs: 110_000 });
    expect(refused.code, refused.stderr).toBe(10);
    // Before: "make it writable (chmod u+w …/state)", a directory no longer there.
    expect(lastLine(refused.stderr)).toBe(
      `zync-client: The state directory ${path.dirname(setup.db)}, made by this run with mode 0500, is not writable by nobody (uid 65534), and SQLite and zync keep their files beside the database there, so it was removed again; run this with a umask that leaves the owner write and search permission (umask 022, say), or pass another --db.`,
    );
    // Before that: state/ stayed behind, empty and read-only.
    expect(readdirSync(parent)).toEqual([]);
  });
});
