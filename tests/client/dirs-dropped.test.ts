// A name dropped from the daemon's --dirs keeps its log entries (it may be added back) but is no
// longer served: a client pulling the log from the start gets none of its entries. Before, every
// full resync got two ERROR lines per file of it (UNKNOWN_BASE_DIR) and "N skipped".
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectSameTree, startDaemon, tempDir, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, stateDb, waitForDaemonToSee } from './support.js';

describe('a root dropped from the daemon’s --dirs', () => {
  let daemon: DaemonHandle | undefined;
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
  });

  it('is left out of a fresh client’s pull, and comes back whole once served again', async () => {
    const eDocs = tempDir('zync-e-docs-');
    const eNotes = tempDir('zync-e-notes-');
    await writeFile(path.join(eDocs, 'readme.txt'), 'docs\n');
    for (const n of ['a', 'b', 'c']) await writeFile(path.join(eNotes, `${n}.txt`), `${n}\n`);
    const db = stateDb();
    daemon = await startDaemon({ dirs: { docs: eDocs, notes: eNotes }, db });
    await waitForDaemonToSee(daemon, 'notes', eNotes);
    await daemon.stop();

    daemon = await startDaemon({ dirs: { docs: eDocs }, db });
    expect(daemon.stderr()).toContain('"notes" is no longer served; its log entries are kept');
    const rDocs = tempDir('zync-r-docs-');
    const pulled = await runClientOnce({ daemon, dirs: { docs: rDocs }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') });
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).not.toMatch(/ERROR|does not serve|skipped/);
    await expectSameTree(rDocs, eDocs);
    await daemon.stop();

    daemon = await startDaemon({ dirs: { docs: eDocs, notes: eNotes }, db });
    const rNotes = tempDir('zync-r-notes-');
    const back = await runClientOnce({ daemon, dirs: { notes: rNotes }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') });
    expect(back.code, back.stderr).toBe(0);
    await expectSameTree(rNotes, eNotes);
  });
});
