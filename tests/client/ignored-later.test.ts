// A path E starts to ignore is no longer synced, never deleted on R: E syncs data/a.bin,
// notes.log and keep.txt to R, then adds `data/` and `*.log` to .zyncignore. The daemon marks
// them ignored without logging a deletion (one info line says how many) and no longer serves
// their entries, so R keeps its copies; E's later edits to them stay on E, and R's edits to them are not sent upstream. keep.txt still syncs.
// A full resync (E's database made anew) keeps them on R too. Once the patterns are removed, the
// files are logged as adds and reach R under the usual rules: E's edited content replaces R's
// unchanged copy, and R's own edit is kept as a conflict copy. Rules changed while the daemon
// was stopped (as an upgrade's new built-in rules would be) are applied at start-up the same way.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, waitFor } from '../helpers/index.js';
import { listSessions, runUpstream } from '../upstream/support.js';
import { conflictCopies, daemonView, runClientOnce, syncedPair, type SyncedPair } from './support.js';

describe('a path E starts to ignore', () => {
  let pair: SyncedPair;
  const onE = (p: string) => path.join(pair.e, p);
  const onR = (p: string) => path.join(pair.r, p);
  const text = (p: string) => readFile(p, 'utf8');
  const sha256Hex = (content: string) => createHash('sha256').update(content).digest('hex');
  /** Waits until the daemon's log holds `p` with exactly this content. */
  const logged = (p: string, content: string) =>
    waitFor(async () => (await daemonView(pair.daemon, 'docs')).get(p)?.checksum === sha256Hex(content), { what: `${p} logged with its new content` });

  beforeAll(async () => {
    pair = await syncedPair(async (e) => {
      await mkdir(path.join(e, 'data'));
      await writeFile(path.join(e, 'data/a.bin'), 'E data v1\n');
      await writeFile(path.join(e, 'notes.log'), 'E log v1\n');
      await writeFile(path.join(e, 'keep.txt'), 'keep v1\n');
    });
    expect(await text(onR('data/a.bin'))).toBe('E data v1\n');
  });
  afterAll(async () => {
    await pair?.daemon.stop();
  });

  it('stays on R, and what is not ignored still syncs', async () => {
    await writeFile(onE('.zyncignore'), 'data/\n*.log\n');
    await waitFor(() => pair.daemon.stderr().includes('.zyncignore changed; rescanning the root'), { what: 'the daemon to reload its rules' });
    // The rescan that follows the reload runs before any later event is looked at.
    await writeFile(onE('sentinel.txt'), 'after the rescan\n');
    await logged('sentinel.txt', 'after the rescan\n');

    const pulled = await runClientOnce(pair.setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await text(onR('data/a.bin'))).toBe('E data v1\n');
    expect(await text(onR('notes.log'))).toBe('E log v1\n');
    expect(await text(onR('.zyncignore'))).toBe('data/\n*.log\n');
    // No longer served (their entries neither, so no deletion), and said once: data, data/a.bin and notes.log.
    expect([...(await daemonView(pair.daemon, 'docs')).keys()].sort()).toEqual(['.zyncignore', 'keep.txt', 'sentinel.txt']);
    expect(pair.daemon.stderr().match(/recorded path\(s\) no longer synced/g)).toEqual(['recorded path(s) no longer synced']);
    expect(pair.daemon.stderr()).toMatch(/3 recorded path\(s\) no longer synced: the ignore rules now exclude them \(clients keep their copies\)/);

    // E's edits to ignored files stay on E; keep.txt, written after them, still arrives.
    await writeFile(onE('data/a.bin'), 'E data v2\n');
    await writeFile(onE('notes.log'), 'E log v2\n');
    await writeFile(onE('keep.txt'), 'keep v2\n');
    await logged('keep.txt', 'keep v2\n');
    const again = await runClientOnce(pair.setup);
    expect(again.code, again.stderr).toBe(0);
    expect(await text(onR('keep.txt'))).toBe('keep v2\n');
    expect(await text(onR('data/a.bin'))).toBe('E data v1\n');
    expect(await text(onR('notes.log'))).toBe('E log v1\n');
  });

  it("a full resync (E's database made anew) keeps R's copies of ignored files", async () => {
    await pair.daemon.stop();
    await rm(pair.daemon.db);
    const daemon = await startDaemon({ dirs: { docs: pair.e }, db: pair.daemon.db });
    pair = { ...pair, daemon, setup: { ...pair.setup, daemon } };
    const pulled = await runClientOnce(pair.setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toMatch(/full resync/);
    expect(await text(onR('data/a.bin'))).toBe('E data v1\n');
    expect(await text(onR('notes.log'))).toBe('E log v1\n');
  });

  it("R's copies of ignored files are not sent upstream, edited or removed", async () => {
    await writeFile(onR('notes.log'), "R's own log\n");
    await rm(onR('data'), { recursive: true });
    const result = await runUpstream(pair.setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Nothing to send upstream/);
    expect(await listSessions(pair.daemon)).toEqual([]);
    // And a pass after it has nothing to say about them either.
    const pulled = await runClientOnce(pair.setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).not.toMatch(/notes\.log|data/);
  });

  it('sync again once the patterns are removed: E edited data/a.bin, R edited notes.log', async () => {
    await mkdir(onR('data'));
    await writeFile(onR('data/a.bin'), 'E data v1\n'); // R's copy as it was, put back
    await rm(onE('.zyncignore'));
    await logged('data/a.bin', 'E data v2\n');
    await logged('notes.log', 'E log v2\n');
    const pulled = await runClientOnce(pair.setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await text(onR('data/a.bin'))).toBe('E data v2\n');
    expect(await text(onR('notes.log'))).toBe('E log v2\n');
    const copies = await conflictCopies(pair.r);
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatch(/^notes\.zync-conflict-.*-R\.log$/);
    expect(await text(onR(copies[0]!))).toBe("R's own log\n");
  });

  it("rules changed while the daemon was stopped (as a newer zync's built-in rules would be) are applied at start-up, deleting nothing", async () => {
    await pair.daemon.stop();
    await writeFile(onE('.zyncignore'), 'keep.txt\n');
    const daemon = await startDaemon({ dirs: { docs: pair.e }, db: pair.daemon.db }); // listens once its start-up scan is done
    pair = { ...pair, daemon, setup: { ...pair.setup, daemon } };
    expect(daemon.stderr()).toMatch(/1 recorded path\(s\) no longer synced/);
    const view = await daemonView(daemon, 'docs');
    expect(view.has('keep.txt')).toBe(false); // no longer served; no deletion either: R keeps it below
    const pulled = await runClientOnce(pair.setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await text(onR('keep.txt'))).toBe('keep v2\n');
  });
});
