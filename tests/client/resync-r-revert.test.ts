// R's revert of a file to a content E held there earlier survives a full resync. R received
// E's newer content; R's user put the older one back (an edit of R's); then a resync replays E's
// log from 0, which still shows E holding that older content at the path. R's record says R had
// the later state already, so R's file is R's edit, not a content R "would have received" by
// pulling between those entries; so is a file E deleted that R put back, whose record the deletion
// removed, since R had applied E's log past that deletion. Before: the resync took it for E's and
// overwrote it (or deleted it), no conflict copy, nothing said. The same for a directory R made
// where E once made and removed one: before, the resync removed it as E's.
import { mkdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exists, startDaemon, tempDir, type DaemonHandle } from '../helpers/index.js';
import { conflictCopies, runClientOnce, stateDb, waitForDaemonToSee, type ClientSetup } from './support.js';

describe("a full resync keeps R's revert to a content E held before", () => {
  let daemon: DaemonHandle | undefined;
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
  });

  /** E's docs and notes; R synced docs only, received E's rewrite of d4, then reverted it. */
  async function revertedOnR(): Promise<{ eDocs: string; rDocs: string; both: ClientSetup; d: DaemonHandle }> {
    const eDocs = tempDir('zync-e-docs-');
    const eNotes = tempDir('zync-e-notes-');
    for (let i = 1; i <= 5; i++) await writeFile(path.join(eDocs, `d${i}.txt`), `doc ${i}\n`);
    await writeFile(path.join(eNotes, 'n.txt'), 'n\n');
    const d = (daemon = await startDaemon({ dirs: { docs: eDocs, notes: eNotes }, db: stateDb() }));
    await waitForDaemonToSee(d, 'docs', eDocs);
    const r = tempDir('zync-r-');
    const rDocs = path.join(r, 'docs');
    const db = path.join(tempDir('zync-rstate-'), 'sync_client.db');
    const docsOnly: ClientSetup = { daemon: d, dirs: { docs: rDocs }, db };
    const first = await runClientOnce(docsOnly);
    expect(first.code, first.stderr).toBe(0);
    await writeFile(path.join(eDocs, 'd4.txt'), 'doc four, rewritten on E\n');
    await waitForDaemonToSee(d, 'docs', eDocs);
    const second = await runClientOnce(docsOnly);
    expect(second.code, second.stderr).toBe(0);
    expect(await readFile(path.join(rDocs, 'd4.txt'), 'utf8')).toBe('doc four, rewritten on E\n');
    // R's edit: back to the content E held at sequence 4, which E's log still holds.
    await writeFile(path.join(rDocs, 'd4.txt'), 'doc 4\n');
    return { eDocs, rDocs, both: { daemon: d, dirs: { docs: rDocs, notes: path.join(r, 'notes') }, db }, d };
  }

  it('while E still has what R received: R keeps its edit, for --update-upstream', async () => {
    const { rDocs, both } = await revertedOnR();
    // A second name in --dirs: a full resync of both.
    const pulled = await runClientOnce(both);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toMatch(/full resync/);
    expect(await readFile(path.join(rDocs, 'd4.txt'), 'utf8')).toBe('doc 4\n');
    expect(pulled.stderr).toMatch(/keeping R's edit of docs\/d4\.txt/);
  });

  it('R put back a file after it received E\'s deletion: it stays, as R\'s own', async () => {
    const { eDocs, rDocs, both, d } = await revertedOnR();
    await rm(path.join(eDocs, 'd2.txt'));
    await waitForDaemonToSee(d, 'docs', eDocs);
    const docsOnly = await runClientOnce({ ...both, dirs: { docs: rDocs } });
    expect(docsOnly.code, docsOnly.stderr).toBe(0);
    expect(await exists(path.join(rDocs, 'd2.txt'))).toBe(false);
    // R's user restores it (no record of it now: the deletion removed it).
    await writeFile(path.join(rDocs, 'd2.txt'), 'doc 2\n');
    const pulled = await runClientOnce(both);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toMatch(/full resync/);
    expect(await readFile(path.join(rDocs, 'd2.txt'), 'utf8')).toBe('doc 2\n');
  });

  it('where E changed it since: R\'s edit is kept as a conflict copy', async () => {
    const { eDocs, rDocs, both, d } = await revertedOnR();
    await writeFile(path.join(eDocs, 'd4.txt'), 'doc four, third version\n');
    await waitForDaemonToSee(d, 'docs', eDocs);
    const pulled = await runClientOnce(both);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toMatch(/full resync/);
    expect(await readFile(path.join(rDocs, 'd4.txt'), 'utf8')).toBe('doc four, third version\n');
    const copies = await conflictCopies(rDocs);
    expect(copies, pulled.stderr).toHaveLength(1);
    expect(await readFile(path.join(rDocs, copies[0]!), 'utf8')).toBe('doc 4\n');
  });
  it("leaves a directory R made where E once made and removed one (before: the resync removed it)", async () => {
    const e = tempDir('zync-e-');
    const eNotes = tempDir('zync-e-notes-');
    await writeFile(path.join(e, 'a.txt'), 'a\n');
    await writeFile(path.join(eNotes, 'n.txt'), 'n\n');
    const d = (daemon = await startDaemon({ dirs: { docs: e, notes: eNotes }, db: stateDb() }));
    await waitForDaemonToSee(d, 'docs', e);
    const r = tempDir('zync-r-');
    const setup: ClientSetup = { daemon: d, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    expect((await runClientOnce(setup)).code).toBe(0);
    // A build directory on E, made and removed; R pulls both.
    await mkdir(path.join(e, 'tmp1'));
    await waitForDaemonToSee(d, 'docs', e);
    await rmdir(path.join(e, 'tmp1'));
    await waitForDaemonToSee(d, 'docs', e);
    expect((await runClientOnce(setup)).code).toBe(0);
    await mkdir(path.join(r, 'tmp1'), { mode: 0o755 });
    // A name added to --dirs: a full resync, replaying E's log from its start.
    const resync = await runClientOnce({ ...setup, dirs: { docs: r, notes: tempDir('zync-r-notes-') } });
    expect(resync.code, resync.stderr).toBe(0);
    expect(resync.stderr).toMatch(/full resync/);
    expect((await stat(path.join(r, 'tmp1'))).isDirectory()).toBe(true);
  });
  it("keeps a file R put back after E's deletion through a resync of a name left out of one run, then given again (before: deleted, no copy)", async () => {
    const eDocs = tempDir('zync-e-docs-');
    const eNotes = tempDir('zync-e-notes-');
    for (let i = 1; i <= 3; i++) await writeFile(path.join(eDocs, `d${i}.txt`), `doc ${i}\n`);
    await writeFile(path.join(eNotes, 'n.txt'), 'n\n');
    const d = (daemon = await startDaemon({ dirs: { docs: eDocs, notes: eNotes }, db: stateDb() }));
    await waitForDaemonToSee(d, 'docs', eDocs);
    const r = tempDir('zync-r-');
    const both: ClientSetup = { daemon: d, dirs: { docs: path.join(r, 'docs'), notes: path.join(r, 'notes') }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    expect((await runClientOnce(both)).code).toBe(0);
    await rm(path.join(eDocs, 'd2.txt'));
    await waitForDaemonToSee(d, 'docs', eDocs);
    expect((await runClientOnce(both)).code).toBe(0);
    await writeFile(path.join(both.dirs.docs!, 'd2.txt'), 'doc 2\n');
    // One run for notes alone: docs leaves the names R's position covers.
    expect((await runClientOnce({ ...both, dirs: { notes: both.dirs.notes! } })).code).toBe(0);
    const pulled = await runClientOnce(both);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toMatch(/full resync/);
    expect(await readFile(path.join(both.dirs.docs!, 'd2.txt'), 'utf8')).toBe('doc 2\n');
  });
});
