// kill -9 of zync-client in the resync that follows E's database being recreated (a new log_id),
// after it placed E's new content of a file R had received from the old log and before it
// recorded it; E then changes the file again. R's record of the file names a sequence of the old
// log, larger than the new log's entry for the content the killed run placed: the old log's
// sequences say nothing about the new one's, whose entries all came after R's record. The
// restarted client must take the file for the one it placed (E's), and replace it with E's newer
// content without a conflict copy, as it does within one log.
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectSameTree, exists, startDaemon, tempDir, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { conflictCopies, runClientOnce, spawnClient, stateDb, waitForDaemonToSee, type ClientSetup } from '../client/support.js';

describe("zync-client killed in a resync against E's recreated log, after placing a file", () => {
  it("takes the placed file for E's: E's later change replaces it, no conflict copy", async () => {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    const db = stateDb();
    await writeFile(path.join(e, 'p.txt'), 'first\n');
    let daemon: DaemonHandle = await startDaemon({ dirs: { docs: e }, db });
    try {
      const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
      // R receives p.txt at a late sequence of the old log (fillers come and go before it).
      for (let i = 0; i < 20; i++) await writeFile(path.join(e, `filler${i}.txt`), `${i}\n`);
      await waitForDaemonToSee(daemon, 'docs', e);
      await writeFile(path.join(e, 'p.txt'), 'as R received it\n');
      await waitForDaemonToSee(daemon, 'docs', e);
      for (let i = 0; i < 20; i++) await rm(path.join(e, `filler${i}.txt`));
      await waitForDaemonToSee(daemon, 'docs', e);
      const first = await runClientOnce(setup);
      expect(first.code, first.stderr).toBe(0);

      // E's database recreated: the new log starts with E's tree as it is, p.txt changed, and a
      // large file that keeps the resync's batch open (unrecorded) while the client is killed.
      await daemon.stop();
      for (const suffix of ['', '-wal', '-shm']) await rm(`${db}${suffix}`, { force: true });
      await writeFile(path.join(e, 'p.txt'), "E's new content, placed by the killed run\n");
      await writeRandomFile(path.join(e, 'z-big.bin'), 64 * 1024 * 1024);
      daemon = await startDaemon({ dirs: { docs: e }, db });
      const again: ClientSetup = { ...setup, daemon };
      await waitForDaemonToSee(daemon, 'docs', e, 60_000);

      const client = spawnClient(again, ['--once']);
      await waitFor(async () => (await readFile(path.join(r, 'p.txt'), 'utf8').catch(() => '')).startsWith("E's new content"), {
        timeoutMs: 60_000,
        intervalMs: 2,
        what: 'the killed run to place p.txt',
      });
      client.proc.kill('SIGSTOP');
      expect(await client.kill9()).toBe('SIGKILL');
      expect(client.stderr()).toMatch(/full resync: the daemon's change log was recreated/);
      expect(await exists(path.join(r, 'z-big.bin')), 'the kill came too late to test anything').toBe(false);
      expect((await stat(path.join(r, 'p.txt'))).isFile()).toBe(true);

      await writeFile(path.join(e, 'p.txt'), "E's change after the kill\n");
      await waitForDaemonToSee(daemon, 'docs', e);
      const restart = await runClientOnce(again);
      expect(restart.code, restart.stderr).toBe(0);
      expect(await conflictCopies(r), restart.stderr).toEqual([]);
      await expectSameTree(r, e);
    } finally {
      await daemon.stop();
    }
  });
});
