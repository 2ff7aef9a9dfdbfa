// R's own deletions survive a full resync. R deletes a file and a directory it received (edits
// not yet sent upstream); then a full resync runs — E's database recreated, or R away longer than
// E keeps tombstones. E still holds both as R received them, so the resync, a comparison of
// states, must leave them deleted, as an ordinary pull does, and --update-upstream sends the
// deletions. Before: the resync downloaded them again without a word, and nothing went upstream.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, exists, startDaemon, waitFor, type CliResult, type DaemonHandle } from '../helpers/index.js';
import { runUpstream } from '../upstream/support.js';
import { runClientOnce, syncedPair, waitForDaemonToSee } from './support.js';

async function prepareE(e: string): Promise<void> {
  await mkdir(path.join(e, 'd/sub'), { recursive: true });
  await writeFile(path.join(e, 'a.txt'), 'one\n');
  await writeFile(path.join(e, 'b.txt'), 'two\n');
  await writeFile(path.join(e, 'c.txt'), 'three\n');
  await writeFile(path.join(e, 'd/x.txt'), 'x\n');
  await writeFile(path.join(e, 'd/sub/y.txt'), 'y\n');
}

/** R's deletions, and E's own change (a new file) that the resync must still bring. */
async function deleteOnR(r: string, e: string): Promise<void> {
  await rm(path.join(r, 'a.txt'));
  await rm(path.join(r, 'd'), { recursive: true });
  await writeFile(path.join(e, 'new.txt'), 'new on E\n');
}

async function expectDeletionsKept(r: string, result: CliResult): Promise<void> {
  expect(result.code, result.stderr).toBe(0);
  expect(await exists(path.join(r, 'a.txt')), result.stderr).toBe(false);
  expect(await exists(path.join(r, 'd')), result.stderr).toBe(false);
  expect(await exists(path.join(r, 'b.txt'))).toBe(true);
  expect(await exists(path.join(r, 'new.txt'))).toBe(true);
  expect(result.stderr).toMatch(/keeping R's deletion of docs\/a\.txt: E still has it as R received it/);
}

describe("a full resync keeps R's deletions of what E still has as R received it", () => {
  it("after E's database was recreated, and --update-upstream sends them", async () => {
    const s = await syncedPair(prepareE);
    await s.daemon.stop();
    for (const suffix of ['', '-wal', '-shm']) await rm(`${s.daemon.db}${suffix}`, { force: true });
    await deleteOnR(s.r, s.e);
    const daemon = await startDaemon({ dirs: { docs: s.e }, db: s.daemon.db });
    try {
      const setup = { ...s.setup, daemon };
      await waitForDaemonToSee(daemon, 'docs', s.e);
      const pulled = await runClientOnce(setup);
      expect(pulled.stderr).toMatch(/full resync: the daemon's change log was recreated/);
      await expectDeletionsKept(s.r, pulled);

      const sent = await runUpstream(setup);
      expect(sent.code, sent.stderr).toBe(0);
      // a.txt, d/x.txt, d/sub/y.txt, d/sub and d.
      expect(sent.stdout).toMatch(/Staged 5 changes upstream as session/);
      // A second pass leaves them deleted too.
      const again = await runClientOnce(setup);
      expect(again.code, again.stderr).toBe(0);
      expect(await exists(path.join(s.r, 'a.txt'))).toBe(false);
    } finally {
      await daemon.stop();
    }
  });

  it('after the log was compacted past R (--tombstone-days 0)', async () => {
    let daemon: DaemonHandle | undefined;
    const s = await syncedPair(prepareE);
    try {
      await s.daemon.stop();
      daemon = await startDaemon({ dirs: { docs: s.e }, db: s.daemon.db, args: ['--compact-interval', '0.01', '--tombstone-days', '0'] });
      const setup = { ...s.setup, daemon };
      await deleteOnR(s.r, s.e);
      // E deletes a file too; its tombstone is compacted away, so R's next pass is a full resync.
      await rm(path.join(s.e, 'c.txt'));
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
      const pulled = await runClientOnce(setup);
      expect(pulled.stderr).toMatch(/full resync: the log was compacted past this client's position/);
      await expectDeletionsKept(s.r, pulled);
      // E's deletion still reaches R.
      expect(await exists(path.join(s.r, 'c.txt'))).toBe(false);
    } finally {
      await (daemon ?? s.daemon).stop();
    }
  });
});
