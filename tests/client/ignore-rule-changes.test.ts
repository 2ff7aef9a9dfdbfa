// Two ignore-rule changes as R sees them. Ignoring every top-level entry of a root (`*` in
// .zyncignore) is no emptied disk: the root is not held (ROOT_UNAVAILABLE), R keeps its copies, and
// what the rules let through again syncs — whether the rule came while the daemon ran or while it
// was stopped. And a file E deletes while it is ignored leaves R once the rules let it through
// again: R's unchanged copy is deleted, R's edit is kept as a conflict copy, as for any deletion E
// logs — again with the rules changed at runtime and while the daemon was stopped.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exists, startDaemon, waitFor } from '../helpers/index.js';
import { conflictCopies, daemonView, runClientOnce, syncedPair, type SyncedPair } from './support.js';

const pairs: SyncedPair[] = [];
afterEach(async () => {
  for (const pair of pairs.splice(0)) await pair.daemon.stop();
});

async function pairOf(files: Record<string, string>): Promise<SyncedPair> {
  const pair = await syncedPair(async (e) => {
    for (const [rel, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(e, rel)), { recursive: true });
      await writeFile(path.join(e, rel), content);
    }
  });
  pairs.push(pair);
  return pair;
}

/** pair, with a daemon started anew on the same database (its start-up scan done). */
async function restarted(pair: SyncedPair, whileStopped: () => Promise<void>): Promise<SyncedPair> {
  await pair.daemon.stop();
  await whileStopped();
  const daemon = await startDaemon({ dirs: { docs: pair.e }, db: pair.daemon.db });
  const next = { ...pair, daemon, setup: { ...pair.setup, daemon } };
  pairs.splice(pairs.indexOf(pair), 1, next);
  return next;
}

const sha256Hex = (content: string) => createHash('sha256').update(content).digest('hex');
/** Waits until the daemon's log holds `p` with exactly this content. */
const logged = (pair: SyncedPair, p: string, content: string) =>
  waitFor(async () => (await daemonView(pair.daemon, 'docs')).get(p)?.checksum === sha256Hex(content), { what: `${p} logged` });

/** Writes E's .zyncignore and waits until the daemon has rescanned under the new rules. */
async function setRules(pair: SyncedPair, rules: string | null, sentinel: string): Promise<void> {
  const reloads = () => pair.daemon.stderr().split('.zyncignore changed; rescanning the root').length;
  const before = reloads();
  if (rules === null) await rm(path.join(pair.e, '.zyncignore'));
  else await writeFile(path.join(pair.e, '.zyncignore'), rules);
  await waitFor(() => reloads() > before, { what: 'the daemon to reload its rules' });
  // The rescan that follows the reload runs before any later event is looked at.
  await writeFile(path.join(pair.e, sentinel), `${sentinel}\n`);
  await logged(pair, sentinel, `${sentinel}\n`);
}

/** 25 files in five top-level directories: more than an emptied root may hold unnoticed. */
const MANY = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`d${i % 5}/f${i}.txt`, `file ${i}\n`]));
const pull = async (pair: SyncedPair) => {
  const result = await runClientOnce(pair.setup);
  expect(result.code, result.stderr).toBe(0);
  return result;
};
const text = (file: string) => readFile(file, 'utf8');

describe('ignoring every top-level entry of a root', () => {
  it('at runtime, is no emptied disk: the root is not held, R keeps its copies, and what is let through again syncs', async () => {
    const pair = await pairOf(MANY);
    await writeFile(path.join(pair.e, '.zyncignore'), '*\n');
    await waitFor(() => /recorded path\(s\) no longer synced|ROOT_UNAVAILABLE/.test(pair.daemon.stderr()), { what: 'the daemon to apply the rule' });
    expect(pair.daemon.stderr()).not.toMatch(/ROOT_UNAVAILABLE|an unmounted disk/);
    // Let one name through: logged only if the root was not taken for an unmounted disk.
    await writeFile(path.join(pair.e, 'new.txt'), 'new\n');
    await writeFile(path.join(pair.e, '.zyncignore'), '*\n!new.txt\n');
    await logged(pair, 'new.txt', 'new\n');
    expect(pair.daemon.stderr()).not.toMatch(/ROOT_UNAVAILABLE|an unmounted disk/);
    await pull(pair);
    expect(await text(path.join(pair.r, 'new.txt'))).toBe('new\n');
    expect(await text(path.join(pair.r, 'd0/f0.txt'))).toBe('file 0\n');
    // E's rules reach R though `*` matches their file too: a resync sweeps by R's copy of them.
    expect(await text(path.join(pair.r, '.zyncignore'))).toBe('*\n!new.txt\n');
  });

  it('while the daemon was stopped, is no emptied disk at start-up either', async () => {
    let pair = await pairOf(MANY);
    pair = await restarted(pair, () => writeFile(path.join(pair.e, '.zyncignore'), '*\n'));
    expect(pair.daemon.stderr()).not.toMatch(/ROOT_UNAVAILABLE|an unmounted disk/);
    expect(pair.daemon.stderr()).toMatch(/30 recorded path\(s\) no longer synced/); // d0..d4 and what they hold
    await writeFile(path.join(pair.e, 'new.txt'), 'new\n');
    await writeFile(path.join(pair.e, '.zyncignore'), '*\n!new.txt\n');
    await logged(pair, 'new.txt', 'new\n');
    await pull(pair);
    expect(await text(path.join(pair.r, 'new.txt'))).toBe('new\n');
    expect(await text(path.join(pair.r, 'd4/f24.txt'))).toBe('file 24\n');
  });

  it('an emptied root (its disk not mounted while the daemon was stopped) is still held', async () => {
    let pair = await pairOf(MANY);
    pair = await restarted(pair, async () => {
      for (let i = 0; i < 5; i++) await rm(path.join(pair.e, `d${i}`), { recursive: true });
    });
    expect(pair.daemon.stderr()).toMatch(/ROOT_UNAVAILABLE/);
    await pull(pair);
    expect(await text(path.join(pair.r, 'd0/f0.txt'))).toBe('file 0\n');
  });
});

describe('a file E deletes while it is ignored', () => {
  const FILES = { 'data/a.txt': 'a v1\n', 'data/b.txt': 'b v1\n', 'notes.log': 'log v1\n', 'keep.txt': 'keep\n' };

  it("leaves R once the rules let it through again (rules changed at runtime); R's edit is kept", async () => {
    const pair = await pairOf(FILES);
    await setRules(pair, 'data/\n*.log\n', 'sentinel-1.txt');
    await writeFile(path.join(pair.r, 'data/b.txt'), "R's edit of b\n");
    await rm(path.join(pair.e, 'data'), { recursive: true });
    await rm(path.join(pair.e, 'notes.log'));
    await pull(pair);
    expect(await text(path.join(pair.r, 'data/a.txt'))).toBe('a v1\n'); // ignored: never deleted on R
    expect(await text(path.join(pair.r, 'notes.log'))).toBe('log v1\n');

    await setRules(pair, null, 'sentinel-2.txt');
    const result = await pull(pair);
    expect(await exists(path.join(pair.r, 'data/a.txt'))).toBe(false);
    expect(await exists(path.join(pair.r, 'notes.log'))).toBe(false);
    const copies = await conflictCopies(pair.r);
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatch(/^data\/b\.zync-conflict-/);
    expect(await text(path.join(pair.r, copies[0]!))).toBe("R's edit of b\n");
    expect(result.stderr).toMatch(/conflict: docs\/data\/b\.txt .*E deleted it/);
    expect(await text(path.join(pair.r, 'keep.txt'))).toBe('keep\n');
  });

  it('leaves R once the rules let it through again (rules changed while the daemon was stopped)', async () => {
    let pair = await pairOf(FILES);
    await setRules(pair, 'data/\n*.log\n', 'sentinel-1.txt');
    await rm(path.join(pair.e, 'notes.log'));
    await pull(pair);
    pair = await restarted(pair, async () => {
      await rm(path.join(pair.e, 'data'), { recursive: true });
      await rm(path.join(pair.e, '.zyncignore'));
    });
    await pull(pair);
    expect(await exists(path.join(pair.r, 'data'))).toBe(false);
    expect(await exists(path.join(pair.r, 'notes.log'))).toBe(false);
    expect(await conflictCopies(pair.r)).toEqual([]);
    expect(await text(path.join(pair.r, 'keep.txt'))).toBe('keep\n');
  });
});
