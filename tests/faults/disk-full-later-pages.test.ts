// A file that does not fit on R's disk waits for room; E's changes logged after it must still
// reach R, however many. Before, the pass stopped at the page (5,000 entries) holding the waiting
// file and read it again at every pass: what E changed more than a page later never arrived. Now
// later pages are read and applied while the waiting file holds R's acknowledged position; a
// restart reads on from there without fetching again what R holds, and E's deletion of the
// waiting file ends the wait.
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sameTree, startDaemon, tempDir, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, spawnClient, stateDb, type ClientSetup } from '../client/support.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from './tmpfs.js';

const MiB = 1024 * 1024;
const MANY = 5200; // more than one page of E's log (5,000 entries)
const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`disk-full-later-pages: skipped: ${unavailable}`);

const readOrNull = (file: string) => readFile(file, 'utf8').catch(() => null);
const countIn = async (dir: string) => (await readdir(dir).catch(() => [])).length;

async function writeMany(e: string, from = 0, to = MANY, text = (i: number) => `${i}\n`): Promise<void> {
  await mkdir(path.join(e, 'many'), { recursive: true });
  for (let i = from; i < to; i++) await writeFile(path.join(e, 'many', `f${i}.txt`), text(i));
}

describe.skipIf(unavailable !== null)("changes E logs pages past a file that waits for room on R's disk", () => {
  let disk: Tmpfs | undefined;
  let daemon: DaemonHandle | undefined;
  afterEach(async () => {
    await daemon?.stop();
    disk?.unmount();
    daemon = undefined;
    disk = undefined;
  });

  it('reach R in a running client, again after a kill -9 without fetching what R holds, and the wait ends when E deletes the file', async () => {
    disk = mountTmpfs(64);
    const e = tempDir('zync-e-');
    await writeFile(path.join(e, 'notes.txt'), 'v1\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    const r = path.join(disk.dir, 'r');
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const client = spawnClient(setup, ['--interval', '5']);
    try {
      await waitFor(async () => (await readOrNull(path.join(r, 'notes.txt'))) === 'v1\n', { what: 'the first sync' });
      await writeRandomFile(path.join(e, 'big/huge.bin'), 80 * MiB);
      await waitFor(() => /No space left on R's disk/.test(client.stderr()), { timeoutMs: 60_000, what: 'the full disk said' });
      await writeMany(e);
      // Rewritten a page later than their first version: a re-read must not fetch them again.
      await writeMany(e, 0, 100, (i) => `again ${i}\n`);
      await writeFile(path.join(e, 'notes.txt'), 'v2\n');
      await waitFor(async () => (await readOrNull(path.join(r, 'notes.txt'))) === 'v2\n', { timeoutMs: 120_000, what: 'notes.txt v2 on R' });
      await waitFor(async () => (await countIn(path.join(r, 'many'))) === MANY, { timeoutMs: 60_000, what: 'every file of many/ on R' });
      expect(await readOrNull(path.join(r, 'many', 'f0.txt'))).toBe('again 0\n');
    } finally {
      await client.kill9();
    }
    // Restarted: R's position is still before huge.bin; what R holds past it is not fetched again.
    const again = await runClientOnce(setup);
    expect(again.code, again.stderr).toBe(7);
    expect(again.stderr).toMatch(/No space left on R's disk: 1 change\(s\) could not be written \(the first: docs\/big\/huge\.bin\)/);
    expect(again.stderr).toMatch(/ 0 file\(s\) downloaded/);
    expect(await readOrNull(path.join(r, 'many', 'f0.txt'))).toBe('again 0\n');
    // E deletes the file: nothing waits, R is up to date and equals E.
    await rm(path.join(e, 'big'), { recursive: true });
    await waitFor(async () => {
      const once = await runClientOnce(setup);
      return once.code === 0 && /up to date/.test(once.stderr);
    }, { timeoutMs: 60_000, what: 'R up to date once E deleted huge.bin' });
    expect(await sameTree(e, r)).toBe(true);
  }, 300_000);

  it('reach R in a first sync, whose first page holds a file that does not fit', async () => {
    disk = mountTmpfs(64);
    const e = tempDir('zync-e-');
    await writeRandomFile(path.join(e, 'a-huge.bin'), 80 * MiB);
    await writeMany(e);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    const r = path.join(disk.dir, 'r');
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const once = await runClientOnce(setup);
    expect(once.code, once.stderr).toBe(7);
    expect(await countIn(path.join(r, 'many'))).toBe(MANY);
  }, 300_000);
});
