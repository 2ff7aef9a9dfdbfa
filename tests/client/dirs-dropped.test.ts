// A name dropped from the daemon's --dirs keeps its log entries (it may be added back) but is no
// longer served: a client pulling the log from the start gets none of its entries. Before, every
// full resync got two ERROR lines per file of it (UNKNOWN_BASE_DIR) and "N skipped". A running
// client whose daemon is restarted without one of its names waits for it: before, it ended (exit 2)
// and synced nothing more of the roots E still served.
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exists, expectSameTree, sameTree, startDaemon, tempDir, treeDigest, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { runClientOnce, spawnClient, stateDb, waitForDaemonToSee } from './support.js';

describe('a root dropped from the daemon’s --dirs', () => {
  let daemon: DaemonHandle | undefined;
  let client: SpawnedCli | undefined;
  afterEach(async () => {
    await client?.stop();
    client = undefined;
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

  it('is waited for by a running client, which keeps syncing the other roots and picks it up again once served', async () => {
    const eDocs = tempDir('zync-e-docs-');
    const eNotes = tempDir('zync-e-notes-');
    await writeFile(path.join(eDocs, 'readme.txt'), 'docs\n');
    await writeFile(path.join(eNotes, 'a.txt'), 'a\n');
    const db = stateDb();
    daemon = await startDaemon({ dirs: { docs: eDocs, notes: eNotes }, db });
    const rDocs = tempDir('zync-r-docs-');
    const rNotes = tempDir('zync-r-notes-');
    const setup = { daemon, dirs: { docs: rDocs, notes: rNotes }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    client = spawnClient(setup, ['--interval', '600']);
    await waitFor(async () => (await sameTree(rDocs, eDocs)) && (await sameTree(rNotes, eNotes)), { timeoutMs: 30_000, what: 'the first sync' });

    // E's daemon restarted without "notes": the client stays, says so once, and docs keeps syncing.
    const port = daemon.port;
    await daemon.stop();
    daemon = await startDaemon({ dirs: { docs: eDocs }, db, port });
    const notesOnR = await treeDigest(rNotes);
    await writeFile(path.join(eDocs, 'while-notes-away.txt'), 'new on E\n');
    await waitFor(() => sameTree(rDocs, eDocs), { timeoutMs: 30_000, what: 'docs to sync while notes is not served' });
    const warning = 'E no longer serves "notes"';
    await waitFor(() => client!.stderr().includes(warning), { timeoutMs: 30_000, what: 'the client to say notes is not served' });
    expect(client.proc.exitCode, client.stderr()).toBeNull();
    expect(await treeDigest(rNotes)).toEqual(notesOnR);

    // Another restart without it (a reconnection, a pushed pass): not said again.
    await writeFile(path.join(eNotes, 'b.txt'), 'b, made while notes was not served\n');
    await daemon.stop();
    daemon = await startDaemon({ dirs: { docs: eDocs }, db, port });
    await writeFile(path.join(eDocs, 'second.txt'), 'again\n');
    await waitFor(() => sameTree(rDocs, eDocs), { timeoutMs: 30_000, what: 'docs to sync after the second restart' });
    expect(client.stderr().split(warning)).toHaveLength(2);

    // Served again: the same client catches up with it.
    await daemon.stop();
    daemon = await startDaemon({ dirs: { docs: eDocs, notes: eNotes }, db, port });
    await waitFor(() => sameTree(rNotes, eNotes), { timeoutMs: 30_000, what: 'notes to be synced again' });
    // Said at the end of the pass that placed the files: after the tree matches.
    await waitFor(() => client!.stderr().includes('E serves "notes" again'), { timeoutMs: 30_000, what: 'the note that E serves "notes" again' });
    expect(client.proc.exitCode).toBeNull();
    expect(client.stderr()).not.toMatch(/ERROR/);
  });

  it('is refused at a run\'s start, naming it, before anything is made on R', async () => {
    const eDocs = tempDir('zync-e-docs-');
    daemon = await startDaemon({ dirs: { docs: eDocs }, db: stateDb() });
    const rNotes = path.join(tempDir('zync-r-'), 'notes');
    const once = await runClientOnce({ daemon, dirs: { docs: tempDir('zync-r-docs-'), notes: rNotes }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') });
    expect(once.code).toBe(2);
    expect(once.stderr).toMatch(/The daemon does not serve "notes" \(it serves "docs"\)\./);
    expect(await exists(rNotes)).toBe(false);
  });

  it('is waited for by a continuous client started while E does not serve it, if this state synced it before; --once refuses it', async () => {
    const eDocs = tempDir('zync-e-docs-');
    const eNotes = tempDir('zync-e-notes-');
    await writeFile(path.join(eDocs, 'readme.txt'), 'docs\n');
    await writeFile(path.join(eNotes, 'a.txt'), 'a\n');
    const db = stateDb();
    daemon = await startDaemon({ dirs: { docs: eDocs, notes: eNotes }, db });
    const rDocs = tempDir('zync-r-docs-');
    const rNotes = tempDir('zync-r-notes-');
    const setup = { daemon, dirs: { docs: rDocs, notes: rNotes }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const synced = await runClientOnce(setup);
    expect(synced.code, synced.stderr).toBe(0);

    const port = daemon.port;
    await daemon.stop();
    daemon = await startDaemon({ dirs: { docs: eDocs }, db, port });
    await writeFile(path.join(eDocs, 'later.txt'), 'later\n');
    const once = await runClientOnce(setup);
    expect(once.code).toBe(2);
    expect(once.stderr).toMatch(/The daemon does not serve "notes" \(it serves "docs"\)\./);

    client = spawnClient(setup, ['--interval', '600']);
    await waitFor(() => sameTree(rDocs, eDocs), { timeoutMs: 30_000, what: 'docs to sync' });
    await waitFor(() => client!.stderr().includes('E no longer serves "notes"'), { timeoutMs: 30_000, what: 'the warning' });
    expect(client.proc.exitCode, client.stderr()).toBeNull();

    await writeFile(path.join(eNotes, 'b.txt'), 'b\n');
    await daemon.stop();
    daemon = await startDaemon({ dirs: { docs: eDocs, notes: eNotes }, db, port });
    await waitFor(() => sameTree(rNotes, eNotes), { timeoutMs: 30_000, what: 'notes to be synced again' });
    expect(client.proc.exitCode).toBeNull();
  });
});
