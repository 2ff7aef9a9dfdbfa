// A running client applies E's deletions a pass before the files E makes next (git checkout,
// npm ci, rm -rf and restore all delete first): what it deleted is held in the root's holding
// area, so the same content arriving later is copied locally, not downloaded again. The holding
// area is never part of R's tree nor sent upstream, and is emptied at a clean stop and at start
// (after kill -9).
import { cp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, exists, findTempFiles, sameTree, startDaemon, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { runClientOnce, spawnClient, stateDb, waitForDaemonToSee, writeTree, type ClientSetup } from './support.js';

const N = 300;
const HOLDING = '.zync-tmp-deleted';

/** Files downloaded and copied locally, summed over the pass lines in `log`. */
function passTotals(log: string): { downloaded: number; copied: number } {
  let downloaded = 0;
  let copied = 0;
  for (const m of log.matchAll(/(?:pull|resync): (\d+) file\(s\) downloaded \([\d.]+ MiB\), (?:\d+ mode\/mtime change\(s\), )?(\d+) copied locally/g)) {
    downloaded += Number(m[1]);
    copied += Number(m[2]);
  }
  return { downloaded, copied };
}

const heldCount = (r: string) => readdir(path.join(r, HOLDING)).then((names) => names.length, () => 0);

describe('zync-client (continuous): files E deletes and makes again', () => {
  let e: string;
  let r: string;
  let stash: string;
  let daemon: DaemonHandle;
  let client: SpawnedCli;
  let setup: ClientSetup;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    stash = path.join(tempDir('zync-stash-'), 'big');
    await writeTree(path.join(e, 'big'), N, 20);
    // Not an emptied root (which the daemon holds, as an unmounted disk): E keeps one more file.
    await writeFile(path.join(e, 'README'), 'a file E keeps\n');
    await cp(path.join(e, 'big'), stash, { recursive: true });
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    // At debug: every pass's own line, which passTotals sums (routine passes close together are said there).
    client = spawnClient(setup, ['--interval', '600', '--log-level', 'debug']);
    await waitFor(() => sameTree(r, e), { timeoutMs: 60_000, what: 'the initial sync' });
  });
  afterAll(async () => {
    await client?.stop('SIGKILL');
    await daemon?.stop();
  });

  /** E removes big/, and the running client pulls the deletion: R's files are held, not in R's tree. */
  async function deleteOnE(): Promise<void> {
    await rm(path.join(e, 'big'), { recursive: true });
    await waitFor(async () => !(await exists(path.join(r, 'big'))) && (await sameTree(r, e)), { timeoutMs: 30_000, what: 'R to pull the deletion' });
  }

  /** Waits until the running client has recorded all E's log holds (the pass line naming its last sequence). */
  async function waitForClientToRecordAll(): Promise<void> {
    await waitForDaemonToSee(daemon, 'docs', e);
    const raw = await connect(daemon.url, daemon.token);
    const last = (await raw.request('GET_LAST_SEQUENCE')).last_sequence as number;
    await raw.close();
    await waitFor(() => client.stderr().includes(`at sequence ${last}, up to date`), { timeoutMs: 30_000, what: `the client to record sequence ${last}` });
  }

  /** E makes the same content again at `name`: R copies every file from what it held. */
  async function makeAgainOnE(name: string): Promise<void> {
    const mark = client.stderr().length;
    // Made whole, then moved in: the daemon never logs a file half written (that would be a download).
    const whole = path.join(tempDir('zync-whole-'), name);
    await cp(stash, whole, { recursive: true });
    await rename(whole, path.join(e, name));
    await waitFor(async () => (await sameTree(r, e)) && passTotals(client.stderr().slice(mark)).copied + passTotals(client.stderr().slice(mark)).downloaded >= N, {
      timeoutMs: 60_000,
      what: `R to converge on ${name}/`,
    });
    expect(passTotals(client.stderr().slice(mark)), client.stderr().slice(mark)).toEqual({ downloaded: 0, copied: N });
  }

  it('copies a directory E deleted and then made under another name (a checkout that renames it) instead of downloading it', async () => {
    await deleteOnE();
    await makeAgainOnE('huge');
    expect(await sameTree(r, e)).toBe(true);
    // Held still (copied, not moved), outside R's tree as sameTree sees it, until the age limit.
    expect(await heldCount(r)).toBe(N);
  });

  it('copies files E deleted and then restored with the same bytes (rm -rf and restore, npm ci), and holds nothing after a clean stop', async () => {
    await rm(path.join(e, 'huge'), { recursive: true });
    await cp(stash, path.join(e, 'big'), { recursive: true });
    await waitFor(() => sameTree(r, e), { timeoutMs: 60_000, what: 'R to converge on big/' });
    await deleteOnE();
    await makeAgainOnE('big');
    expect(await client.stop('SIGTERM'), client.stderr()).toBe(0);
    expect(await exists(path.join(r, HOLDING))).toBe(false);
    expect(await findTempFiles(r)).toEqual([]);
  });

  it('empties a holding area a kill -9 left when it next starts', async () => {
    client = spawnClient(setup, ['--interval', '600']);
    await waitFor(() => /up to date/.test(client.stderr()), { timeoutMs: 30_000, what: 'the client to start' });
    await deleteOnE();
    // Every deletion recorded: a kill before that leaves a batch unfinished, and --update-upstream
    // is refused until a pull finishes it (tests/faults/client-kill-after-placing).
    await waitForClientToRecordAll();
    await client.kill9();
    expect(await heldCount(r)).toBe(N);
    // What is held is never R's edit: nothing goes upstream from there.
    const upstream = await runClientOnce(setup, ['--update-upstream']);
    expect(upstream.code, upstream.stderr).toBe(0);
    expect(upstream.stdout + upstream.stderr).toMatch(/Nothing to send upstream/);
    const once = await runClientOnce(setup);
    expect(once.code, once.stderr).toBe(0);
    expect(await exists(path.join(r, HOLDING))).toBe(false);
    expect(await sameTree(r, e)).toBe(true);
  });

  it('empties, when it next starts, a holding area a kill -9 left in a root it no longer syncs', async () => {
    const whole = path.join(tempDir('zync-whole-'), 'big');
    await cp(stash, whole, { recursive: true });
    await rename(whole, path.join(e, 'big'));
    client = spawnClient(setup, ['--interval', '600']);
    await waitFor(() => sameTree(r, e), { timeoutMs: 60_000, what: 'R to get big/ again' });
    await deleteOnE();
    await client.kill9();
    expect(await heldCount(r)).toBe(N);
    // The root moved: R's old directory is no longer in --dirs.
    const moved = tempDir('zync-r-moved-');
    const once = await runClientOnce({ ...setup, dirs: { docs: moved } });
    expect(once.code, once.stderr).toBe(0);
    expect(await exists(path.join(r, HOLDING))).toBe(false);
    expect(await sameTree(moved, e)).toBe(true);
  });
});
