// --update-upstream given a --dirs name this state has never pulled (its root seeded on R with a
// copy of E's files, say): R has no record of what E sent there, so every file in it would go to E
// as R's new file, and one E changed since as R's edit of it (a conflict whose --force reverts E).
// Refused (exit 13) with the pull to run first; once that pull has run, the upload sends nothing
// of E's back.
import { cp, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, stateDb, waitForDaemonToSee } from '../client/support.js';
import { runUpstream } from './support.js';

describe('--update-upstream of a name this state never pulled', () => {
  let daemon: DaemonHandle;
  afterEach(async () => {
    await daemon?.stop();
  });

  it('is refused with the pull to run first, and after that pull sends nothing of E\'s', async () => {
    const e1 = tempDir('zync-e1-');
    const e2 = tempDir('zync-e2-');
    await writeFile(path.join(e1, 'a.txt'), 'a\n');
    await writeFile(path.join(e2, 'n.txt'), "E's note\n");
    daemon = await startDaemon({ dirs: { docs: e1, notes: e2 }, db: stateDb() });
    await waitForDaemonToSee(daemon, 'docs', e1);
    await waitForDaemonToSee(daemon, 'notes', e2);
    const db = path.join(tempDir('zync-rstate-'), 'sync_client.db');
    const docs = tempDir('zync-r-docs-');
    const pulled = await runClientOnce({ daemon, dirs: { docs }, db });
    expect(pulled.code, pulled.stderr).toBe(0);
    // R seeds notes with a copy of E's (rsync); E changes its note afterwards.
    const notes = tempDir('zync-r-notes-');
    await cp(e2, notes, { recursive: true });
    await writeFile(path.join(e2, 'n.txt'), "E's note, edited on E\n");
    await waitForDaemonToSee(daemon, 'notes', e2);

    const refused = await runUpstream({ daemon, dirs: { docs, notes }, db });
    expect(refused.code, refused.stdout + refused.stderr).toBe(13);
    expect(refused.stderr).toMatch(
      /--dirs notes: this state has never pulled it from E, so R cannot tell E's files there from R's own \(all would be sent as R's new files\); pull first \(zync-client --once with these --dirs\), then --update-upstream again\. Nothing was sent\./,
    );
    expect(refused.stdout).not.toMatch(/Staged/);

    const both = await runClientOnce({ daemon, dirs: { docs, notes }, db });
    expect(both.code, both.stderr).toBe(0);
    const upload = await runUpstream({ daemon, dirs: { docs, notes }, db });
    expect(upload.code, upload.stdout + upload.stderr).toBe(0);
    expect(upload.stdout).toMatch(/Nothing to send upstream/);
  });

  it('a name pulled before, left out of the last pull, still uploads', async () => {
    const e1 = tempDir('zync-e1-');
    const e2 = tempDir('zync-e2-');
    await writeFile(path.join(e1, 'a.txt'), 'a\n');
    await writeFile(path.join(e2, 'n.txt'), "E's note\n");
    daemon = await startDaemon({ dirs: { docs: e1, notes: e2 }, db: stateDb() });
    await waitForDaemonToSee(daemon, 'docs', e1);
    await waitForDaemonToSee(daemon, 'notes', e2);
    const db = path.join(tempDir('zync-rstate-'), 'sync_client.db');
    const docs = tempDir('zync-r-docs-');
    const notes = tempDir('zync-r-notes-');
    expect((await runClientOnce({ daemon, dirs: { docs, notes }, db })).code).toBe(0);
    expect((await runClientOnce({ daemon, dirs: { docs }, db })).code).toBe(0);
    await writeFile(path.join(notes, 'mine.txt'), "R's own note\n");
    const upload = await runUpstream({ daemon, dirs: { docs, notes }, db });
    expect(upload.code, upload.stdout + upload.stderr).toBe(0);
    expect(upload.stdout).toMatch(/Staged 1 change upstream as session \S+ \(1 added, 0 modified, 0 deleted; 0 conflicts\)/);
  });
});
