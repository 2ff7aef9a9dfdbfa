// --update-upstream after E's database was recreated (new log_id) refuses with one sentence and
// exit 13 (R must pull first), sending nothing; after one zync-client run it sends R's edit.
// The same after E's database was restored from an older copy that has logged past R's position
// since (same log_id; the run R was told for its position is gone from it).
// Before: the same sentence with exit 1, which the README's table gives to unexpected errors.
import { copyFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDaemon, tempDir } from '../helpers/index.js';
import { runClientOnce, syncedPair, waitForDaemonToSee } from '../client/support.js';
import { listSessions, runUpstream } from './support.js';

describe('--update-upstream after E’s database was recreated', () => {
  it('exits 13 with one sentence, sends nothing, and works after a pull', async () => {
    const s = await syncedPair(async (e) => writeFile(path.join(e, 'a.txt'), 'base\n'));
    await s.daemon.stop();
    for (const suffix of ['', '-wal', '-shm']) await rm(`${s.daemon.db}${suffix}`, { force: true });
    const daemon = await startDaemon({ dirs: { docs: s.e }, db: s.daemon.db });
    try {
      const setup = { ...s.setup, daemon };
      await writeFile(path.join(s.r, 'a.txt'), 'R edit\n');
      const refused = await runUpstream(setup);
      expect(refused.code, refused.stderr).toBe(13);
      expect(refused.stderr.trim()).toBe(
        "zync-client: E's change log was recreated since R last synced; run zync-client once to resync, then --update-upstream.",
      );
      expect(await listSessions(daemon)).toEqual([]);

      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      const sent = await runUpstream(setup);
      expect(sent.code, sent.stderr).toBe(0);
      expect(sent.stdout).toMatch(/Staged 1 change upstream as session/);
    } finally {
      await daemon.stop();
    }
  });

  it('after a restore from an older copy: exits 13 with one sentence, sends nothing, and works after a pull', async () => {
    const s = await syncedPair(async (e) => writeFile(path.join(e, 'a.txt'), 'base\n'));
    const db = s.daemon.db;
    const backup = path.join(tempDir('zync-backup-'), 'backup.db');
    await s.daemon.stop();
    await copyFile(db, backup);
    let daemon = await startDaemon({ dirs: { docs: s.e }, db });
    try {
      for (let i = 1; i <= 3; i++) {
        await writeFile(path.join(s.e, `after-${i}.txt`), `after the backup ${i}\n`);
        await waitForDaemonToSee(daemon, 'docs', s.e);
      }
      expect((await runClientOnce({ ...s.setup, daemon })).code).toBe(0);
      await daemon.stop();
      for (const suffix of ['-wal', '-shm']) await rm(`${db}${suffix}`, { force: true });
      await copyFile(backup, db);
      daemon = await startDaemon({ dirs: { docs: s.e }, db });
      // The restored log passes R's position under other changes.
      for (let i = 1; i <= 4; i++) {
        await writeFile(path.join(s.e, `restored-${i}.txt`), `after the restore ${i}\n`);
        await waitForDaemonToSee(daemon, 'docs', s.e);
      }
      const setup = { ...s.setup, daemon };
      await writeFile(path.join(s.r, 'a.txt'), 'R edit\n');
      const refused = await runUpstream(setup);
      expect(refused.code, refused.stderr).toBe(13);
      expect(refused.stderr.trim()).toBe(
        "zync-client: E's database was restored from an older copy since R last synced; run zync-client once to resync, then --update-upstream.",
      );
      expect(await listSessions(daemon)).toEqual([]);

      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      const sent = await runUpstream(setup);
      expect(sent.code, sent.stderr).toBe(0);
      expect(sent.stdout).toMatch(/Staged 1 change upstream as session/);
    } finally {
      await daemon.stop();
    }
  });
});
