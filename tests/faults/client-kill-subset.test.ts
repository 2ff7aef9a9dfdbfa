// A pull of two roots is killed after placing a file in one of them and before recording it;
// then a pull of the other root alone runs. The killed batch of the first root is not finished
// by that: --update-upstream of both roots is still refused (exit 13), not sent E's own file back
// as R's new one. Before, one mark for the whole state was cleared by any pull.
import { copyFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exists, startDaemon, tempDir, waitFor } from '../helpers/index.js';
import { startProxy } from '../helpers/tcp-proxy.mjs';
import { runClientOnce, spawnClient, stateDb, waitForDaemonToSee } from '../client/support.js';
import { runUpstream } from '../upstream/support.js';

describe('zync-client killed mid-pull, then a pull of another root', () => {
  it('keeps the killed root\'s batch unfinished: the upload of both roots is refused until it is pulled', async () => {
    const eDocs = tempDir('zync-e-');
    const eNotes = tempDir('zync-e-');
    const rDocs = tempDir('zync-r-');
    const rNotes = tempDir('zync-r-');
    await writeFile(path.join(eNotes, 'a.txt'), 'the content R holds already\n');
    await writeFile(path.join(eDocs, 'd.txt'), 'docs\n');
    const daemon = await startDaemon({ dirs: { docs: eDocs, notes: eNotes }, db: stateDb() });
    // A slow tunnel keeps the batch open after its local copy (b.txt) while a download waits.
    const proxy = await startProxy({ targetPort: daemon.port, delayMs: 200 });
    const db = path.join(tempDir('zync-rstate-'), 'sync_client.db');
    const both = { daemon, dirs: { docs: rDocs, notes: rNotes }, db };
    try {
      await waitForDaemonToSee(daemon, 'notes', eNotes);
      await waitForDaemonToSee(daemon, 'docs', eDocs);
      expect((await runClientOnce(both)).code).toBe(0);
      await copyFile(path.join(eNotes, 'a.txt'), path.join(eNotes, 'b.txt'));
      await writeFile(path.join(eNotes, 'downloaded.txt'), 'fetched over the tunnel\n');
      await waitForDaemonToSee(daemon, 'notes', eNotes);
      const client = spawnClient({ ...both, daemon: { ...daemon, url: proxy.url } }, ['--once']);
      try {
        await waitFor(() => exists(path.join(rNotes, 'b.txt')), { timeoutMs: 30_000, intervalMs: 1, what: 'b.txt placed' });
        proxy.stall();
        expect(await client.kill9()).toBe('SIGKILL');
      } finally {
        proxy.unstall();
        await client.stop('SIGKILL');
      }
      const docsOnly = await runClientOnce({ daemon, dirs: { docs: rDocs }, db });
      expect(docsOnly.code, docsOnly.stderr).toBe(0);

      const refused = await runUpstream(both);
      expect(refused.code, refused.stderr).toBe(13);
      expect(refused.stderr).toMatch(/A pull was stopped abruptly/);
      expect(refused.stdout).not.toMatch(/Staged/);

      // Pulled, the placed file is E's: nothing to send.
      expect((await runClientOnce(both)).code).toBe(0);
      const after = await runUpstream(both);
      expect(after.code, after.stderr).toBe(0);
      expect(after.stdout + after.stderr).toMatch(/Nothing to send upstream/);
    } finally {
      await proxy.close();
      await daemon.stop();
    }
  }, 120_000);
});
