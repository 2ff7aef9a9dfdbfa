// A directory R received that E replaced with a file while R could not follow the log (E's
// database recreated, or R away longer than --tombstone-days): the full resync replaces R's
// directory with E's file, as an ordinary pull does, when R changed nothing in it; where R put a
// file of its own there, the directory is kept as a conflict copy holding only that file.
// Before: the files R received there were swept only after the last page, so E's file met them
// and R's whole, untouched directory was kept as a conflict copy.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, startDaemon, treeDigest, waitFor, type DaemonHandle } from '../helpers/index.js';
import { conflictCopies, runClientOnce, syncedPair, waitForDaemonToSee, type SyncedPair } from './support.js';

async function prepareE(e: string): Promise<void> {
  await mkdir(path.join(e, 'd/sub'), { recursive: true });
  await writeFile(path.join(e, 'd/a.txt'), 'one\n');
  await writeFile(path.join(e, 'd/sub/b.txt'), 'two\n');
  await writeFile(path.join(e, 'k.txt'), 'keep\n');
  await writeFile(path.join(e, 'gone.txt'), 'E deletes this\n');
}

async function replaceOnE(e: string): Promise<void> {
  await rm(path.join(e, 'd'), { recursive: true });
  await writeFile(path.join(e, 'd'), 'now a file\n');
  await rm(path.join(e, 'gone.txt'));
}

/** Restarts the daemon on a new database (a new log id): R's next pass is a full resync. */
async function recreateLog(s: SyncedPair): Promise<DaemonHandle> {
  await s.daemon.stop();
  for (const suffix of ['', '-wal', '-shm']) await rm(`${s.daemon.db}${suffix}`, { force: true });
  await replaceOnE(s.e);
  return startDaemon({ dirs: { docs: s.e }, db: s.daemon.db });
}

/** Restarts the daemon keeping no tombstones: R's next pass is a full resync once they are compacted. */
async function compactPastR(s: SyncedPair): Promise<DaemonHandle> {
  await s.daemon.stop();
  const daemon = await startDaemon({ dirs: { docs: s.e }, db: s.daemon.db, args: ['--compact-interval', '0.01', '--tombstone-days', '0'] });
  await replaceOnE(s.e);
  await waitForDaemonToSee(daemon, 'docs', s.e);
  const probe = await connect(daemon.url, daemon.token);
  await waitFor(
    async () => {
      const log = await probe.request('GET_CHANGES', { since_sequence: 0, limit: 5000 });
      return !(log.changes as { operation: string }[]).some((c) => c.operation === 'delete');
    },
    { what: 'the tombstones to be compacted' },
  );
  await probe.close();
  return daemon;
}

describe('a full resync where E replaced a directory R received with a file', () => {
  it.each([
    ["E's database recreated", recreateLog, /full resync: the daemon's change log was recreated/],
    ['R away longer than --tombstone-days', compactPastR, /full resync: the log was compacted past this client's position/],
  ])('%s: R untouched there gets E’s file, no conflict copy', async (_route, force, said) => {
    const s = await syncedPair(prepareE);
    const daemon = await force(s);
    try {
      await waitForDaemonToSee(daemon, 'docs', s.e);
      const result = await runClientOnce({ ...s.setup, daemon });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(said);
      expect(await conflictCopies(s.r), result.stderr).toEqual([]);
      expect(await treeDigest(s.r)).toEqual(await treeDigest(s.e));
    } finally {
      await daemon.stop();
    }
  });

  it("keeps R's own file there in a conflict copy of the directory, without E's files", async () => {
    const s = await syncedPair(prepareE);
    await writeFile(path.join(s.r, 'd/sub/mine.txt'), "R's own\n");
    const daemon = await recreateLog(s);
    try {
      await waitForDaemonToSee(daemon, 'docs', s.e);
      const result = await runClientOnce({ ...s.setup, daemon });
      expect(result.code, result.stderr).toBe(0);
      const copies = (await readdir(s.r)).filter((name) => name.startsWith('d.zync-conflict-'));
      expect(copies, result.stderr).toHaveLength(1);
      expect(Object.keys(await treeDigest(path.join(s.r, copies[0]!))).sort()).toEqual(['sub', 'sub/mine.txt']);
      expect(Object.keys(await treeDigest(s.r)).filter((p) => !p.startsWith('d.zync-conflict-')).sort()).toEqual(Object.keys(await treeDigest(s.e)).sort());
    } finally {
      await daemon.stop();
    }
  });
});
