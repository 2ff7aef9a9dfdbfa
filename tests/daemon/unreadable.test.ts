// Files the daemon may not read (chmod 000, another user's private file): the daemon starts
// anyway, logs everything else — including changes that settle in the same batch as such a
// file — and a recorded file made unreadable reaches R as a permission change, not a deletion,
// then converges once E lets it be read again. Run as root, the daemon is started without the
// capabilities that let root read any file, so permissions apply to it as to any user.
import { appendFile, chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, expectSameTree, runCli, sha256File, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, type ClientSetup } from '../client/support.js';
import { fetchLog } from './daemon-helpers.js';

const AS_A_USER = process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--'] : [];

async function logOf(daemon: DaemonHandle): Promise<Awaited<ReturnType<typeof fetchLog>>> {
  const client = await connect(daemon.url, daemon.token);
  try {
    return await fetchLog(client);
  } finally {
    await client.close();
  }
}

const lastEntryFor = async (daemon: DaemonHandle, file: string) => (await logOf(daemon)).filter((e) => e.path === file).at(-1);

describe('zync-daemon with files it may not read', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeFile(path.join(e, 'ok.txt'), 'ok\n');
    await writeFile(path.join(e, 'report.txt'), 'quarterly figures\n');
    await writeFile(path.join(e, 'private-from-start.txt'), 'never readable\n', { mode: 0o000 });
    await mkdir(path.join(e, 'sub'));
    await writeFile(path.join(e, 'sub/f.txt'), 'first\n');
    daemon = await startDaemon({ dirs: { docs: e }, wrapper: AS_A_USER });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('starts, says which file it cannot read, and logs the rest', async () => {
    expect(daemon.stderr()).toMatch(/not readable by the daemon.*"path":"private-from-start\.txt"/);
    const paths = (await logOf(daemon)).map((entry) => entry.path);
    expect(paths).toEqual(expect.arrayContaining(['ok.txt', 'report.txt']));
    expect(paths).not.toContain('private-from-start.txt');
  });

  it('logs a change that settles in the same batch as an unreadable new file', async () => {
    await writeFile(path.join(e, 'edited.txt'), 'edited alongside\n');
    await writeFile(path.join(e, 'locked.txt'), 'locked\n', { mode: 0o000 });
    // Its content, not an 'add': a loaded machine can let the daemon see the file empty between
    // create and write, which logs an add of 0 bytes followed by a modify.
    const edited = await sha256File(path.join(e, 'edited.txt'));
    await waitFor(async () => (await lastEntryFor(daemon, 'edited.txt'))?.checksum === edited, { timeoutMs: 10_000, what: 'edited.txt in the log' });
    // Later changes are logged too: the batch's failure did not stop the watcher.
    await writeFile(path.join(e, 'later.txt'), 'later\n');
    await waitFor(async () => (await lastEntryFor(daemon, 'later.txt')) !== undefined, { timeoutMs: 10_000, what: 'later.txt in the log' });
    expect(await lastEntryFor(daemon, 'locked.txt')).toBeUndefined();
  });

  it('a recorded file made unreadable reaches R as a permission change, then as content once readable', async () => {
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    const before = await lastEntryFor(daemon, 'report.txt');

    await chmod(path.join(e, 'report.txt'), 0o000);
    await waitFor(async () => (await lastEntryFor(daemon, 'report.txt'))?.mode === 0, { timeoutMs: 10_000, what: 'the chmod 000 in the log' });
    const locked = await lastEntryFor(daemon, 'report.txt');
    expect(locked).toMatchObject({ operation: 'modify', checksum: before!.checksum });
    const again = await runClientOnce(setup);
    expect(again.code, again.stderr).toBe(0);
    expect((await stat(path.join(r, 'report.txt'))).mode & 0o7777).toBe(0);

    await chmod(path.join(e, 'report.txt'), 0o644);
    await chmod(path.join(e, 'locked.txt'), 0o644);
    await chmod(path.join(e, 'private-from-start.txt'), 0o600);
    await waitFor(async () => (await lastEntryFor(daemon, 'private-from-start.txt')) !== undefined, { timeoutMs: 10_000, what: 'the readable file in the log' });
    await waitFor(async () => (await lastEntryFor(daemon, 'report.txt'))?.mode === 0o644, { timeoutMs: 10_000, what: 'report.txt readable in the log' });
    await waitFor(async () => (await lastEntryFor(daemon, 'locked.txt')) !== undefined, { timeoutMs: 10_000, what: 'locked.txt in the log' });
    const last = await runClientOnce(setup);
    expect(last.code, last.stderr).toBe(0);
    await expectSameTree(r, e);
  });

  it('a file behind a directory made unsearchable is never logged as deleted, and follows once it is searchable', async () => {
    const before = await logOf(daemon);
    await appendFile(path.join(e, 'sub/f.txt'), 'more\n');
    await chmod(path.join(e, 'sub'), 0o000);
    await waitFor(async () => (await lastEntryFor(daemon, 'sub'))?.mode === 0, { timeoutMs: 10_000, what: 'sub 0000 in the log' });
    const since = (await logOf(daemon)).slice(before.length);
    expect(since.filter((entry) => entry.operation === 'delete')).toEqual([]);

    await chmod(path.join(e, 'sub'), 0o755);
    await waitFor(async () => (await lastEntryFor(daemon, 'sub/f.txt'))?.size === 'first\nmore\n'.length, { timeoutMs: 10_000, what: 'the append in the log' });
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    await expectSameTree(r, e);
  });
});

describe('zync-daemon with a root it may not list', () => {
  let daemon: DaemonHandle | undefined;
  afterAll(async () => {
    await daemon?.stop();
  });

  it('refuses to start, naming what it cannot read (its ignore rules would be unknown), and leaves no state', async () => {
    const e = tempDir('zync-e-');
    await chmod(e, 0o000);
    try {
      const stateDir = path.join(tempDir('zync-state-'), 'state');
      const result = await runCli('daemon', ['--port', '0', '--db', path.join(stateDir, 'sync.db'), '--dirs', `docs:${e}`], { wrapper: AS_A_USER });
      expect(result.code).toBe(2);
      expect(await stat(stateDir).catch(() => null)).toBeNull(); // no database, no token
      expect(result.stderr.trim()).toBe(
        `zync-daemon: Cannot read ${e}/.zyncignore (EACCES), so what it keeps out of sync is unknown: let the user running zync read it and search ${e}.`,
      );
    } finally {
      await chmod(e, 0o755);
    }
  });

  it('made unreadable while it runs: keeps what it recorded, says it cannot read it, and follows once it can', async () => {
    const e = tempDir('zync-e-');
    for (let i = 0; i < 25; i++) await writeFile(path.join(e, `f${i}.txt`), `${i}\n`);
    daemon = await startDaemon({ dirs: { docs: e }, args: ['--rescan-interval', '0.02'], wrapper: AS_A_USER });
    expect(await logOf(daemon)).toHaveLength(25);

    await chmod(e, 0o000);
    try {
      // The next rescans (every 1.2 s) cannot list the root.
      await waitFor(() => (daemon!.stderr().match(/cannot read directory; its contents are left as recorded/g)?.length ?? 0) >= 2, {
        timeoutMs: 20_000,
        what: 'two rescans that could not list the root',
      });
      expect(daemon.stderr()).not.toMatch(/is empty but|ROOT_UNAVAILABLE/);
      expect((await logOf(daemon)).filter((entry) => entry.operation === 'delete')).toEqual([]);
    } finally {
      await chmod(e, 0o755);
    }
    await writeFile(path.join(e, 'after.txt'), 'readable again\n');
    await waitFor(async () => (await lastEntryFor(daemon!, 'after.txt'))?.operation === 'add', { timeoutMs: 20_000, what: 'after.txt in the log' });
  });
});

describe('a full resync meeting a file the daemon may not read', () => {
  it('keeps R\'s copy of a recorded file whose newer content E cannot read, and follows once it can', async () => {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    await writeFile(path.join(e, 'report.txt'), 'version 1\n');
    const daemon = await startDaemon({ dirs: { docs: e }, wrapper: AS_A_USER, args: ['--compact-interval', '0.01', '--tombstone-days', '0'] });
    try {
      const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
      const first = await runClientOnce(setup);
      expect(first.code, first.stderr).toBe(0);
      const cursor = (await logOf(daemon)).at(-1)!.sequence;

      // While R is away, E writes a newer version, then makes it unreadable; a deletion's
      // tombstone compacted past R's cursor sends R into a full resync.
      await writeFile(path.join(e, 'report.txt'), 'version 2\n');
      await writeFile(path.join(e, 'scratch.txt'), 'soon gone\n');
      await waitFor(async () => (await lastEntryFor(daemon, 'scratch.txt')) !== undefined, { timeoutMs: 10_000, what: 'scratch.txt in the log' });
      await rm(path.join(e, 'scratch.txt'));
      await chmod(path.join(e, 'report.txt'), 0o000);
      await waitFor(async () => (await lastEntryFor(daemon, 'report.txt'))?.mode === 0, { timeoutMs: 10_000, what: 'the chmod 000 in the log' });
      await waitFor(async () => !(await logOf(daemon)).some((entry) => entry.operation === 'delete' && entry.sequence > cursor), {
        timeoutMs: 10_000,
        what: 'the tombstone to be compacted',
      });

      const resync = await runClientOnce(setup);
      expect(resync.stderr).toMatch(/full resync/);
      expect(await readFile(path.join(r, 'report.txt'), 'utf8')).toBe('version 1\n');

      await chmod(path.join(e, 'report.txt'), 0o644);
      await waitFor(async () => (await lastEntryFor(daemon, 'report.txt'))?.mode === 0o644, { timeoutMs: 10_000, what: 'report.txt readable in the log' });
      const last = await runClientOnce(setup);
      expect(last.code, last.stderr).toBe(0);
      await expectSameTree(r, e);
    } finally {
      await daemon.stop();
    }
  });
});
