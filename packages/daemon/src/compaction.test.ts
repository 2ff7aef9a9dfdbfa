import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChangeEntry } from '@zync/common';
import { compactLog } from './compaction.js';
import type { ChangeInput } from './core/entries.js';
import { DaemonStore } from './store/daemon-store.js';
import { migrate } from './store/migrations.js';

const dirs: string[] = [];
const stores: DaemonStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function openStore(): DaemonStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'zync-compaction-'));
  dirs.push(dir);
  const store = DaemonStore.open(path.join(dir, 'sync.db'));
  stores.push(store);
  return store;
}

const checksum = (n: number) => n.toString(16).padStart(64, '0');
const put = (p: string, n: number, kind: 'file' | 'dir' = 'file'): ChangeInput => ({
  operation: 'add', kind, base_dir: 'd', path: p, checksum: kind === 'file' ? checksum(n) : null, size: n, mtime: n, mode: kind === 'file' ? 0o644 : 0o755, ino: 1,
});
const del = (p: string): ChangeInput => ({ operation: 'delete', kind: 'file', base_dir: 'd', path: p, checksum: null, size: 0, mtime: 0, mode: 0 });

function fullLog(store: DaemonStore): ChangeEntry[] {
  const out: ChangeEntry[] = [];
  for (let since = 0; ; ) {
    const page = store.changesSince(since, 5000);
    out.push(...page.changes);
    since = page.to_sequence;
    if (!page.more_available) return out;
  }
}

/** The last entry per path, as a client replays the log: path -> "kind checksum" (deletions left out). */
function replay(entries: readonly ChangeEntry[], from: Map<string, string> = new Map()): Map<string, string> {
  const state = new Map(from);
  for (const e of entries) {
    if (e.operation === 'delete') state.delete(e.path);
    else state.set(e.path, `${e.kind} ${e.checksum}`);
  }
  return state;
}

const fileBytes = (store: DaemonStore) => {
  const size = (p: string) => statSync(p, { throwIfNoEntry: false })?.size ?? 0;
  return size(store.path) + size(`${store.path}-wal`);
};
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

describe('compactLog', () => {
  it('keeps the latest entry per path and recent tombstones; old tombstones raise compacted_through', async () => {
    const store = openStore();
    store.applyChanges([put('a', 1), put('b', 1), put('t', 0, 'dir'), put('t/x', 1), put('gone-old', 1)], 1000);
    store.applyChanges([put('a', 2), put('b', 2), del('gone-old')], 2000);
    store.applyChanges([put('a', 3), del('t'), put('gone-new', 1)], 3000);
    store.applyChanges([del('gone-new')], 50_000);
    const before = fullLog(store);
    // A client that had everything up to each cursor: what it holds after resuming.
    const viewsBefore = before.map((_, i) => replay(before.slice(i)));

    const report = await compactLog(store, { tombstonesBefore: 10_000, stepEntries: 2 });
    const after = fullLog(store);
    expect(after.map((e) => `${e.sequence} ${e.operation} ${e.path}`)).toEqual(['8 modify b', '11 modify a', '13 delete gone-new']);
    expect(report).toMatchObject({ entriesBefore: before.length, entriesAfter: 3, dropped: before.length - 3, tombstones: 3, compactedThrough: 10 });
    expect(store.compactedThrough()).toBe(10);
    // Deleted paths whose tombstones went leave the files table too; a recent one stays.
    expect(store.getFile('d', 'gone-old')).toBeNull();
    expect(store.getFile('d', 't/x')).toBeNull();
    expect(store.getFile('d', 'gone-new')?.deleted).toBe(true);
    // From 0 and from any cursor at or above compacted_through, the log still tells the truth.
    expect(replay(after)).toEqual(replay(before));
    for (const [i, entry] of before.entries()) {
      const cursor = i === 0 ? 0 : before[i - 1]!.sequence;
      if (cursor !== 0 && cursor < store.compactedThrough()) continue;
      const resumed = replay(after.filter((e) => e.sequence > cursor), replay(before.filter((e) => e.sequence <= cursor)));
      expect(resumed, `cursor ${cursor} (entry ${entry.sequence})`).toEqual(viewsBefore[0]);
    }
    // A path whose tombstone was compacted away comes back as an ordinary add.
    store.applyChanges([put('gone-old', 9)], 60_000);
    expect(fullLog(store).at(-1)).toMatchObject({ sequence: 14, operation: 'add', path: 'gone-old' });
  });

  it('a second run over a compacted log drops nothing more', async () => {
    const store = openStore();
    store.applyChanges([put('a', 1), put('b', 1)], 1000);
    store.applyChanges([put('a', 2)], 1000);
    expect((await compactLog(store, { tombstonesBefore: 0 })).dropped).toBe(1);
    expect(await compactLog(store, { tombstonesBefore: 0 })).toMatchObject({ dropped: 0, tombstones: 0, compactedThrough: 0 });
  });

  it('rewrites a database made without incremental vacuum once, then vacuums it in steps', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'zync-compaction-'));
    dirs.push(dir);
    const file = path.join(dir, 'sync.db');
    const old = new Database(file); // as a zync build before incremental vacuum left it
    old.pragma('journal_mode = WAL');
    migrate(old, file);
    old.close();
    const store = DaemonStore.open(file);
    stores.push(store);
    expect(store.space().autoVacuum).toBe(0);
    for (let n = 0; n < 60_000; n += 10_000) store.recordChanges(Array.from({ length: 10_000 }, (_, i) => put(`f${i % 10}`, n + i + 1)));
    const first = await compactLog(store, { tombstonesBefore: 0 });
    expect(first).toMatchObject({ rewritten: true, entriesAfter: 10 });
    expect(first.bytesAfter).toBeLessThan(first.bytesBefore / 10);
    expect(store.space().autoVacuum).toBe(2);
    store.recordChanges(Array.from({ length: 10_000 }, (_, i) => put(`f${i % 10}`, 100_000 + i)));
    const second = await compactLog(store, { tombstonesBefore: 0, vacuumPages: 16 });
    expect(second).toMatchObject({ rewritten: false, entriesAfter: 10 });
    expect(store.space().freePages).toBe(0);
  });
});
