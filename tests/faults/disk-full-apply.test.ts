// E's disk is full under the daemon's state database when zync-apply runs: opening the database
// writes nothing, so the first write refused is the run's lock file. zync-apply says so in the
// daemon's words (DISK_FULL, exit code 7, the file system to free) and changes nothing; once there
// is room the same command applies the session. Before: exit code 2 with "Cannot open database
// …: database or disk is full.", as for a bad --db.
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, treeDigest, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from '../upstream/support.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from './tmpfs.js';

const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`disk-full-apply: skipped: ${unavailable}`);

/** Writes to `file` until the file system has no byte left. */
async function fill(file: string): Promise<void> {
  const h = await open(file, 'w');
  try {
    for (const size of [64 * 1024, 512]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) await h.write(chunk);
      } catch {
        // ENOSPC: on to smaller writes, then done
      }
    }
  } finally {
    await h.close();
  }
}

describe.skipIf(unavailable !== null)("zync-apply with E's disk full under the state database", () => {
  let disk: Tmpfs;
  let daemon: DaemonHandle;
  afterAll(async () => {
    await daemon?.stop();
    disk?.unmount();
  });

  it('says DISK_FULL in one sentence naming the file system, changes nothing, and applies once there is room', async () => {
    disk = mountTmpfs(16);
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    await writeFile(path.join(e, 'edit.txt'), 'base\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: path.join(disk.dir, 'sync.db') });
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    await waitForDaemonToSee(daemon, 'docs', e);
    expect((await runClientOnce(setup)).code).toBe(0);
    await writeFile(path.join(r, 'a-new.txt'), 'new on R\n');
    await writeFile(path.join(r, 'edit.txt'), 'R edit\n');
    const up = await runUpstream(setup);
    expect(up.code, up.stderr).toBe(0);
    const id = stagingIdFrom(up.stdout);
    const before = await treeDigest(e);

    const filler = path.join(disk.dir, 'filler');
    await fill(filler);
    const full = await runApply(daemon, ['apply', id, '--non-interactive']);
    expect(full.code, full.stderr).toBe(7);
    expect(full.stderr.trim()).toBe(
      `zync-apply: E's disk is full: zync-apply cannot write its lock file ${daemon.db}.apply-${id}.lock, so it changed nothing. Free space on the file system that holds ${disk.dir} (df ${disk.dir}); then run zync-apply again.`,
    );
    expect(await treeDigest(e)).toEqual(before);
    // Reading needs no room: the session can still be listed and looked at.
    const list = await runApply(daemon, ['list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(id);
    const show = await runApply(daemon, ['show', id]);
    expect(show.code, show.stderr).toBe(0);

    await rm(filler);
    const again = await runApply(daemon, ['apply', id, '--non-interactive']);
    expect(again.code, again.stderr).toBe(0);
    expect(await readFile(path.join(e, 'edit.txt'), 'utf8')).toBe('R edit\n');
    expect(await readFile(path.join(e, 'a-new.txt'), 'utf8')).toBe('new on R\n');
  });
});
