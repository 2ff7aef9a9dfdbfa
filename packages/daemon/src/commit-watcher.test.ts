// zync-apply's commits reach the daemon's clients at once (CHANGES_AVAILABLE), without the
// daemon waking every few milliseconds while nothing happens.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { watchCommits } from './commit-watcher.js';
import { DaemonStore } from './store/daemon-store.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** `linked`: the store is opened through a symbolic link to the database, as `--db` may give it. */
function openStore(linked = false): DaemonStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'zync-commits-'));
  let dbPath = path.join(dir, 'sync.db');
  if (linked) {
    mkdirSync(path.join(dir, 'real'));
    symlinkSync(path.join(dir, 'real', 'sync.db'), dbPath);
  }
  const store = DaemonStore.open(dbPath);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => store.close());
  return store;
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return check();
}

describe('watchCommits', () => {
  it('tells of another process\'s commit as its write-ahead log is written, not at the next poll', async () => {
    const store = openStore();
    const seen: number[] = [];
    // A fallback poll far beyond the wait: only the log's event can be what tells.
    cleanups.push(watchCommits(store, (highest) => seen.push(highest), { fallbackMs: 60_000 }));
    const other = new Database(store.path);
    cleanups.push(() => other.close());
    other.exec('CREATE TABLE apply_was_here (a); INSERT INTO apply_was_here VALUES (1)');
    expect(await until(() => seen.length > 0, 2_000)).toBe(true);
  });

  it('watches the log beside the real database when the database is opened through a symbolic link', async () => {
    const store = openStore(true);
    const seen: number[] = [];
    // No poll within the wait: only the watched log can tell (it is looked at again 25 ms after).
    cleanups.push(watchCommits(store, (highest) => seen.push(highest), { fallbackMs: 60_000, pollMs: 60_000 }));
    const other = new Database(store.path);
    cleanups.push(() => other.close());
    other.exec('CREATE TABLE apply_was_here (a); INSERT INTO apply_was_here VALUES (1)');
    expect(await until(() => seen.length > 0, 2_000)).toBe(true);
  });

  it('does not tell of the daemon\'s own commits', async () => {
    const store = openStore();
    const seen: number[] = [];
    cleanups.push(watchCommits(store, (highest) => seen.push(highest), { fallbackMs: 10 }));
    store.db.exec('CREATE TABLE own (a); INSERT INTO own VALUES (1)');
    expect(await until(() => seen.length > 0, 200)).toBe(false);
  });
});
