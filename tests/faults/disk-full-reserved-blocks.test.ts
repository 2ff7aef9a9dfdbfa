// R's disk is ext4 with blocks reserved for root, and the client runs as root. A file that did
// not fit waits for room; once room is freed that root may write (the reserved blocks included),
// the running client fetches it. Before, it waited for the room any user may write (bavail),
// which never came: the file stayed missing until a restart.
import { execFileSync } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File, startDaemon, tempDir, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { spawnClient, stateDb, type ClientSetup } from '../client/support.js';
import { loopExt4Unavailable } from './tmpfs.js';

const MiB = 1024 * 1024;

const unavailable = loopExt4Unavailable();
if (unavailable) console.warn(`disk-full-reserved-blocks: skipped: ${unavailable}`);
const readOrNull = (file: string) => readFile(file, 'utf8').catch(() => null);

describe.skipIf(unavailable !== null)('a root client on a disk with blocks reserved for root', () => {
  const img = path.join(tempDir('zync-img-'), 'r.img');
  const mnt = tempDir('zync-mnt-');
  let mounted = false;
  let e: string;
  let daemon: DaemonHandle;
  beforeAll(async () => {
    execFileSync('truncate', ['-s', '64M', img]);
    execFileSync('mkfs.ext4', ['-q', '-F', '-m', '25', img]);
    execFileSync('mount', ['-o', 'loop', img, mnt]);
    mounted = true;
    e = tempDir('zync-e-');
    await writeFile(path.join(e, 'notes.txt'), 'v1\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
  });
  afterAll(async () => {
    await daemon?.stop();
    if (mounted) execFileSync('umount', [mnt]);
  });

  it('fetches a waiting file once root has room for it, reserved blocks included', async () => {
    const r = path.join(mnt, 'r');
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const client = spawnClient(setup, ['--interval', '5']);
    try {
      await waitFor(async () => (await readOrNull(path.join(r, 'notes.txt'))) === 'v1\n', { what: 'first sync' });
      // Filled as root, into the reserved blocks, to about 2 MiB free.
      const fs = statfsSync(mnt);
      const fill = Math.floor((fs.bfree * fs.bsize) / MiB) - 2;
      await writeRandomFile(path.join(mnt, 'filler1'), 12 * MiB);
      await writeRandomFile(path.join(mnt, 'filler2'), (fill - 12) * MiB);
      await writeRandomFile(path.join(e, 'big.bin'), 8 * MiB);
      await waitFor(() => /No space left on R's disk/.test(client.stderr()), { timeoutMs: 60_000, what: 'the full disk said' });
      // 14 MiB free for root now, still none for other users (25% of 64 MiB is reserved).
      await unlink(path.join(mnt, 'filler1'));
      expect(statfsSync(mnt).bavail * statfsSync(mnt).bsize).toBeLessThan(8 * MiB);
      await writeFile(path.join(e, 'notes.txt'), 'v2\n'); // E's push: a pass
      const wanted = await sha256File(path.join(e, 'big.bin'));
      await waitFor(async () => (await sha256File(path.join(r, 'big.bin')).catch(() => '')) === wanted, { timeoutMs: 60_000, what: 'big.bin on R' });
    } finally {
      await client.stop('SIGTERM');
    }
  }, 150_000);
});
