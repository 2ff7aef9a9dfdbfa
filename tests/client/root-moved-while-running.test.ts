// A root R's user moves (`mv ~/docs ~/documents`) while a continuous zync-client runs: the client
// does not make the old place again and download a second full copy into it (before: it did, and
// forgot R's records of the root). It holds the root and says so once; restarted with the new place
// in --dirs, R's records are still there, so the moved-root check knows the tree, and R's edit
// and deletion made before the move stay R's and go upstream (before: a conflict copy, and the
// deleted file back from E).
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { listSessions, runUpstream } from '../upstream/support.js';
import { conflictCopies, runClientOnce, spawnClient, stateDb, waitForDaemonToSee, type ClientSetup } from './support.js';

const GONE = /WARN.*The local directory for "docs" \([^)]*\) is gone — moved or deleted\? A running zync-client does not make it again/g;

describe('zync-client with a root moved while it runs', () => {
  let daemon: DaemonHandle | undefined;
  let client: SpawnedCli | undefined;
  afterEach(async () => {
    await client?.stop('SIGKILL');
    client = undefined;
    await daemon?.stop();
    daemon = undefined;
  });

  it('holds it (no second copy at the old place); restarted with --dirs at the new place, R\'s edit and deletion made before the move stay R\'s', async () => {
    const e = tempDir('zync-e-');
    for (let i = 1; i <= 6; i++) await writeFile(path.join(e, `d${i}.txt`), `doc ${i}\n`);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    await waitForDaemonToSee(daemon, 'docs', e);
    const rParent = tempDir('zync-r-');
    const setup: ClientSetup = { daemon, dirs: { docs: path.join(rParent, 'docs') }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
    const docs = setup.dirs.docs!;
    // R's edit and deletion, not sent yet.
    await writeFile(path.join(docs, 'd1.txt'), 'doc 1\nR edit\n');
    await rm(path.join(docs, 'd2.txt'));

    // At debug, each pass's line (one that changes nothing is logged so): passes are counted.
    client = spawnClient(setup, ['--interval', '600', '--log-level', 'debug']);
    await waitFor(() => /pull: .*up to date/.test(client!.stderr()), { what: "the running client's first pass" });
    const documents = path.join(rParent, 'documents');
    await rename(docs, documents);
    // E's change wakes the client (a push): its pass finds the root gone.
    await writeFile(path.join(e, 'later.txt'), 'written on E after the move\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    await waitFor(() => /pull: .*1 root\(s\) gone, held/.test(client!.stderr()), { timeoutMs: 30_000, what: 'the pass that holds the moved root' });
    // A second pass (another push) says nothing more about it.
    await writeFile(path.join(e, 'later2.txt'), 'written on E later still\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    await waitFor(() => (client!.stderr().match(/pull: .*1 root\(s\) gone, held/g)?.length ?? 0) >= 2, { timeoutMs: 30_000, what: 'a second pass' });
    expect(client.stderr().match(GONE)?.length, client.stderr()).toBe(1);
    expect(client.stderr()).toContain(`restart zync-client with --dirs docs:NEWPLACE`);
    expect(existsSync(docs), 'no second copy at the old place').toBe(false);
    expect(existsSync(path.join(documents, 'later.txt'))).toBe(false);
    // An upload handed to the running client sends nothing from the moved root, and says to put it back.
    const refused = await runUpstream(setup);
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/Directory "docs" does not exist: .*; nothing is sent upstream — put it back \(if it moved, give zync-client its new place in --dirs/);
    expect(await listSessions(daemon)).toEqual([]);
    expect(client.proc.exitCode).toBeNull();
    await client.stop('SIGTERM');
    client = undefined;

    const moved = { ...setup, dirs: { docs: documents } };
    const pulled = await runClientOnce(moved);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toMatch(/The local directory for "docs" moved from .* so R's records are kept/);
    expect(pulled.stderr).not.toMatch(/conflict:/);
    expect(await conflictCopies(documents)).toEqual([]);
    expect(await readFile(path.join(documents, 'd1.txt'), 'utf8')).toBe('doc 1\nR edit\n');
    expect(existsSync(path.join(documents, 'd2.txt'))).toBe(false);
    expect(await readFile(path.join(documents, 'later.txt'), 'utf8')).toBe('written on E after the move\n');
    expect(existsSync(docs)).toBe(false);

    const upload = await runUpstream(moved);
    expect(upload.code, upload.stdout + upload.stderr).toBe(0);
    expect(upload.stdout).toMatch(/Staged 2 changes upstream as session \S+ \(0 added, 1 modified, 1 deleted; 0 conflicts\)/);
  });
});
