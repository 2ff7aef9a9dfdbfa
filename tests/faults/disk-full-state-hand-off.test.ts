// --update-upstream while a running client holds the state and the state's disk is full. The
// one-shot writes nothing before it meets the running client, so the upload is handed to it as
// usual. Before, it wrote a draft of its lock file before looking who held the lock, and stopped
// with exit code 7 and a raw "No space left on device while writing the lock file …".
import { existsSync } from 'node:fs';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameTree, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { spawnClient, stateDb, type ClientSetup } from '../client/support.js';
import { runUpstream } from '../upstream/support.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from './tmpfs.js';

const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`disk-full-state-hand-off: skipped: ${unavailable}`);

/** Writes to `file` until the file system has no byte left. */
async function fill(file: string): Promise<void> {
  const h = await open(file, 'w');
  try {
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (;;) await h.write(chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await h.close();
  }
}

describe.skipIf(unavailable !== null)("--update-upstream while a running client holds the state and the state's disk is full", () => {
  let disk: Tmpfs;
  let daemon: DaemonHandle;
  let e: string;
  beforeAll(async () => {
    disk = mountTmpfs(16);
    e = tempDir('zync-e-');
    await writeFile(path.join(e, 'a.txt'), 'hi\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
  });
  afterAll(async () => {
    await daemon?.stop();
    disk?.unmount();
  });

  it('is handed to the running client, not stopped on its own lock file', async () => {
    const r = tempDir('zync-r-');
    await mkdir(path.join(disk.dir, 'state'));
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(disk.dir, 'state', 'sync_client.db') };
    const client = spawnClient(setup, ['--interval', '60']);
    try {
      await waitFor(async () => (await sameTree(e, r)) && existsSync(`${setup.db}.sock`), { what: 'the first sync' });
      await writeFile(path.join(r, 'mine.txt'), 'made on R\n');
      const filler = path.join(disk.dir, 'filler.bin');
      await fill(filler);
      const sent = await runUpstream(setup);
      expect(sent.stderr).not.toMatch(/No space left on device while writing the lock file/);
      expect(sent.stderr).toMatch(/the upload is handed to the zync-client running on this state/);
      await rm(filler);
    } finally {
      await client.stop('SIGTERM');
    }
  }, 120_000);
});
