// E's state database restored from an older copy: the daemon stopped, `cp backup.db sync.db`,
// the daemon started again. The copy keeps its log_id, and its log goes on from the copy's end,
// under sequences R already holds for other changes. Once E has logged past R's position, that
// position alone looks fine; the run of the log R was told for it is gone from the restored
// database (014-log-runs.sql), so R resyncs: R ends equal to E, and R's own edit is kept.
// Restarts of the daemon (one killed -9) between R's pulls are no restore: R resumes.
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, startDaemon, tempDir, treeDigest, type DaemonHandle } from '../helpers/index.js';
import { conflictCopies, runClientOnce, stateDb, waitForDaemonToSee, type ClientSetup } from '../client/support.js';

const FILES = ['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt', 'keep.txt', 'r-edit.txt'];
const DB_FILES = ['', '-wal', '-shm'];

async function lastSequence(daemon: DaemonHandle): Promise<number> {
  const client = await connect(daemon.url, daemon.token);
  try {
    const answer = await client.request('GET_LAST_SEQUENCE', {});
    return answer.last_sequence as number;
  } finally {
    await client.close();
  }
}

async function copyDb(from: string, to: string): Promise<void> {
  for (const suffix of DB_FILES) {
    await rm(`${to}${suffix}`, { force: true });
    await copyFile(`${from}${suffix}`, `${to}${suffix}`).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

describe("E's database restored from an older copy", () => {
  let daemon: DaemonHandle | undefined;
  afterEach(async () => {
    await daemon?.stop();
  });

  it('R resyncs once E has logged past its position, and ends equal to E with its own edit kept', async () => {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    for (const name of FILES) await writeFile(path.join(e, name), `${name}: first\n`);
    const db = stateDb();
    daemon = await startDaemon({ dirs: { docs: e }, db });
    const clientDb = path.join(tempDir('zync-rstate-'), 'sync_client.db');
    const setup = (): ClientSetup => ({ daemon: daemon!, dirs: { docs: r }, db: clientDb });
    expect((await runClientOnce(setup())).code).toBe(0);

    // The backup, taken with the daemon stopped.
    await daemon.stop('SIGTERM');
    const backup = path.join(tempDir('zync-backup-'), 'backup.db');
    await copyDb(db, backup);
    daemon = await startDaemon({ dirs: { docs: e }, db });
    const copyEnd = await lastSequence(daemon);

    // After the backup, E logs a.txt five times over, one entry each; R pulls them all.
    for (let i = 1; i <= 5; i++) {
      await writeFile(path.join(e, 'a.txt'), `a.txt: after the backup, ${i}\n`);
      await waitForDaemonToSee(daemon, 'docs', e);
    }
    const pulled = await runClientOnce(setup());
    expect(pulled.code, pulled.stderr).toBe(0);

    // Restarts between R's pulls are no restore: a daemon killed -9, then one stopped, each
    // logging a.txt again after its start; R resumes.
    for (const [i, signal] of [[6, 'SIGKILL'], [7, 'SIGTERM']] as const) {
      await daemon.stop(signal);
      daemon = await startDaemon({ dirs: { docs: e }, db });
      await writeFile(path.join(e, 'a.txt'), `a.txt: after the backup, ${i}\n`);
      await waitForDaemonToSee(daemon, 'docs', e);
    }
    const resumed = await runClientOnce(setup());
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).not.toMatch(/full resync/);
    const position = await lastSequence(daemon);
    expect(position).toBeGreaterThanOrEqual(copyEnd + 7);
    await writeFile(path.join(r, 'r-edit.txt'), 'edited on R\n');

    // The restore. The start-up scan logs a.txt once; E's next changes take the sequences R holds.
    await daemon.stop('SIGTERM');
    await copyDb(backup, db);
    daemon = await startDaemon({ dirs: { docs: e }, db });
    const changes: [string, string | null][] = [
      ['b.txt', 'b.txt: after the restore\n'],
      ['c.txt', null],
      ['d.txt', 'd.txt: after the restore\n'],
      ['new.txt', 'new.txt: after the restore\n'],
      ['e.txt', 'e.txt: after the restore\n'],
      ['new2.txt', 'new2.txt: after the restore\n'],
      ['new3.txt', 'new3.txt: after the restore\n'],
    ];
    for (const [name, content] of changes) {
      if (content === null) await rm(path.join(e, name));
      else await writeFile(path.join(e, name), content);
      await waitForDaemonToSee(daemon, 'docs', e);
    }
    expect(await lastSequence(daemon)).toBeGreaterThanOrEqual(position);

    const resynced = await runClientOnce(setup());
    expect(resynced.code, resynced.stderr).toBe(0);
    const expected = await treeDigest(e);
    expected['r-edit.txt'] = (await treeDigest(r))['r-edit.txt']!;
    expect(await treeDigest(r)).toEqual(expected);
    expect(await readFile(path.join(r, 'r-edit.txt'), 'utf8')).toBe('edited on R\n');
    expect(await conflictCopies(r)).toEqual([]);
    expect(resynced.stderr).toMatch(/full resync: E's database was restored from an older copy/);

    // Once resynced, R follows the restored log as usual: no resync at each run.
    await writeFile(path.join(e, 'keep.txt'), 'keep.txt: later\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const later = await runClientOnce(setup());
    expect(later.code, later.stderr).toBe(0);
    expect(later.stderr).not.toMatch(/full resync/);
    expect(await readFile(path.join(r, 'keep.txt'), 'utf8')).toBe('keep.txt: later\n');
  });
});
