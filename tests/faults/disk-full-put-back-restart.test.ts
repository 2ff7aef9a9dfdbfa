// A file waiting for room on R's disk holds R's acknowledged position while later pages of E's log
// are still applied. A run after a restart reads those pages again: an add there whose deletion R
// applied a page later must not take the file R's user put back (same bytes) for E's and delete it
// with the replayed deletion — nor remove a directory R's user made where E's was. How far R read
// is kept in R's state with each page (meta read_through), so the next run skips what R applied.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, stateDb, conflictCopies, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { mountTmpfs, type Tmpfs } from './tmpfs.js';

const MiB = 1024 * 1024;

describe('R put a file back while another waits for room on its disk', () => {
  let disk: Tmpfs | undefined;
  let daemon: DaemonHandle | undefined;
  afterEach(async () => {
    await daemon?.stop();
    disk?.unmount();
    daemon = undefined;
    disk = undefined;
  });

  for (const firstSync of [false, true]) {
    it(`the next run keeps it, and R's own directory, after pages E logged past the waiting file${firstSync ? ' (first sync)' : ''}`, async () => {
      disk = mountTmpfs(64);
      const e = tempDir('zync-e-');
      await writeFile(path.join(e, 'notes.txt'), 'v1\n');
      daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
      const r = path.join(disk.dir, 'r');
      const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
      if (!firstSync) expect((await runClientOnce(setup)).code).toBe(0);
      await writeRandomFile(path.join(e, 'big/huge.bin'), 80 * MiB);
      await waitForDaemonToSee(daemon, 'docs', e);
      await writeFile(path.join(e, 'put.txt'), 'precious\n');
      await mkdir(path.join(e, 'emptied'));
      await mkdir(path.join(e, 'many'));
      // More than a page (5,000 entries), so E's deletions below land a page after the adds.
      for (let i = 0; i < 5200; i++) await writeFile(path.join(e, 'many', `f${i}.txt`), `${i}\n`);
      await waitForDaemonToSee(daemon, 'docs', e);
      await rm(path.join(e, 'put.txt'));
      await rm(path.join(e, 'emptied'), { recursive: true });
      await waitForDaemonToSee(daemon, 'docs', e);

      const first = await runClientOnce(setup);
      expect(first.code, first.stderr).toBe(7); // huge.bin waits for room
      await expect(readFile(path.join(r, 'put.txt'), 'utf8')).rejects.toThrow(); // E's deletion reached R
      await writeFile(path.join(r, 'put.txt'), 'precious\n');
      await mkdir(path.join(r, 'emptied'));

      const again = await runClientOnce(setup);
      expect(again.code, again.stderr).toBe(7);
      expect(await readFile(path.join(r, 'put.txt'), 'utf8'), again.stderr).toBe('precious\n');
      expect((await stat(path.join(r, 'emptied'))).isDirectory()).toBe(true);
      expect(await conflictCopies(r)).toEqual([]);
      expect(again.stderr).not.toMatch(/ 1 deleted/);
    }, 300_000);
  }
});
