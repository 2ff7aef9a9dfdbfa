// A second zync process on state another one is using is refused with one sentence naming the
// first (exit code 8) and changes nothing: a second daemon on one database, a second client on
// one client state, a second zync-apply applying sessions. Once the first is gone — even by kill -9, which leaves its lock file behind —
// the next one starts normally.
import { rm, symlink } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exists, expectSameTree, runCli, startDaemon, tempDir, waitFor, writeText, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, spawnClient, stateDb, type ClientSetup } from '../client/support.js';

const lastLine = (stderr: string) => stderr.trim().split('\n').at(-1) ?? '';

describe('one zync process per state', () => {
  let e: string;
  let daemon: DaemonHandle;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    await writeText(path.join(e, 'a.txt'), 'hello\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('refuses a second daemon on the same database, naming the first', async () => {
    const second = await runCli('daemon', ['--host', '127.0.0.1', '--port', '0', '--db', daemon.db, '--dirs', `docs:${e}`, '--token', daemon.token]);
    expect(second.code, second.stderr).toBe(8);
    expect(lastLine(second.stderr)).toBe(
      `zync-daemon: Another zync-daemon (pid ${daemon.proc.pid}) is using the database ${daemon.db}; stop it first.`,
    );
  });

  it('refuses a second daemon given a symbolic link to the same database', async () => {
    const link = path.join(tempDir(), 'sync.db');
    await symlink(daemon.db, link);
    const second = await runCli('daemon', ['--host', '127.0.0.1', '--port', '0', '--db', link, '--dirs', `docs:${e}`, '--token', daemon.token]);
    expect(second.code, second.stderr).toBe(8);
    expect(lastLine(second.stderr)).toMatch(new RegExp(`^zync-daemon: Another zync-daemon \\(pid ${daemon.proc.pid}\\) is using the database `));
  });

  it('refuses a second client on the same client state while the first runs', async () => {
    const r = tempDir('zync-r-');
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const first = spawnClient(setup);
    try {
      await waitFor(() => exists(path.join(r, 'a.txt')), { what: 'the first client to sync' });
      const second = await runClientOnce({ ...setup, dirs: { docs: tempDir('zync-r-') } });
      expect(second.code, second.stderr).toBe(8);
      expect(lastLine(second.stderr)).toMatch(new RegExp(`^zync-client: Another zync-client \\(pid ${first.proc.pid}\\) is using the client state `));
      // A daemon given the client's state by mistake takes the same lock: the client is named as
      // such, not as "another zync-daemon".
      const daemonOnIt = await runCli('daemon', ['--host', '127.0.0.1', '--port', '0', '--db', setup.db, '--dirs', `docs:${e}`, '--token', daemon.token]);
      expect(daemonOnIt.code, daemonOnIt.stderr).toBe(8);
      expect(lastLine(daemonOnIt.stderr)).toBe(`zync-daemon: A zync-client (pid ${first.proc.pid}) is using the database ${setup.db}; stop it first.`);
    } finally {
      await first.stop('SIGTERM');
    }
    // Stopped cleanly: its lock is gone, and the next run goes ahead.
    expect(await exists(`${setup.db}.lock`)).toBe(false);
    expect((await runClientOnce(setup)).code).toBe(0);
  });

  it('a zync-apply writing into E (or an older one applying) holds up no refusal and no listing', async () => {
    // A zync process that holds the writing turn (the daemon's pid stands in for a running apply).
    // Sessions have locks of their own (tests/upstream/concurrent-apply.test.ts); what waits for
    // the turn is writing only, so a session that cannot be applied is refused at once.
    await writeText(`${daemon.db}.apply.lock`, `${daemon.proc.pid}\n`);
    try {
      const second = await runCli('apply', ['--db', daemon.db, 'apply', 'any-session', '--non-interactive']);
      expect(second.code, second.stderr).toBe(6);
      expect(lastLine(second.stderr)).toMatch(/^zync-apply: There is no staging session any-session; /);
      expect((await runCli('apply', ['--db', daemon.db, 'list'])).code).toBe(0);
    } finally {
      await rm(`${daemon.db}.apply.lock`, { force: true });
    }
  });

  it('starts after a daemon killed with -9 left its lock behind', async () => {
    const db = stateDb();
    const first = await startDaemon({ dirs: { docs: e }, db });
    await first.kill9();
    expect(await exists(`${db}.lock`)).toBe(true);
    const restarted = await startDaemon({ dirs: { docs: e }, db });
    try {
      const r = tempDir('zync-r-');
      const result = await runClientOnce({ daemon: restarted, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') });
      expect(result.code, result.stderr).toBe(0);
      await expectSameTree(r, e);
    } finally {
      await restarted.stop();
    }
  });
});
