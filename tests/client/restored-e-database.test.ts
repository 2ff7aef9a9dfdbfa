// E's database restored from an older backup (same log_id, its log ending before R's position):
// the client resyncs against it as against another log, where R's records cannot be placed in
// E's sequences. R's revert of a file to a content E held before the backup's end is R's edit and
// stays; R's put-back of a file E deleted cannot be told from E's old file (R has no record of it),
// so it is kept as a conflict copy (never sent upstream). Before: every content E's log showed at
// the path counted as later than R's state, so R's revert was taken for E's and overwritten with
// E's content, and R's put-back file was deleted — no conflict copy, nothing said.
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, type DaemonHandle } from '../helpers/index.js';
import { conflictCopies, runClientOnce, stateDb, waitForDaemonToSee, type ClientSetup } from './support.js';

async function copyDb(from: string, to: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm']) {
    await rm(to + suffix, { force: true });
    if (existsSync(from + suffix)) await copyFile(from + suffix, to + suffix);
  }
}

describe("E's database restored from an older backup", () => {
  let daemon: DaemonHandle | undefined;
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
  });

  it.each([
    ['a revert to the content E held when the backup was made stays (before: overwritten with E\'s, no copy)', 'revert'],
    ['a file E deleted that R put back is kept as a conflict copy (before: deleted, no copy)', 'put-back'],
  ])("keeps R's edit: %s", async (_name, how) => {
    const eDocs = tempDir('zync-e-docs-');
    await writeFile(path.join(eDocs, 'f.txt'), 'v1\n');
    const db = stateDb();
    const backup = path.join(tempDir('zync-backup-'), 'sync.db');
    let d = (daemon = await startDaemon({ dirs: { docs: eDocs }, db }));
    await waitForDaemonToSee(d, 'docs', eDocs);
    const rDocs = tempDir('zync-r-');
    const rdb = path.join(tempDir('zync-rstate-'), 'sync_client.db');
    const setup = (): ClientSetup => ({ daemon: d, dirs: { docs: rDocs }, db: rdb });
    expect((await runClientOnce(setup())).code).toBe(0);
    // The backup: E's log holds f = v1.
    await d.stop();
    await copyDb(db, backup);
    d = daemon = await startDaemon({ dirs: { docs: eDocs }, db });
    if (how === 'revert') await writeFile(path.join(eDocs, 'f.txt'), 'v2 on E\n');
    else await rm(path.join(eDocs, 'f.txt'));
    // Enough entries after the backup's end for R's position to pass the restored log's end.
    for (let i = 0; i < 5; i++) await writeFile(path.join(eDocs, `g${i}.txt`), `g${i}\n`);
    await waitForDaemonToSee(d, 'docs', eDocs);
    const pulled = await runClientOnce(setup());
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(existsSync(path.join(rDocs, 'f.txt'))).toBe(how === 'revert');
    // R's edit: f = v1 again, a content E's restored log shows.
    await writeFile(path.join(rDocs, 'f.txt'), 'v1\n');
    for (let i = 0; i < 5; i++) await rm(path.join(eDocs, `g${i}.txt`));
    await waitForDaemonToSee(d, 'docs', eDocs);
    await d.stop();
    await copyDb(backup, db);
    d = daemon = await startDaemon({ dirs: { docs: eDocs }, db });
    await waitForDaemonToSee(d, 'docs', eDocs);
    const again = await runClientOnce(setup());
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/full resync/);
    const copies = await conflictCopies(rDocs);
    if (how === 'revert') {
      expect(await readFile(path.join(rDocs, 'f.txt'), 'utf8')).toBe('v1\n');
      expect(copies).toEqual([]);
    } else {
      expect(existsSync(path.join(rDocs, 'f.txt'))).toBe(false);
      expect(copies).toHaveLength(1);
      expect(await readFile(path.join(rDocs, copies[0]!), 'utf8')).toBe('v1\n');
    }
    // E's side converges all the same: the g files E deleted are gone from R.
    expect(existsSync(path.join(rDocs, 'g0.txt'))).toBe(false);
  });
});
