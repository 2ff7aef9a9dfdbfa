// A local root that is gone from R after it received files (`rm -rf` of it) is fetched again from E
// at a run's start, not made again empty and called up to date: its missing files are no edits of
// R's, and deleting a root is how a user makes zync fetch it again. Other roots stay as they are;
// --update-upstream never sends the missing root as deletions. Under a running client it is held
// instead (not made again, said once) until it is back or the client is restarted.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectSameTree, sameTree, startDaemon, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { listSessions, runUpstream } from '../upstream/support.js';
import { runClientOnce, spawnClient, stateDb, syncedPair, waitForDaemonToSee, type ClientSetup } from './support.js';

const MISSING_WARNING = /WARN.*"docs".*was missing.*fetched again/;
const GONE = /WARN.*The local directory for "docs" \([^)]*\) is gone — moved or deleted\?/;

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

  // Before: a running client made the root again at once and fetched all of it there (a second
  // full copy when it had moved), forgetting R's records of it. See root-moved-while-running.test.ts.
  it('holds a root that goes while a continuous client runs: not made again, said once, the other root syncs; put back, it catches up and R\'s edit stays R\'s', async () => {
    const { eDocs, eCode, setup, d } = await twoSyncedRoots();
    await writeFile(path.join(setup.dirs.docs!, 'readme.txt'), 'docs, edited on R\n');
    // At debug, each pass's line (one that changes nothing is logged so): passes are counted.
    client = spawnClient(setup, ['--interval', '600', '--log-level', 'debug']);
    await waitFor(() => /pull: .*up to date/.test(client!.stderr()), { what: "the running client's first pass" });
    const away = path.join(tempDir('zync-away-'), 'docs');
    await rename(setup.dirs.docs!, away);
    await writeFile(path.join(eDocs, 'later.txt'), 'written while R\'s root was away\n');
    await waitForDaemonToSee(d, 'docs', eDocs);
    const held = () => client!.stderr().match(/pull: .*1 root\(s\) gone, held/g)?.length ?? 0;
    for (const name of ['one.c', 'two.c']) {
      const before = held();
      await writeFile(path.join(eCode, 'src', name), `${name} on E\n`);
      await waitFor(() => held() > before, { what: `the pass that pulled ${name}` });
    }
    await waitFor(() => sameTree(setup.dirs.code!, eCode), { what: 'the other root synced' });
    expect(client.stderr().match(new RegExp(GONE.source, 'g'))?.length, client.stderr()).toBe(1);
    expect(client.stderr()).not.toMatch(MISSING_WARNING);
    expect(existsSync(setup.dirs.docs!)).toBe(false);

    await rename(away, setup.dirs.docs!);
    await writeFile(path.join(eCode, 'src', 'three.c'), 'three.c on E\n');
    await waitFor(() => existsSync(path.join(setup.dirs.docs!, 'later.txt')), { timeoutMs: 30_000, what: 'the root caught up once back' });
    await waitFor(() => /INFO.*The local directory for "docs" \([^)]*\) is back; R catches up with it by a full resync\./.test(client!.stderr()), { what: 'the line saying it is back' });
    expect(await readFile(path.join(setup.dirs.docs!, 'readme.txt'), 'utf8')).toBe('docs, edited on R\n');
    expect(client.stderr()).not.toMatch(/conflict:/);
    expect(client.proc.exitCode).toBeNull();
    await client.stop('SIGTERM');
    client = undefined;
    const upstream = await runUpstream(setup);
    expect(upstream.code, upstream.stdout + upstream.stderr).toBe(0);
    expect(upstream.stdout).toMatch(/Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 0 conflicts\)/);
  });

  // An empty directory is no move back: kept with R's records, every file it lacks would read as R's deletion.
  it('fetches a root removed under a running client again once a directory is made at its place', async () => {
    const { eDocs, setup, d } = await twoSyncedRoots();
    client = spawnClient(setup, ['--interval', '600']);
    await waitFor(() => /pull: .*up to date/.test(client!.stderr()), { what: "the running client's first pass" });
    await rm(setup.dirs.docs!, { recursive: true });
    await writeFile(path.join(eDocs, 'later.txt'), 'written after R lost its root\n');
    await waitForDaemonToSee(d, 'docs', eDocs);
    await waitFor(() => GONE.test(client!.stderr()), { timeoutMs: 30_000, what: 'the warning' });
    await mkdir(setup.dirs.docs!);
    await writeFile(path.join(eDocs, 'later2.txt'), 'and another\n');
    await waitForDaemonToSee(d, 'docs', eDocs);
    await waitFor(() => sameTree(setup.dirs.docs!, eDocs), { timeoutMs: 30_000, what: 'the root fetched again' });
    // Told by the root directory's identity where its inode number is another one; else by R's
    // files (none there): an empty directory nothing was made in since its birth has a birth time
    // equal to its change time, which says nothing (core/vanished-roots.ts rootIdOf).
    expect(client.stderr()).toMatch(
      /WARN.*"docs" .* (is not the directory R synced there \(made again, copied or restored from a backup since\): R's records for "docs" are dropped|is there again, but fewer than half of the \d+ file\(s\) R received are in it as R wrote them: it is taken for another directory)/,
    );
    expect(client.stderr()).not.toMatch(/conflict:/);
  });

  it('fetches a root removed under a running client once the client is restarted with it, as at any start', async () => {
    const { eDocs, setup, d } = await twoSyncedRoots();
    client = spawnClient(setup, ['--interval', '600']);
    await waitFor(() => /pull: .*up to date/.test(client!.stderr()), { what: "the running client's first pass" });
    await rm(setup.dirs.docs!, { recursive: true });
    await writeFile(path.join(eDocs, 'later.txt'), 'written after R lost its root\n');
    await waitForDaemonToSee(d, 'docs', eDocs);
    await waitFor(() => GONE.test(client!.stderr()), { timeoutMs: 30_000, what: 'the warning' });
    expect(existsSync(setup.dirs.docs!)).toBe(false);
    await client.stop('SIGTERM');
    client = undefined;

    const again = await runClientOnce(setup);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(MISSING_WARNING);
    await expectSameTree(setup.dirs.docs!, eDocs);
  });
});
