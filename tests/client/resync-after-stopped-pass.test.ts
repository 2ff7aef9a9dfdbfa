// A client stopped (SIGTERM) in the middle of a pass: the directories it made for E's new files
// are recorded with E's mode as it stops (a kill -9 leaves them unrecorded and owner-only, which
// the resync's sweep handles as well: core/sweep.ts, its unit tests).
// When E then renames their parent away and R catches up by a full resync, those directories
// go with the rest of what E no longer has; a directory holding a file of R's stays.
// Before: nothing recorded them, so the sweep never looked at them, and empty 0700 directories
// E does not have stayed on R for good.
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exists, startDaemon, tempDir, treeDigest, waitFor, writeRandomFile } from '../helpers/index.js';
import { runClientOnce, spawnClient, stateDb, waitForDaemonToSee, type ClientSetup } from './support.js';

const BIG = 128 * 1024 * 1024;

/** Waits until a temp file in dir holds part of the big file. */
const partlyWritten = (dir: string) =>
  waitFor(
    async () => {
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names.filter((n) => n.startsWith('.zync-tmp-'))) {
        const info = await stat(path.join(dir, name)).catch(() => null);
        if (info && info.size > 1024 * 1024 && info.size < BIG) return name;
      }
      return null;
    },
    { timeoutMs: 60_000, intervalMs: 5, what: 'a partly written temp file' },
  );

describe('a full resync after a pass stopped mid-batch', () => {
  it('removes the empty directories that pass made where E no longer has anything', async () => {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    await writeFile(path.join(e, 'k.txt'), 'keep\n');
    const daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    let again = daemon;
    try {
      const first = await runClientOnce(setup);
      expect(first.code, first.stderr).toBe(0);
      // One page: the directories, small files, and a download long enough to stop the pass in.
      for (const d of ['y/d1/sub', 'y/d2/sub', 'y/mine']) await mkdir(path.join(e, d), { recursive: true });
      for (const d of ['y/d1/sub', 'y/d2/sub', 'y/mine']) await writeFile(path.join(e, d, 'f.txt'), `${d}\n`);
      await writeRandomFile(path.join(e, 'y/big/huge.bin'), BIG);
      await waitForDaemonToSee(daemon, 'docs', e);

      const client = spawnClient(setup);
      await partlyWritten(path.join(r, 'y/big'));
      expect(await client.stop('SIGTERM'), client.stderr()).toBe(0);
      // R's own file in one of them.
      await writeFile(path.join(r, 'y/mine/r-own.txt'), "R's own\n");

      // E renames the tree away while its log is recreated: R's next pass is a full resync.
      await daemon.stop();
      for (const suffix of ['', '-wal', '-shm']) await rm(`${daemon.db}${suffix}`, { force: true });
      await rename(path.join(e, 'y'), path.join(e, 'z'));
      again = await startDaemon({ dirs: { docs: e }, db: daemon.db });
      await waitForDaemonToSee(again, 'docs', e);
      const result = await runClientOnce({ ...setup, daemon: again });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/full resync/);

      // E's tree, plus R's own file where it was: nothing else of y is left.
      const left = Object.keys(await treeDigest(r)).filter((p) => p === 'y' || p.startsWith('y/')).sort();
      expect(left, result.stderr).toEqual(['y', 'y/mine', 'y/mine/r-own.txt']);
      expect(await exists(path.join(r, 'z/big/huge.bin'))).toBe(true);
      const onE = await treeDigest(e);
      const onR = await treeDigest(r);
      for (const p of left) delete onR[p];
      expect(onR).toEqual(onE);
    } finally {
      await again.stop();
    }
  });
});
