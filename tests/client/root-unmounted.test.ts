// A local root on a disk that is not mounted, for real: the "disk" is a tmpfs, bind-mounted on the
// place R syncs into, so unmounting that place leaves the bare mount point behind (as an
// unplugged USB disk or a network share that is not up does) while the disk keeps its files for
// when it is mounted again. Such a root is held (exit 12 for --once; in continuous mode a warning
// when it goes, not at each pass, and a note when it is back): nothing is fetched into the mount
// point, nothing deleted, nothing sent upstream, and other roots still sync; once the disk is
// back, R converges with no edit of R's made up, also when it comes back under a new device number.
// A root whose files really moved off their disk is accepted with --new-disk; one --dirs gives a
// new place on another disk is no such root.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, lstat, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectSameTree, sameTree, startDaemon, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from '../faults/tmpfs.js';
import { listSessions, runUpstream } from '../upstream/support.js';
import { conflictCopies, runClientOnce, spawnClient, stateDb, waitForDaemonToSee, type ClientSetup } from './support.js';

const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`root-unmounted: skipped: ${unavailable}`);

const NOT_MOUNTED = (name: string, root: string) => new RegExp(`"${name}" \\(${root.replace(/[/.]/g, '\\$&')}\\) is not on the disk it was synced on, so its disk seems not mounted`);

/** A running client's warning for the root held by a pass (not one a pass stopped on). */
const HELD = /"docs" \([^)]*\) is not on the disk it was synced on, so its disk seems not mounted; it is left as it is, with its records, until the disk is back/;
const BACK = 'is on the disk it was synced on again; R catches up with it by a full resync.';
const count = (text: string, line: string | RegExp) => (typeof line === 'string' ? text.split(line).length - 1 : (text.match(new RegExp(line.source, 'g'))?.length ?? 0));

/** The line zync-client ends a failure with. */
const finalError = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('zync-client: '));

describe.skipIf(unavailable !== null)(`zync-client with a root on a disk that is not mounted${unavailable ? ` (${unavailable})` : ''}`, () => {
  const disks: Tmpfs[] = [];
  const bound: string[] = [];
  let daemon: DaemonHandle | undefined;
  let client: SpawnedCli | undefined;
  let proxy: TcpProxy | undefined;
  let eDocs: string;
  let eCode: string;
  let mountPoint: string;

  /** Mounts `disk` on the mount point, as plugging the disk in would. */
  function plugIn(disk: Tmpfs): void {
    execFileSync('mount', ['--bind', disk.dir, mountPoint]);
    bound.push(mountPoint);
  }
  function unplug(): void {
    execFileSync('umount', [bound.pop()!]);
  }

  beforeEach(async () => {
    eDocs = tempDir('zync-e-docs-');
    eCode = tempDir('zync-e-code-');
    await mkdir(path.join(eDocs, 'guide'));
    await writeFile(path.join(eDocs, 'a.txt'), 'a, first\n');
    await writeFile(path.join(eDocs, 'b.txt'), 'b\n');
    await writeFile(path.join(eDocs, 'guide/intro.md'), '# Intro\n');
    await writeFile(path.join(eCode, 'main.c'), 'int main(void) { return 0; }\n');
    daemon = await startDaemon({ dirs: { docs: eDocs, code: eCode }, db: stateDb() });
    await waitForDaemonToSee(daemon, 'docs', eDocs);
    await waitForDaemonToSee(daemon, 'code', eCode);
    mountPoint = tempDir('zync-mnt-');
    const disk = mountTmpfs(8, 'zync-disk-');
    disks.push(disk);
    plugIn(disk);
  });
  afterEach(async () => {
    await client?.stop('SIGKILL');
    client = undefined;
    await proxy?.close();
    proxy = undefined;
    await daemon?.stop();
    daemon = undefined;
    while (bound.length > 0) execFileSync('umount', ['-l', bound.pop()!]);
    for (const disk of disks.splice(0)) disk.unmount();
  });

  /** R synced once: docs at `docsRoot` (on the disk), code on R's own disk. */
  async function synced(docsRoot: string): Promise<ClientSetup> {
    const setup: ClientSetup = { daemon: daemon!, dirs: { docs: docsRoot, code: path.join(tempDir('zync-r-'), 'code') }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
    await expectSameTree(docsRoot, eDocs);
    return setup;
  }

  /** E changes both roots while R's disk is away: a.txt edited, b.txt deleted, a file added to each. */
  async function changeE(): Promise<void> {
    await writeFile(path.join(eDocs, 'a.txt'), 'a, second\n');
    await rm(path.join(eDocs, 'b.txt'));
    await writeFile(path.join(eDocs, 'new.txt'), 'new on E\n');
    await writeFile(path.join(eCode, 'lib.c'), 'int lib;\n');
    await waitForDaemonToSee(daemon!, 'docs', eDocs);
    await waitForDaemonToSee(daemon!, 'code', eCode);
  }

  /** Once the disk is back: R converges on E, with nothing of R's taken for an edit. */
  async function convergesOnceBack(setup: ClientSetup): Promise<void> {
    const again = await runClientOnce(setup);
    expect(again.code, again.stderr).toBe(0);
    await expectSameTree(setup.dirs.docs!, eDocs);
    await expectSameTree(setup.dirs.code!, eCode);
    expect(await conflictCopies(setup.dirs.docs!)).toEqual([]);
    const sessions = (await listSessions(daemon!)).length;
    const upstream = await runUpstream(setup);
    expect(upstream.code, upstream.stderr).toBe(0);
    expect(await listSessions(daemon!)).toHaveLength(sessions);
  }

  it('holds a root below the mount point: nothing made there, the other root synced, exit 12', async () => {
    const setup = await synced(path.join(mountPoint, 'docs'));
    unplug();
    await changeE();

    const held = await runClientOnce(setup);
    expect(held.code, held.stderr).toBe(12);
    expect(finalError(held.stderr)).toEqual([expect.stringMatching(NOT_MOUNTED('docs', setup.dirs.docs!))]);
    expect(finalError(held.stderr)[0]).toMatch(/mount it, or if "docs" really moved to another disk, run once with --new-disk docs\.$/);
    await expect(lstat(setup.dirs.docs!)).rejects.toMatchObject({ code: 'ENOENT' });
    await expectSameTree(setup.dirs.code!, eCode);

    const upstream = await runUpstream(setup);
    expect(upstream.code, upstream.stderr).toBe(12);
    expect(finalError(upstream.stderr)[0]).toMatch(/seems not mounted; nothing is sent upstream/);

    plugIn(disks[0]!);
    await convergesOnceBack(setup);
  });

  it('holds a root that is the mount point: nothing fetched into it, nothing sent as deleted', async () => {
    const setup = await synced(mountPoint);
    unplug();
    await changeE();

    const held = await runClientOnce(setup);
    expect(held.code, held.stderr).toBe(12);
    expect(finalError(held.stderr)).toEqual([expect.stringMatching(NOT_MOUNTED('docs', mountPoint))]);
    expect(await readdir(mountPoint)).toEqual([]);
    await expectSameTree(setup.dirs.code!, eCode);
    const upstream = await runUpstream(setup);
    expect(upstream.code, upstream.stderr).toBe(12);
    expect(await listSessions(daemon!)).toEqual([]);

    plugIn(disks[0]!);
    await convergesOnceBack(setup);
  });

  it('in continuous mode warns once while it is held, catches up by itself once the disk is back, and says so once', async () => {
    const setup = await synced(mountPoint);
    unplug();
    client = spawnClient(setup, ['--interval', '1']);
    await changeE();
    await waitFor(() => sameTree(setup.dirs.code!, eCode), { what: 'the other root synced' });
    await waitFor(() => HELD.test(client!.stderr()), { what: 'the warning' });
    // Passes by the interval, and one by each push: the warning is not said again (before: at each).
    for (const name of ['one.c', 'two.c', 'three.c']) await passAfterWriteInCode(name);
    expect(count(client.stderr(), HELD), client.stderr()).toBe(1);
    expect(await readdir(mountPoint)).toEqual([]);

    plugIn(disks[0]!);
    await waitFor(() => sameTree(mountPoint, eDocs), { what: 'docs caught up', timeoutMs: 30_000 });
    await waitFor(() => client!.stderr().includes(BACK), { what: 'the note that it is back' });
    expect(await conflictCopies(mountPoint)).toEqual([]);
    await passAfterWriteInCode('four.c');
    expect(count(client.stderr(), BACK)).toBe(1);

    unplug();
    await passAfterWriteInCode('five.c');
    await waitFor(() => count(client!.stderr(), HELD) === 2, { what: 'the warning again' });
    await passAfterWriteInCode('six.c');
    expect(count(client.stderr(), HELD), client.stderr()).toBe(2);
  });

  /** Writes a file in E's code root and waits for the pass that brings it to R to be logged. */
  async function passAfterWriteInCode(name: string): Promise<void> {
    const before = client!.stderr().match(/pull: 1 file\(s\) downloaded/g)?.length ?? 0;
    await writeFile(path.join(eCode, name), `${name} on E\n`);
    await waitFor(() => (client!.stderr().match(/pull: 1 file\(s\) downloaded/g)?.length ?? 0) > before, { what: `the pass that pulled ${name}` });
  }

  it('records nothing a pass wrote after the disk went away under it, and converges once it is back', async () => {
    const setup = await synced(mountPoint);
    // Round trips of 1.2 s: the disk goes after the pass has looked at the roots, before its batch.
    proxy = await startProxy({ targetPort: daemon!.port, delayMs: 600 });
    client = spawnClient({ ...setup, daemon: { ...daemon!, url: proxy.url } }, ['--interval', '3600']);
    await waitFor(() => /pull: .*up to date/.test(client!.stderr()), { what: "the running client's first pass", timeoutMs: 30_000 });
    // Its acknowledgement answered: what comes next is the push, then the pass asking for the
    // change. Either is a message of more than 40 bytes; a heartbeat's ping or pong is a few.
    const pushed = proxy.bytes.toClient;
    await writeFile(path.join(eDocs, 'a.txt'), 'a, second (E)\n');
    await waitFor(() => proxy!.bytes.toClient > pushed + 40, { what: 'the push', intervalMs: 1 });
    const asked = proxy.bytes.toTarget;
    await waitFor(() => proxy!.bytes.toTarget > asked + 40, { what: 'the pass asking for the change', intervalMs: 1 });
    unplug();
    await waitFor(() => NOT_MOUNTED('docs', mountPoint).test(client!.stderr()), { what: 'the pass stopped', timeoutMs: 30_000 });
    await client.stop('SIGKILL');
    client = undefined;
    plugIn(disks[0]!);
    await convergesOnceBack(setup);
  });

  it('takes a disk mounted again at the same place under a new device number as the same disk', async () => {
    const setup = await synced(mountPoint);
    unplug();
    // Restored from a backup onto a new disk mounted where the old one was; a network share or a
    // btrfs subvolume mounted again after a reboot may likewise get a new device number.
    const newDisk = mountTmpfs(8, 'zync-disk-');
    disks.push(newDisk);
    await cp(disks[0]!.dir, newDisk.dir, { recursive: true, preserveTimestamps: true });
    plugIn(newDisk);
    await changeE();
    await convergesOnceBack(setup);
  });

  it('takes a root whose files were moved off their disk with --new-disk, once', async () => {
    const setup = await synced(mountPoint);
    const copy = tempDir('zync-copy-');
    await cp(mountPoint, copy, { recursive: true, preserveTimestamps: true });
    unplug();
    // The separate disk is given up: its files now live in the mount point, on R's own disk.
    await cp(copy, mountPoint, { recursive: true, preserveTimestamps: true });
    await changeE();

    const held = await runClientOnce(setup);
    expect(held.code, held.stderr).toBe(12);
    expect(finalError(held.stderr)[0]).toMatch(NOT_MOUNTED('docs', mountPoint));
    const accepted = await runClientOnce(setup, ['--new-disk', 'docs']);
    expect(accepted.code, accepted.stderr).toBe(0);
    await expectSameTree(mountPoint, eDocs);
    await convergesOnceBack(setup);
  });

  it("a running client's own --new-disk is not lent to the --update-upstream handed to it", async () => {
    const setup = await synced(mountPoint);
    // The flag left in the service's unit after an earlier move: it took the disk it is on now.
    client = spawnClient(setup, ['--interval', '600', '--new-disk', 'docs']);
    await waitFor(() => existsSync(`${setup.db}.sock`) && /pull: /.test(client!.stderr()), { what: 'the running client to listen' });
    unplug();
    // Written to the bare mount point: the disk's files are not there, but they are not R's deletions.
    await writeFile(path.join(mountPoint, 'x.txt'), 'written to the bare mount point\n');

    const upstream = await runUpstream(setup);
    expect(upstream.stderr).toContain(`the zync-client running on this state (pid ${client.pid}) sends R's edits`);
    expect(upstream.code, upstream.stderr).toBe(12);
    expect(finalError(upstream.stderr)[0]).toMatch(/seems not mounted; nothing is sent upstream/);
    expect(await listSessions(daemon!)).toEqual([]);
    // Nor was the mount point taken as the root's disk for the running client: it still holds it.
    await changeE();
    await waitFor(() => HELD.test(client!.stderr()), { what: 'the running client to hold docs' });
    expect(await readdir(mountPoint)).toEqual(['x.txt']);
  });

  it('does not hold a root --dirs moves to another disk: it is resynced there', async () => {
    const setup = await synced(path.join(tempDir('zync-r-'), 'docs'));
    const moved = { ...setup, dirs: { ...setup.dirs, docs: path.join(mountPoint, 'docs') } };
    await changeE();
    const again = await runClientOnce(moved);
    expect(again.code, again.stderr).toBe(0);
    await expectSameTree(moved.dirs.docs, eDocs);
  });
});
