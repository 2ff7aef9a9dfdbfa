// An upload handed to a running client whose first pull of a root waits for room on R's disk:
// that pull cannot end (the root is never brought up to date) until the file fits, so the upload
// is refused saying so, with exit code 7. Before, it was refused with advice to run it again after
// the next pull, which could never help.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { spawnClient, stateDb, type ClientSetup } from '../client/support.js';
import { runUpstream } from '../upstream/support.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from './tmpfs.js';

const MiB = 1024 * 1024;
const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`disk-full-hand-off: skipped: ${unavailable}`);
const readOrNull = (file: string) => readFile(file, 'utf8').catch(() => null);

describe.skipIf(unavailable !== null)('an upload handed to a running client whose first pull waits for room', () => {
  let disk: Tmpfs;
  let daemon: DaemonHandle;
  let e: string;
  beforeAll(async () => {
    disk = mountTmpfs(24);
    e = tempDir('zync-e-');
    await writeFile(path.join(e, 'notes.txt'), 'v1\n');
    await writeRandomFile(path.join(e, 'huge.bin'), 30 * MiB);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
  });
  afterAll(async () => {
    await daemon?.stop();
    disk?.unmount();
  });

  it('is refused saying the pull cannot end until R has room for the file', async () => {
    const r = path.join(disk.dir, 'r');
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const client = spawnClient(setup, ['--interval', '5']);
    try {
      await waitFor(() => existsSync(`${setup.db}.sock`) && /No space left on R's disk/.test(client.stderr()), { timeoutMs: 60_000, what: 'the full disk said' });
      await waitFor(async () => (await readOrNull(path.join(r, 'notes.txt'))) === 'v1\n', { what: 'notes.txt on R' });
      await writeFile(path.join(r, 'notes.txt'), 'edited on R\n');
      const sent = await runUpstream(setup);
      expect(sent.code, sent.stderr).toBe(7);
      expect(sent.stderr).toMatch(/the pull cannot end until R's disk has room for docs\/huge\.bin: free some space there .* then run --update-upstream again\. Nothing was sent\./);
      expect(sent.stderr).not.toMatch(/run --update-upstream again after that pull/);
    } finally {
      await client.stop('SIGTERM');
    }
  }, 120_000);
});
