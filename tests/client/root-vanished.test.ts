// A local root that is gone from R after it received files (`rm -rf` of it) is fetched again from E, not made again empty and called up to
// date: its missing files are no edits of R's, and deleting a root is how a user makes zync fetch
// it again. Other roots stay as they are; --update-upstream never sends the missing root as
// deletions.
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectSameTree, sameTree, startDaemon, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { listSessions, runUpstream } from '../upstream/support.js';
import { runClientOnce, spawnClient, stateDb, syncedPair, waitForDaemonToSee, type ClientSetup } from './support.js';

const MISSING_WARNING = /WARN.*"docs".*was missing.*fetched again/;

/** Every file below root with its inode, by relative path. */
async function inodes(root: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const rel of (await readdir(root, { recursive: true })).sort()) {
    const info = await lstat(path.join(root, rel));
    if (info.isFile()) out[rel] = info.ino;
  }
  return out;
}

/** Whether chattr can make a directory here immutable (root, and a file system that has the flag). */
function canMakeImmutable(dir: string): boolean {
  try {
    execFileSync('chattr', ['+i', dir], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('zync-client with a local root gone from R', () => {
  let daemon: DaemonHandle | undefined;
  let client: SpawnedCli | undefined;
  const immutable: string[] = [];
  afterEach(async () => {
    for (const dir of immutable.splice(0)) execFileSync('chattr', ['-i', dir]);
    await client?.stop('SIGKILL');
    client = undefined;
    await daemon?.stop();
    daemon = undefined;
  });

  async function twoSyncedRoots(): Promise<{ eDocs: string; eCode: string; setup: ClientSetup; d: DaemonHandle }> {
    const eDocs = tempDir('zync-e-docs-');
    const eCode = tempDir('zync-e-code-');
    await mkdir(path.join(eDocs, 'guide/images'), { recursive: true });
    await writeFile(path.join(eDocs, 'readme.txt'), 'docs\n');
    await writeFile(path.join(eDocs, 'guide/intro.md'), '# Intro\n');
    await writeFile(path.join(eDocs, 'guide/images/logo.svg'), '<svg/>\n', { mode: 0o755 });
    await mkdir(path.join(eDocs, 'empty-dir'));
    await mkdir(path.join(eCode, 'src'));
    await writeFile(path.join(eCode, 'src/main.c'), 'int main(void) { return 0; }\n');
    daemon = await startDaemon({ dirs: { docs: eDocs, code: eCode }, db: stateDb() });
    await waitForDaemonToSee(daemon, 'docs', eDocs);
    await waitForDaemonToSee(daemon, 'code', eCode);
    const r = tempDir('zync-r-');
    const setup: ClientSetup = {
      daemon,
      dirs: { docs: path.join(r, 'docs'), code: path.join(r, 'code') },
      db: path.join(tempDir('zync-rstate-'), 'sync_client.db'),
    };
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
    await expectSameTree(setup.dirs.docs!, eDocs);
    return { eDocs, eCode, setup, d: daemon };
  }

  it('fetches a root removed with rm -rf again, and leaves the other root as it was', async () => {
    const { eDocs, eCode, setup } = await twoSyncedRoots();
    const codeBefore = await inodes(setup.dirs.code!);
    await rm(setup.dirs.docs!, { recursive: true });

    const again = await runClientOnce(setup);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(MISSING_WARNING);
    expect(again.stderr).toContain(setup.dirs.docs!);
    await expectSameTree(setup.dirs.docs!, eDocs);
    await expectSameTree(setup.dirs.code!, eCode);
    // Nothing of code's was written again: its files are the ones the first run placed.
    expect(await inodes(setup.dirs.code!)).toEqual(codeBefore);
    expect(again.stderr).toMatch(/ 0 conflict\(s\)/);

    // Fetched, not noted again: the next run has nothing to say about the root.
    const third = await runClientOnce(setup);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).not.toMatch(/was missing/);

    // A root that is there but empty is R's deletions (or a mount point without its disk): kept so.
    for (const name of await readdir(setup.dirs.docs!)) await rm(path.join(setup.dirs.docs!, name), { recursive: true });
    const emptied = await runClientOnce(setup);
    expect(emptied.code, emptied.stderr).toBe(0);
    expect(emptied.stderr).not.toMatch(/was missing/);
    expect(await readdir(setup.dirs.docs!)).toEqual([]);
  });

  it("does not send a missing root upstream as deletions, nor E's files fetched again as an undo of R's staged edit", async () => {
    const { eDocs, setup, d } = await twoSyncedRoots();
    await writeFile(path.join(setup.dirs.docs!, 'readme.txt'), 'docs, edited on R\n');
    const sent = await runUpstream(setup);
    expect(sent.code, sent.stderr).toBe(0);
    const before = await listSessions(d);
    expect(before).toHaveLength(1);
    await rm(setup.dirs.docs!, { recursive: true });

    const refused = await runUpstream(setup);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/"docs" does not exist.*run zync-client without --update-upstream/);
    expect(await listSessions(d)).toEqual(before);

    const pull = await runClientOnce(setup);
    expect(pull.code, pull.stderr).toBe(0);
    await expectSameTree(setup.dirs.docs!, eDocs);
    // R holds E's readme again because zync fetched it, not because R put it back: the edit
    // waits on E for review, and nothing new is staged.
    const upstream = await runUpstream(setup);
    expect(upstream.code, upstream.stderr).toBe(0);
    expect(await listSessions(d)).toEqual(before);
  });

  it('keeps what R recorded when the missing root cannot be made (its disk not back yet): an unsent edit stays R\'s', async (ctx) => {
    const e = tempDir('zync-e-');
    await writeFile(path.join(e, 'a.txt'), 'E1\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    await waitForDaemonToSee(daemon, 'docs', e);
    const mnt = path.join(tempDir('zync-r-'), 'mnt');
    await mkdir(mnt);
    if (!canMakeImmutable(mnt)) ctx.skip();
    const setup: ClientSetup = { daemon, dirs: { docs: path.join(mnt, 'docs') }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    expect((await runClientOnce(setup)).code).toBe(0);
    await writeFile(path.join(mnt, 'docs', 'a.txt'), "R's unsent edit\n");

    // The root's disk goes away, and the directory it was mounted on cannot be written meanwhile.
    const away = path.join(tempDir('zync-away-'), 'docs');
    await rename(path.join(mnt, 'docs'), away);
    execFileSync('chattr', ['+i', mnt]);
    immutable.push(mnt);
    const whileGone = await runClientOnce(setup);
    expect(whileGone.code).toBe(2);
    expect(whileGone.stderr).not.toMatch(MISSING_WARNING);

    execFileSync('chattr', ['-i', mnt]);
    immutable.pop();
    await rename(away, path.join(mnt, 'docs'));
    expect((await runClientOnce(setup)).code).toBe(0);
    expect(await readFile(path.join(mnt, 'docs', 'a.txt'), 'utf8')).toBe("R's unsent edit\n");
    expect((await runUpstream(setup)).code).toBe(0);
    expect(await listSessions(daemon)).toHaveLength(1);
  });

  it('does not call a root --dirs gives a new place missing', async () => {
    const pair = await syncedPair(async (e) => writeFile(path.join(e, 'a.txt'), 'E\n'));
    daemon = pair.daemon;
    const run = await runClientOnce({ ...pair.setup, dirs: { docs: path.join(tempDir('zync-r2-'), 'new-place') } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/was missing/);
    expect(run.stderr).toMatch(/full resync: the local directory for docs changed/);
  });

  it('fetches a root that goes missing while a continuous client runs', async () => {
    const { eDocs, setup, d } = await twoSyncedRoots();
    client = spawnClient(setup, ['--interval', '600']);
    await waitFor(() => /connected to/.test(client!.stderr()), { what: 'the client to connect' });
    await rm(setup.dirs.docs!, { recursive: true });
    // A change on E wakes the client (a push) for its next pass.
    await writeFile(path.join(eDocs, 'later.txt'), 'written after R lost its root\n');
    await waitForDaemonToSee(d, 'docs', eDocs);
    await waitFor(() => sameTree(setup.dirs.docs!, eDocs).catch(() => false), { timeoutMs: 30_000, what: 'the root fetched again' });
    expect(client.stderr()).toMatch(MISSING_WARNING);
    expect(client.proc.exitCode).toBeNull();
  });

  // A pass runs at every push and every --interval: one warning each, all day (before).
  it('warns once, not at each pass, while a missing root cannot be made (and of each change waiting for it), makes the others, and syncs it once it can', async () => {
    const { eDocs, eCode, setup, d } = await twoSyncedRoots();
    const x = path.join(tempDir('zync-r-'), 'x');
    const docs = path.join(x, 'docs');
    await mkdir(x);
    await rename(setup.dirs.docs!, docs);
    const moved = { ...setup, dirs: { ...setup.dirs, docs } };
    expect((await runClientOnce(moved)).code).toBe(0);
    client = spawnClient(moved, ['--interval', '600']);
    await waitFor(() => /pull: .*up to date/.test(client!.stderr()), { what: "the running client's first pass" });
    // The directory above the root becomes a file: the root cannot be made again, and E's change
    // there waits; every retry meets it again.
    await rm(x, { recursive: true });
    await writeFile(x, 'not a directory\n');
    await writeFile(path.join(eDocs, 'later.txt'), 'written while R could not make its root\n');
    await waitForDaemonToSee(d, 'docs', eDocs);
    const WAITING = /WARN.*could not apply docs\/later\.txt \(will retry\)/g;
    const UNMADE = /WARN.*"docs".*\n?.*Its changes wait until it can be made\./g;
    const pulled = () => client!.stderr().match(/pull: 1 file\(s\) downloaded/g)?.length ?? 0;
    for (const name of ['one.c', 'two.c', 'three.c']) {
      const before = pulled();
      await writeFile(path.join(eCode, 'src', name), `${name} on E\n`);
      await waitFor(() => pulled() > before, { what: `the pass that pulled ${name}` });
    }
    expect(client.stderr().match(UNMADE)?.length, client.stderr()).toBe(1);
    expect(client.stderr().match(WAITING)?.length, client.stderr()).toBe(1);
    // Another root removed meanwhile is fetched again all the same (before: not made either).
    await rm(setup.dirs.code!, { recursive: true });
    await writeFile(path.join(eCode, 'src', 'four.c'), 'four.c on E\n');
    await waitFor(() => sameTree(setup.dirs.code!, eCode).catch(() => false), { timeoutMs: 30_000, what: 'the other root fetched again' });
    expect(client.stderr().match(UNMADE)?.length, client.stderr()).toBe(1);

    await rm(x);
    await waitFor(() => sameTree(docs, eDocs).catch(() => false), { timeoutMs: 30_000, what: 'the root synced once it can be made' });
  });
});
