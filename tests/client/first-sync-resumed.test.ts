// A first sync killed mid-way (kill -9) and run again: the run after it reports what it does.
// Before, each directory the killed run had made (owner-only until its batch gives it E's mode,
// and not yet recorded) was counted as a "mode/mtime change" the user never made; now the run
// that finishes it counts it as a directory created.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { countLanded, expectSameTree, spawnCli, startDaemon, tempDir, waitFor } from '../helpers/index.js';
import { clientArgs, runClientOnce, waitForDaemonToSee, writeTree } from './support.js';

const FILES = 3000; // one page of the log: the killed run records nothing
const DIRS = FILES / 20 + FILES / 100; // writeTree: a leaf directory per 20 files, a parent per 5 leaves

describe('a first sync killed mid-way and run again', () => {
  it('counts the directories it finishes as created, and no mode change R never made', async () => {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    await writeTree(e, FILES);
    const daemon = await startDaemon({ dirs: { docs: e } });
    try {
      await waitForDaemonToSee(daemon, 'docs', e, 60_000);
      const setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
      const first = spawnCli('client', clientArgs(setup, ['--once']));
      await waitFor(async () => (await countLanded(r)) > FILES / 4, { timeoutMs: 60_000, intervalMs: 5, what: 'a quarter of the files on R' });
      await first.kill9();
      const second = await runClientOnce(setup);
      expect(second.code, second.stderr).toBe(0);
      await expectSameTree(r, e);
      const summary = /resync: (\d+) file\(s\) downloaded.*/.exec(second.stderr);
      expect(summary?.[0], second.stderr).toBeDefined();
      expect(summary![0]).not.toMatch(/mode\/mtime/);
      expect(summary![0]).toContain(`${DIRS} dir(s) created`);
      // It did not download again what the killed run had placed.
      expect(Number(summary![1])).toBeLessThan(FILES);
    } finally {
      await daemon.stop();
    }
  });
});
