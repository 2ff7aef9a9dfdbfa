// A watched root that disappears while the daemon runs, as an unmounted disk would, seen from R:
// (1) the root directory renamed away, (2) everything in the root removed at once (the mount
// point left empty). Each time the daemon reports it (a ROOT_UNAVAILABLE log line), logs no
// deletions, and R keeps every file; when the root returns (with changes made meanwhile) the
// daemon rescans it and R converges again, without a resync and without conflict copies.
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, sameTree, startDaemon, tempDir, treeDigest, waitFor, type DaemonHandle, type RawClient, type SpawnedCli } from '../helpers/index.js';
import { conflictCopies, spawnClient, stateDb, writeTree, type ClientSetup } from '../client/support.js';
import { fetchLog } from '../daemon/daemon-helpers.js';

describe('a watched root that vanishes or is emptied while running', () => {
  let parent: string;
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let client: SpawnedCli;
  let probe: RawClient;

  beforeAll(async () => {
    parent = tempDir('zync-mnt-');
    e = path.join(parent, 'disk');
    r = tempDir('zync-r-');
    await mkdir(e);
    await writeTree(e, 300, 20);
    await writeFile(path.join(e, 'top.txt'), 'top\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    client = spawnClient(setup, ['--interval', '1']);
    probe = await connect(daemon.url, daemon.token);
    await waitFor(() => sameTree(r, e), { timeoutMs: 30_000, what: 'the initial sync' });
  });
  afterAll(async () => {
    await probe?.close();
    await client?.stop('SIGKILL');
    await daemon?.stop();
  });

  const lastSequence = async () => (await probe.request('GET_LAST_SEQUENCE')).last_sequence as number;
  const deletionsSince = async (since: number) => (await fetchLog(probe, since)).filter((c) => c.operation === 'delete');
  const filesOnR = async () => Object.values(await treeDigest(r)).filter((t) => t.kind === 'file').length;

  it('a root renamed away is reported, R keeps its files, and sync resumes when it is back', async () => {
    const before = await lastSequence();
    const held = await filesOnR();
    const reports = (daemon.stderr().match(/ROOT_UNAVAILABLE/g) ?? []).length;
    await rename(e, path.join(parent, 'away'));
    await waitFor(() => (daemon.stderr().match(/ROOT_UNAVAILABLE/g) ?? []).length > reports, { what: 'the daemon to report the root' });
    expect(daemon.stderr()).toMatch(/Root "docs" .* is missing or not a directory; its \d+ recorded entries are kept/);

    // Meanwhile on the "unmounted" disk: one change and one new file.
    await writeFile(path.join(parent, 'away', 'top.txt'), 'changed while away\n');
    await writeFile(path.join(parent, 'away', 'while-away.txt'), 'new while away\n');
    await rename(path.join(parent, 'away'), e);
    await waitFor(() => daemon.stderr().includes('root "docs" is back'), { what: 'the root to be back' });
    await waitFor(() => sameTree(r, e), { timeoutMs: 20_000, what: 'R to converge after the root returned' });
    expect(await deletionsSince(before)).toEqual([]);
    expect(await filesOnR()).toBe(held + 1);
  });

  it('a root emptied at once is reported, R keeps its files, and sync resumes when they are back', async () => {
    const before = await lastSequence();
    const held = await filesOnR();
    const reports = (daemon.stderr().match(/ROOT_UNAVAILABLE/g) ?? []).length;
    // Everything moved off the mount point at once (what an unmount looks like from inside it).
    const aside = path.join(parent, 'aside');
    await mkdir(aside);
    const names = await readdir(e);
    await Promise.all(names.map((name) => rename(path.join(e, name), path.join(aside, name))));
    await waitFor(() => (daemon.stderr().match(/ROOT_UNAVAILABLE/g) ?? []).length > reports, { what: 'the daemon to report the root' });
    expect(daemon.stderr()).toMatch(/Root "docs" .* is empty but \d+ entries are recorded for it/);
    expect(await deletionsSince(before)).toEqual([]);

    await writeFile(path.join(aside, 'top.txt'), 'changed while emptied\n');
    await Promise.all(names.map((name) => rename(path.join(aside, name), path.join(e, name))));
    await waitFor(() => sameTree(r, e), { timeoutMs: 20_000, what: 'R to converge after the files returned' });
    expect(await deletionsSince(before)).toEqual([]);
    expect(await filesOnR()).toBe(held);
    expect(await conflictCopies(r)).toEqual([]);
    expect(client.stderr().match(/full resync/g)).toHaveLength(1); // only the first sync
  });
});
