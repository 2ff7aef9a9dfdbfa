// The client store on a real SQLite file: migrations, position and resync bookkeeping, batch
// commits, lookups by checksum, the sweep query, a directory's children and subtree, root
// rebinding, kept directories, placement notes, opened directories and root disks.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedEntry } from '../core/types.js';
import { ClientStore } from './client-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function openStore(): { store: ClientStore; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'zync-client-store-'));
  dirs.push(dir);
  const file = path.join(dir, 'sync_client.db');
  return { store: ClientStore.open(file), file };
}
/** A database file as a client whose latest migration was `version` left it (sql/NNN-*.sql). */
function databaseAt(version: number): { file: string; old: Database.Database } {
  const dir = mkdtempSync(path.join(tmpdir(), 'zync-client-store-'));
  dirs.push(dir);
  const file = path.join(dir, 'sync_client.db');
  const old = new Database(file);
  const sqlDir = new URL('../../sql/', import.meta.url);
  for (const name of readdirSync(sqlDir).filter((n) => /^\d{3}-.*\.sql$/.test(n)).sort().slice(0, version)) {
    old.exec(readFileSync(new URL(name, sqlDir), 'utf8'));
  }
  old.pragma(`user_version = ${version}`);
  return { file, old };
}
const entry = (p: string, over: Partial<RecordedEntry> = {}): RecordedEntry => ({
  base_dir: 'docs',
  path: p,
  kind: 'file',
  checksum: 'a'.repeat(64),
  size: 3,
  mtime: 1000.5,
  mode: 0o755,
  local_size: 3,
  local_mtime: 1234.25,
  local_ino: 42,
  sequence: 7,
  seen_gen: 1,
  ...over,
});

describe('ClientStore', () => {
  it('refuses a file that is not a database in one sentence (BAD_ARGUMENT, exit 2)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'zync-client-store-'));
    dirs.push(dir);
    const file = path.join(dir, 'bad.db');
    writeFileSync(file, 'garbage\n'.repeat(200));
    expect(() => ClientStore.open(file)).toThrow(new RegExp(`^Cannot open database ${file}: file is not a database\\.$`));
    expect(() => ClientStore.open(file)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  });

  it('starts with no position and a stable client id', () => {
    const { store, file } = openStore();
    const id = store.clientId;
    expect(id).toMatch(/^zync-client-/);
    expect(store.position()).toEqual({ log_id: null, sequence: 0, generation: 0, resyncing: false, run: null });
    store.close();
    const again = ClientStore.open(file);
    expect(again.clientId).toBe(id);
    again.close();
  });

  it('records a batch and the position in one go, and reads it back exactly', () => {
    const { store } = openStore();
    store.startResync('log-1');
    store.commitBatch({ upserts: [entry('a.txt'), entry('dir', { kind: 'dir', checksum: null, local_size: null, local_mtime: null, local_ino: null })], removals: [], sequence: 9 });
    expect(store.getEntry('docs', 'a.txt')).toEqual(entry('a.txt'));
    expect(store.getEntry('docs', 'dir')?.kind).toBe('dir');
    store.commitBatch({ upserts: [entry('b.txt', { local_ctime_max: 1_700_000_000_123.5 })], removals: [] });
    expect(store.getEntry('docs', 'b.txt')).toEqual(entry('b.txt', { local_ctime_max: 1_700_000_000_123.5 }));
    store.commitBatch({ upserts: [entry('c.txt', { local_mode: 0o755 })], removals: [] });
    expect(store.getEntry('docs', 'c.txt')).toEqual(entry('c.txt', { local_mode: 0o755 }));
    expect(store.position()).toEqual({ log_id: 'log-1', sequence: 9, generation: 1, resyncing: true, run: null });
    store.commitBatch({ upserts: [], removals: [{ base_dir: 'docs', path: 'a.txt' }], sequence: 10 });
    expect(store.getEntry('docs', 'a.txt')).toBeUndefined();
    store.finishResync();
    expect(store.position().resyncing).toBe(false);
    store.close();
  });

  it('finds content by checksum and lists entries a resync did not confirm, in pages', () => {
    const { store } = openStore();
    store.startResync('log-1');
    store.commitBatch({
      upserts: [
        entry('a', { seen_gen: 1 }),
        entry('b', { seen_gen: 2, checksum: 'b'.repeat(64) }),
        entry('c', { seen_gen: 1 }),
        entry('d', { seen_gen: 1, base_dir: 'other' }),
      ],
      removals: [],
    });
    expect(store.findByChecksum('b'.repeat(64)).map((e) => e.path)).toEqual(['b']);
    expect([...store.findByChecksums(['a'.repeat(64), 'b'.repeat(64), 'c'.repeat(64)])].map(([c, list]) => [c[0], list.map((e) => e.path).sort()])).toEqual([
      ['a', ['a', 'c', 'd']],
      ['b', ['b']],
    ]);
    expect([...store.getEntries([{ base_dir: 'docs', path: 'a' }, { base_dir: 'other', path: 'd' }, { base_dir: 'docs', path: 'zz' }]).values()].map((e) => `${e.base_dir}/${e.path}`).sort()).toEqual([
      'docs/a',
      'other/d',
    ]);
    expect(store.unseenEntries('docs', 2).map((e) => e.path)).toEqual(['a', 'c']);
    expect(store.unseenEntries('docs', 2, 'a').map((e) => e.path)).toEqual(['c']);
    expect(store.unseenEntries('docs', 2, '', 1).map((e) => e.path)).toEqual(['a']);
    store.close();
  });

  it("reads one directory's children, a subtree a page at a time, and the count of received files", () => {
    const { store } = openStore();
    const dir = (p: string) => entry(p, { kind: 'dir', checksum: null });
    store.commitBatch({
      upserts: [
        entry('top'),
        dir('a'),
        entry('a/x'),
        dir('a/b'),
        entry('a/b/y'),
        entry('a/b/z', { checksum: null }),
        entry('a.txt'), // sorts between 'a' and 'a/...': neither a child nor below
        entry('a0'),
        dir('é'),
        entry('é/ü'),
        entry('a/x', { base_dir: 'other' }),
      ],
      removals: [],
    });
    const paths = (entries: Iterable<RecordedEntry>) => [...entries].map((e) => e.path);
    expect(paths(store.childEntries('docs', ''))).toEqual(['a', 'a.txt', 'a0', 'top', 'é']);
    expect(paths(store.childEntries('docs', 'a'))).toEqual(['a/b', 'a/x']);
    expect(paths(store.childEntries('docs', 'a/b'))).toEqual(['a/b/y', 'a/b/z']);
    expect(paths(store.childEntries('docs', 'é'))).toEqual(['é/ü']);
    expect(paths(store.childEntries('docs', 'missing'))).toEqual([]);
    const pages = (dir: string, size?: number) => [...store.entryPagesBelow('docs', dir, size)].map(paths);
    expect(pages('a')).toEqual([['a/b', 'a/b/y', 'a/b/z', 'a/x']]);
    expect(pages('a', 2)).toEqual([['a/b', 'a/b/y'], ['a/b/z', 'a/x']]);
    expect(pages('a/b', 1)).toEqual([['a/b/y'], ['a/b/z']]);
    expect(pages('top')).toEqual([]);
    const deepestFirst = (dir: string, size?: number) => [...store.entryPagesBelowDeepestFirst('docs', dir, size)].map(paths);
    expect(deepestFirst('a')).toEqual([['a/x', 'a/b/z', 'a/b/y', 'a/b']]);
    expect(deepestFirst('a', 3)).toEqual([['a/x', 'a/b/z', 'a/b/y'], ['a/b']]);
    expect(deepestFirst('top')).toEqual([]);
    expect(store.receivedFileCount('docs')).toBe(6);
    expect(store.receivedFileCount('other')).toBe(1);
    store.close();
  });

  it('gives a database made before the children index that index, its rows kept', () => {
    const { file, old } = databaseAt(3);
    old.prepare(`INSERT INTO entries (base_dir, path, kind, checksum, size, mtime, mode, sequence, seen_gen) VALUES ('docs', 'a/x', 'file', 'c', 1, 1, 420, 1, 1)`).run();
    old.close();
    const store = ClientStore.open(file);
    expect(store.childEntries('docs', 'a').map((e) => e.path)).toEqual(['a/x']);
    // Recorded before the ctime bound was kept (sql/006): none, so it is not checked.
    expect(store.getEntry('docs', 'a/x')).not.toHaveProperty('local_ctime_max');
    store.close();
  });

  it('drops the entries of a base dir whose local root changed', () => {
    const { store } = openStore();
    expect(store.bindRoots([{ name: 'docs', root: '/r/docs' }])).toEqual([]);
    store.commitBatch({ upserts: [entry('a')], removals: [] });
    expect(store.bindRoots([{ name: 'docs', root: '/r/docs' }])).toEqual([]);
    expect(store.getEntry('docs', 'a')).toBeDefined();
    expect(store.bindRoots([{ name: 'docs', root: '/elsewhere' }])).toEqual(['docs']);
    expect(store.getEntry('docs', 'a')).toBeUndefined();
    store.close();
  });

  it('keeps the records of a root moved as a whole, and still takes it out of the pulled and synced dirs, in one step', () => {
    const { store } = openStore();
    store.bindRoots([{ name: 'docs', root: '/r/docs' }, { name: 'code', root: '/r/code' }]);
    store.commitBatch({ upserts: [entry('a'), entry('b', { base_dir: 'code' })], removals: [], kept: [{ base_dir: 'docs', path: 'd' }] });
    store.setPulledDirs(['code', 'docs']);
    store.finishResync(['code', 'docs']);
    expect(store.bindRoots([{ name: 'docs', root: '/r/documents' }, { name: 'code', root: '/r/code2' }], new Set(['docs']))).toEqual(['docs', 'code']);
    expect(store.getEntry('docs', 'a')).toBeDefined();
    expect(store.keptDirs()).toEqual([{ base_dir: 'docs', path: 'd' }]);
    expect(store.getEntry('code', 'b')).toBeUndefined();
    expect(store.pulledDirs()).toEqual([]);
    expect(store.syncedDirs()).toEqual([]);
    expect(store.boundRoot('docs')).toBe('/r/documents');
    expect([...store.receivedFilePages('docs', 1)].flat().map((e) => e.path)).toEqual(['a']);
    store.close();
  });

  it('takes a base dir whose local root changed out of the pulled dirs, so that a start after a kill -9 still resyncs it', () => {
    const { store } = openStore();
    store.bindRoots([{ name: 'docs', root: '/r/docs' }, { name: 'code', root: '/r/code' }]);
    store.setPulledDirs(['code', 'docs']);
    store.bindRoots([{ name: 'docs', root: '/r/docs' }, { name: 'code', root: '/r/code' }]);
    expect(store.pulledDirs()).toEqual(['code', 'docs']);
    store.bindRoots([{ name: 'docs', root: '/elsewhere' }, { name: 'code', root: '/r/code' }]);
    expect(store.pulledDirs()).toEqual(['code']);
    store.close();
  });

  it('records the disk of a root at its place, and forgets it when --dirs gives the root a new place', () => {
    const { store } = openStore();
    store.bindRoots([{ name: 'docs', root: '/r/docs' }, { name: 'code', root: '/r/code' }]);
    expect(store.rootDisk('docs')).toBeUndefined();
    store.recordRootDisk('docs', '/r/docs', { dev: 2049, mountPoint: '/r' });
    store.recordRootDisk('code', '/elsewhere/code', { dev: 77, mountPoint: '/' }); // not where code is bound: not its device
    expect(store.rootDisk('docs')).toEqual({ dev: 2049, mountPoint: '/r' });
    expect(store.rootDisk('code')).toBeUndefined();
    store.bindRoots([{ name: 'docs', root: '/r/docs' }]);
    expect(store.rootDisk('docs')).toEqual({ dev: 2049, mountPoint: '/r' });
    store.bindRoots([{ name: 'docs', root: '/mnt/docs' }]);
    expect(store.rootDisk('docs')).toBeUndefined();
    store.close();
  });

  it("records a root directory's identity at its place, and forgets it at a new place or with the root's records", () => {
    const { store } = openStore();
    store.bindRoots([{ name: 'docs', root: '/r/docs' }]);
    expect(store.rootId('docs')).toBeUndefined();
    store.recordRootId('docs', '/elsewhere/docs', '7:1'); // not where docs is bound
    expect(store.rootId('docs')).toBeUndefined();
    store.recordRootId('docs', '/r/docs', '5:123');
    store.bindRoots([{ name: 'docs', root: '/r/docs' }]);
    expect(store.rootId('docs')).toBe('5:123');
    store.forgetBaseDir('docs');
    expect(store.rootId('docs')).toBeUndefined();
    store.recordRootId('docs', '/r/docs', '6:124');
    store.bindRoots([{ name: 'docs', root: '/mnt/docs' }]);
    expect(store.rootId('docs')).toBeUndefined();
    store.close();
  });

  it('gives a database made before root devices were recorded (sql/007) none, its roots kept', () => {
    const { file, old } = databaseAt(6);
    old.prepare("INSERT INTO roots (base_dir, root) VALUES ('docs', '/r/docs')").run();
    old.close();
    const store = ClientStore.open(file);
    expect(store.boundRoot('docs')).toBe('/r/docs');
    expect(store.rootDisk('docs')).toBeUndefined();
    store.recordRootDisk('docs', '/r/docs', { dev: 2049, mountPoint: '/r' });
    expect(store.rootDisk('docs')).toEqual({ dev: 2049, mountPoint: '/r' });
    store.close();
  });

  it('keeps the names a pull covers, and takes those that received something for a state from before', () => {
    const { store, file } = openStore();
    expect(store.pulledDirs()).toEqual([]);
    store.bindRoots([{ name: 'docs', root: '/r/docs' }, { name: 'code', root: '/r/code' }, { name: 'web', root: '/r/web' }]);
    store.startResync('L1');
    store.setPulledDirs(['docs']);
    expect(store.pulledDirs()).toEqual(['docs']);
    store.commitBatch({ upserts: [entry('a'), entry('b', { base_dir: 'code' })], removals: [] });
    store.close();
    const old = new Database(file);
    old.prepare("DELETE FROM meta WHERE key = 'pulled_dirs'").run();
    old.close();
    // web was bound but never received anything: a run before this one may have passed over it.
    const reopened = ClientStore.open(file);
    expect(reopened.pulledDirs()).toEqual(['code', 'docs']);
    reopened.close();
  });

  it('records where E moved a kept directory, the latest removal\'s word standing', () => {
    const { store } = openStore();
    store.bindRoots([{ name: 'docs', root: '/r/docs' }]);
    const a = { base_dir: 'docs', path: 'a' };
    store.commitBatch({ upserts: [], removals: [], kept: [{ ...a, movedTo: { base_dir: 'docs', path: 'b' } }, { base_dir: 'docs', path: 'c' }] });
    expect(store.keptDirs()).toEqual([{ ...a, movedTo: { base_dir: 'docs', path: 'b' } }, { base_dir: 'docs', path: 'c' }]);
    store.commitBatch({ upserts: [], removals: [], kept: [a] }); // made again on E, then deleted
    expect(store.keptDirs()).toEqual([a, { base_dir: 'docs', path: 'c' }]);
    store.close();
  });

  it('records kept directories with a batch, forgets them, and drops them with their root', () => {
    const { store } = openStore();
    store.bindRoots([{ name: 'docs', root: '/r/docs' }, { name: 'code', root: '/r/code' }]);
    const d = { base_dir: 'docs', path: 'd' };
    store.commitBatch({ upserts: [], removals: [], kept: [d, { base_dir: 'docs', path: 'd/inner' }, { base_dir: 'code', path: 'x' }] });
    store.commitBatch({ upserts: [], removals: [], kept: [d] }); // kept twice: still one row
    expect(store.keptDirs()).toEqual([{ base_dir: 'code', path: 'x' }, d, { base_dir: 'docs', path: 'd/inner' }]);
    store.commitBatch({ upserts: [], removals: [], unkept: [{ base_dir: 'docs', path: 'd/inner' }] });
    expect(store.keptDirs()).toEqual([{ base_dir: 'code', path: 'x' }, d]);
    store.bindRoots([{ name: 'docs', root: '/elsewhere' }]);
    expect(store.keptDirs()).toEqual([{ base_dir: 'code', path: 'x' }]);
    store.close();
  });

  it('keeps the contents a batch may place until each path is recorded, a kill -9 in between included', () => {
    const { store, file } = openStore();
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    store.notePlacements([
      { base_dir: 'docs', path: 'x.txt', checksum: a, mode: 0o644 },
      { base_dir: 'docs', path: 'x.txt', checksum: b, mode: 0o644 },
      { base_dir: 'docs', path: 'x.txt', checksum: b, mode: 0o755 },
      { base_dir: 'docs', path: 'y.txt', checksum: a, mode: null },
    ]);
    // A later page noting the same again (a retry, the run after a kill): once each.
    store.notePlacements([
      { base_dir: 'docs', path: 'x.txt', checksum: b, mode: 0o755 },
      { base_dir: 'docs', path: 'y.txt', checksum: a, mode: null },
    ]);
    store.close();
    const reopened = ClientStore.open(file);
    const keys = ['x.txt', 'y.txt', 'z.txt'].map((p) => ({ base_dir: 'docs', path: p }));
    const byKey = [...reopened.placements(keys)].map(([k, v]) => [k.split('\0')[1], v.map((p) => `${p.checksum[0]} ${p.mode?.toString(8) ?? '-'}`).sort()]);
    expect(byKey).toEqual([['x.txt', ['a 644', 'b 644', 'b 755']], ['y.txt', ['a -']]]);
    expect(reopened.hasPlacements()).toBe(true);
    // Each noted path once, by path, recorded ones left out (a resync's sweep asks for the rest).
    reopened.commitBatch({ upserts: [entry('y.txt')], removals: [] });
    expect(reopened.unrecordedPlacements('docs')).toEqual(['x.txt']);
    expect(reopened.unrecordedPlacements('docs', 'x.txt')).toEqual([]);
    expect(reopened.unrecordedPlacements('other')).toEqual([]);
    reopened.notePlacements([{ base_dir: 'docs', path: 'y.txt', checksum: a, mode: null }]);
    reopened.commitBatch({ upserts: [entry('x.txt')], removals: [{ base_dir: 'docs', path: 'y.txt' }] });
    expect(reopened.placements(keys).size).toBe(0);
    expect(reopened.hasPlacements()).toBe(false);
    reopened.close();
  });

  it('marks a batch under way until it is recorded whole, a kill -9 in between included (for --update-upstream to refuse)', () => {
    const { store, file } = openStore();
    expect(store.hasUnfinishedBatch(['docs'])).toBe(false);
    // A batch with nothing to note (deletions of a sweep, say) is marked too.
    store.openBatch([], ['docs']);
    store.close();
    const reopened = ClientStore.open(file);
    expect(reopened.hasUnfinishedBatch(['docs'])).toBe(true);
    reopened.openBatch([{ base_dir: 'docs', path: 'x.txt', checksum: 'a'.repeat(64), mode: 0o644 }], ['docs']);
    expect(reopened.hasPlacements()).toBe(true);
    // Other records (kept directories pruned) say nothing of the batch.
    reopened.commitBatch({ upserts: [], removals: [] });
    expect(reopened.hasUnfinishedBatch(['docs'])).toBe(true);
    reopened.commitBatch({ upserts: [entry('x.txt')], removals: [], endsBatch: ['docs'] });
    expect(reopened.hasUnfinishedBatch(['docs'])).toBe(false);
    expect(reopened.hasPlacements()).toBe(false);
    reopened.close();
  });

  it('names the directories a killed batch noted at given paths, until they are recorded', () => {
    const { store, file } = openStore();
    const gone = { base_dir: 'docs', path: 'gone' };
    store.openBatch([{ base_dir: 'docs', path: 'gone/big.bin', checksum: 'b'.repeat(64), mode: 0o644 }], ['docs'], [gone]);
    store.close();
    // Killed: asked before the next batch opens.
    const reopened = ClientStore.open(file);
    expect([...reopened.stoppedDirNotes([gone, { base_dir: 'docs', path: 'gone/big.bin' }, { base_dir: 'docs', path: 'other' }])]).toEqual(['docs\0gone']);
    reopened.openBatch([], ['docs']);
    expect([...reopened.stoppedDirNotes([gone])]).toEqual(['docs\0gone']);
    reopened.commitBatch({ upserts: [], removals: [gone, { base_dir: 'docs', path: 'gone/big.bin' }], endsBatch: ['docs'] });
    expect(reopened.stoppedDirNotes([gone]).size).toBe(0);
    reopened.close();
  });

  it('keeps a killed batch\'s mark past a later batch that did not record the paths it noted, until they are', () => {
    const { store, file } = openStore();
    const placed = { base_dir: 'docs', path: 'b.txt', checksum: 'b'.repeat(64), mode: 0o644 };
    store.openBatch([placed], ['docs']);
    store.close();
    // Killed. The next pull's first batch is cut: b.txt failed (not recorded), a.txt recorded.
    const reopened = ClientStore.open(file);
    reopened.openBatch([{ ...placed, checksum: 'c'.repeat(64) }, { base_dir: 'docs', path: 'a.txt', checksum: 'a'.repeat(64), mode: 0o644 }], ['docs']);
    reopened.commitBatch({ upserts: [entry('a.txt')], removals: [], endsBatch: ['docs'] });
    expect(reopened.hasUnfinishedBatch(['docs'])).toBe(true);
    // And its next batch too (a batch of another path only).
    reopened.openBatch([], ['docs']);
    reopened.commitBatch({ upserts: [entry('c.txt')], removals: [], endsBatch: ['docs'] });
    expect(reopened.hasUnfinishedBatch(['docs'])).toBe(true);
    // b.txt recorded: nothing noted is left, the mark goes.
    reopened.openBatch([], ['docs']);
    reopened.commitBatch({ upserts: [entry('b.txt')], removals: [], endsBatch: ['docs'] });
    expect(reopened.hasUnfinishedBatch(['docs'])).toBe(false);
    reopened.close();
  });

  it.each([
    { name: 'a path failing since the kill, of another batch', reNoted: false },
    { name: 'a path the stopped batch noted too, failing with other content', reNoted: true },
  ])('ends a killed batch\'s mark once its own notes are recorded, whatever a later failed path noted: $name', ({ reNoted }) => {
    const { store, file } = openStore();
    const placed = { base_dir: 'docs', path: 'b.txt', checksum: 'b'.repeat(64), mode: 0o644 };
    const stuck = { base_dir: 'docs', path: 'stuck.txt', checksum: 's'.repeat(64), mode: 0o644 };
    store.openBatch(reNoted ? [placed, { ...stuck, checksum: 't'.repeat(64) }] : [placed], ['docs']);
    store.close();
    // Killed. Each later batch notes stuck.txt and fails on it (EPERM on R, for good).
    const reopened = ClientStore.open(file);
    reopened.openBatch([placed, stuck], ['docs']);
    reopened.commitBatch({ upserts: [entry('b.txt')], removals: [], endsBatch: ['docs'] });
    expect(reopened.hasUnfinishedBatch(['docs'])).toBe(reNoted);
    expect(reopened.unfinishedPaths(['docs'])).toEqual(reNoted ? [{ base_dir: 'docs', path: 'stuck.txt', why: 'unrecorded' }] : []);
    reopened.openBatch([stuck], ['docs']);
    reopened.commitBatch({ upserts: [], removals: [], endsBatch: ['docs'] });
    expect(reopened.hasUnfinishedBatch(['docs'])).toBe(reNoted);
    // Once stuck.txt is recorded, nothing the stopped batch noted is left.
    reopened.openBatch([stuck], ['docs']);
    reopened.commitBatch({ upserts: [entry('stuck.txt')], removals: [], endsBatch: ['docs'] });
    expect(reopened.hasUnfinishedBatch(['docs'])).toBe(false);
    reopened.close();
  });

  it('names a killed batch\'s notes as in flight before any batch opened since, as unrecorded after one', () => {
    const { store, file } = openStore();
    const placed = { base_dir: 'docs', path: 'b.txt', checksum: 'b'.repeat(64), mode: 0o644 };
    const other = { base_dir: 'notes', path: 'n.txt', checksum: 'n'.repeat(64), mode: 0o644 };
    store.openBatch([placed, other], ['docs', 'notes']);
    store.close();
    const reopened = ClientStore.open(file);
    expect(reopened.unfinishedPaths(['docs'])).toEqual([{ base_dir: 'docs', path: 'b.txt', why: 'in-flight' }]);
    reopened.openBatch([], ['notes']);
    reopened.commitBatch({ upserts: [], removals: [], endsBatch: ['notes'] });
    expect(reopened.unfinishedPaths(['docs', 'notes'])).toEqual([
      { base_dir: 'docs', path: 'b.txt', why: 'unrecorded' },
      { base_dir: 'notes', path: 'n.txt', why: 'unrecorded' },
    ]);
    reopened.close();
  });

  it('keeps the mark of a killed batch that noted only directories until a pull records them (sql/013)', () => {
    const { store, file } = openStore();
    store.openBatch([], ['docs'], [{ base_dir: 'docs', path: 'made' }]);
    store.close();
    const reopened = ClientStore.open(file);
    expect(reopened.unfinishedPaths(['docs'])).toEqual([{ base_dir: 'docs', path: 'made', why: 'in-flight' }]);
    // A batch recorded since that did not reach it: the mark stays, and the note is no content.
    reopened.openBatch([], ['docs']);
    reopened.commitBatch({ upserts: [entry('a.txt')], removals: [], endsBatch: ['docs'] });
    expect(reopened.hasUnfinishedBatch(['docs'])).toBe(true);
    expect(reopened.placements([{ base_dir: 'docs', path: 'made' }]).size).toBe(0);
    expect(reopened.unrecordedPlacements('docs')).toEqual([]);
    expect(reopened.unrecordedDirPlacements('docs')).toEqual(['made']);
    // E's removal of it, recorded: the mark goes.
    reopened.openBatch([], ['docs'], [{ base_dir: 'docs', path: 'made' }]);
    reopened.commitBatch({ upserts: [], removals: [{ base_dir: 'docs', path: 'made' }], endsBatch: ['docs'] });
    expect(reopened.hasUnfinishedBatch(['docs'])).toBe(false);
    expect(reopened.unrecordedDirPlacements('docs')).toEqual([]);
    reopened.close();
  });

  it.each([['["docs"]'], ['1']])('keeps the mark an older build left (%s) until a pass ends up to date, not until a batch is recorded (sql/013)', (mark) => {
    const { file, old } = databaseAt(12);
    for (const [key, value] of [['log_id', 'L'], ['sequence', '9'], ['resyncing', '0'], ['batch_open', '0'], ['batch_left', mark]]) {
      old.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(key, value);
    }
    old.prepare("INSERT INTO roots (base_dir, root) VALUES ('docs', '/r/docs'), ('notes', '/r/notes')").run();
    old.close();
    const store = ClientStore.open(file);
    // Its killed batch may have made directories it never noted: a recorded batch proves nothing.
    store.openBatch([], ['docs']);
    store.commitBatch({ upserts: [entry('a.txt')], removals: [], endsBatch: ['docs'] });
    expect(store.hasUnfinishedBatch(['docs'])).toBe(true);
    expect(store.hasUnfinishedBatch(['notes'])).toBe(mark === '1');
    store.finishBatches(['docs', 'notes']);
    expect(store.hasUnfinishedBatch(['docs', 'notes'])).toBe(false);
    store.close();
  });

  it('keeps a killed batch\'s note its own when a later batch notes the same content and fails on it', () => {
    const { store, file } = openStore();
    const placed = { base_dir: 'docs', path: 'b.txt', checksum: 'b'.repeat(64), mode: 0o644 };
    store.openBatch([placed], ['docs']);
    store.close();
    const reopened = ClientStore.open(file);
    for (let i = 0; i < 3; i++) {
      reopened.openBatch([placed], ['docs']);
      reopened.commitBatch({ upserts: [], removals: [], endsBatch: ['docs'] });
      expect(reopened.hasUnfinishedBatch(['docs'])).toBe(true);
    }
    expect(reopened.unfinishedPaths(['docs'])).toEqual([{ base_dir: 'docs', path: 'b.txt', why: 'unrecorded' }]);
    reopened.close();
  });

  it('keeps a killed batch\'s mark past a pass that ends up to date while E could not serve a path it noted (NOT_FOUND)', () => {
    const { store, file } = openStore();
    store.commitBatch({ upserts: [entry('x.txt')], removals: [] });
    const placed = { base_dir: 'docs', path: 'x.txt', checksum: 'c'.repeat(64), mode: 0o644 };
    store.openBatch([placed], ['docs']);
    store.close();
    // Killed after placing E's new x.txt. E deletes it before the next pull's GET_FILE.
    const reopened = ClientStore.open(file);
    reopened.openBatch([placed], ['docs']);
    reopened.commitBatch({ upserts: [], removals: [], unserved: [{ base_dir: 'docs', path: 'x.txt' }], confirmed: [entry('x.txt', { seen_gen: 2 })], endsBatch: ['docs'] });
    expect(reopened.getEntry('docs', 'x.txt')?.seen_gen).toBe(2);
    expect(reopened.placements([{ base_dir: 'docs', path: 'x.txt' }]).get('docs\0x.txt')).toEqual([{ checksum: 'c'.repeat(64), mode: 0o644, sequence: null, batch: 3, placed: true }]);
    reopened.finishBatches(['docs']);
    expect(reopened.hasUnfinishedBatch(['docs'])).toBe(true);
    expect(reopened.unfinishedPaths(['docs'])).toEqual([{ base_dir: 'docs', path: 'x.txt', why: 'awaits-e' }]);
    // E's deletion comes: recorded, the mark goes.
    reopened.openBatch([], ['docs']);
    reopened.commitBatch({ upserts: [], removals: [{ base_dir: 'docs', path: 'x.txt' }], endsBatch: ['docs'] });
    expect(reopened.hasUnfinishedBatch(['docs'])).toBe(false);
    reopened.close();
  });

  it('takes the notes of a database from before (sql/011) in a root a stopped batch left for that batch\'s', () => {
    const { file, old } = databaseAt(10);
    old.prepare("INSERT INTO meta (key, value) VALUES ('batch_left', '[\"docs\"]'), ('log_id', 'L'), ('pulled_dirs', '[\"docs\",\"notes\"]')").run();
    old.prepare("INSERT INTO placements (base_dir, path, checksum, mode) VALUES ('docs', 'b.txt', 'b', 420), ('notes', 'n.txt', 'n', 420)").run();
    old.close();
    const store = ClientStore.open(file);
    store.openBatch([], ['docs', 'notes']);
    store.commitBatch({ upserts: [], removals: [], endsBatch: ['docs', 'notes'] });
    expect(store.unfinishedPaths(['docs', 'notes'])).toEqual([{ base_dir: 'docs', path: 'b.txt', why: 'unrecorded' }]);
    store.close();
  });

  it('counts a name synced once a full pass of it ended, until its records are forgotten or its root moves', () => {
    const { store, file } = openStore();
    store.startResync('L');
    store.setPulledDirs(['docs', 'notes']);
    store.commitBatch({ upserts: [entry('a.txt')], removals: [] });
    // Pulled (cut before its end): not synced.
    expect(store.syncedDirs()).toEqual([]);
    store.finishResync(['docs', 'notes']);
    expect(store.syncedDirs()).toEqual(['docs', 'notes']);
    store.forgetBaseDir('notes');
    expect(store.syncedDirs()).toEqual(['docs']);
    store.bindRoots([{ name: 'docs', root: '/r/docs' }]);
    expect(store.syncedDirs()).toEqual(['docs']);
    store.bindRoots([{ name: 'docs', root: '/r/elsewhere' }]);
    expect(store.syncedDirs()).toEqual([]);
    store.close();
    // Opened again: still what the passes made it, not what records there are.
    const reopened = ClientStore.open(file);
    expect(reopened.syncedDirs()).toEqual([]);
    reopened.close();
  });

  it("does not count a new state's first pull cut midway as synced when it is opened again", () => {
    const { store, file } = openStore();
    store.bindRoots([{ name: 'docs', root: '/r/docs' }]);
    store.startResync('L');
    store.setPulledDirs(['docs']);
    store.commitBatch({ upserts: [entry('a.txt')], removals: [] });
    store.close();
    const reopened = ClientStore.open(file);
    expect(reopened.syncedDirs()).toEqual([]);
    reopened.close();
  });

  it.each([
    ['pulled_dirs named, no resync open', [['resyncing', '0'], ['pulled_dirs', '["docs","notes"]']]],
    // The older release wrote pulled_dirs when a pass started: a resync cut midway is in it.
    ['a resync left open', [['resyncing', '1'], ['pulled_dirs', '["docs","notes"]']]],
    ['older than pulled_dirs', [['resyncing', '0']]],
  ])('gives a state from before synced_dirs (sql/012, %s) no synced name and no pulled one, so its next pull resyncs each and counts it', (_name, meta) => {
    const { file, old } = databaseAt(11);
    for (const [key, value] of [['log_id', 'L'], ['sequence', '9'], ...meta]) old.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(key, value);
    old.prepare("INSERT INTO roots (base_dir, root) VALUES ('docs', '/r/docs'), ('notes', '/r/notes')").run();
    // notes: a moved root whose records the older release dropped, left in pulled_dirs.
    old.prepare("INSERT INTO entries (base_dir, path, kind, checksum, size, mtime, mode, sequence, seen_gen) VALUES ('docs', 'a.txt', 'file', 'c', 1, 1, 420, 1, 1)").run();
    old.close();
    const store = ClientStore.open(file);
    expect(store.syncedDirs()).toEqual([]);
    expect(store.pulledDirs()).toEqual([]);
    expect(store.getEntry('docs', 'a.txt')?.checksum).toBe('c');
    store.finishResync(['docs', 'notes']);
    expect(store.syncedDirs()).toEqual(['docs', 'notes']);
    store.close();
  });

  it('gives a state from before synced_dirs that never pulled none', () => {
    const { file, old } = databaseAt(11);
    old.close();
    const store = ClientStore.open(file);
    expect(store.syncedDirs()).toEqual([]);
    store.close();
  });

  it('ends the mark of a batch whose failed paths placed nothing, with no batch stopped before it', () => {
    const { store } = openStore();
    store.openBatch([{ base_dir: 'docs', path: 'b.txt', checksum: 'b'.repeat(64), mode: 0o644 }], ['docs']);
    store.commitBatch({ upserts: [], removals: [], endsBatch: ['docs'] });
    expect(store.hasPlacements()).toBe(true);
    expect(store.hasUnfinishedBatch(['docs'])).toBe(false);
  });

  it('ends a killed batch\'s mark when a pass of its root reaches the end of the log (notes left or not)', () => {
    const { store } = openStore();
    store.openBatch([{ base_dir: 'docs', path: 'gone.txt', checksum: 'b'.repeat(64), mode: 0o644 }], ['docs', 'notes']);
    store.openBatch([], ['docs', 'notes']);
    store.commitBatch({ upserts: [], removals: [], endsBatch: ['docs', 'notes'] });
    expect(store.hasUnfinishedBatch(['docs'])).toBe(true);
    // notes holds no note: its mark went with the batch.
    expect(store.hasUnfinishedBatch(['notes'])).toBe(false);
    store.finishBatches(['docs']);
    expect(store.hasUnfinishedBatch(['docs', 'notes'])).toBe(false);
  });

  it('reads the mark an older build kept for every root as one for each root bound', () => {
    const { store, file } = openStore();
    store.bindRoots([{ name: 'docs', root: '/r/docs' }, { name: 'notes', root: '/r/notes' }]);
    store.close();
    const db = new Database(file);
    db.prepare("INSERT INTO meta (key, value) VALUES ('batch_open', '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value").run();
    db.close();
    const reopened = ClientStore.open(file);
    expect(reopened.hasUnfinishedBatch(['notes'])).toBe(true);
    reopened.openBatch([], ['docs']);
    reopened.commitBatch({ upserts: [], removals: [], endsBatch: ['docs'] });
    expect(reopened.hasUnfinishedBatch(['docs'])).toBe(false);
    expect(reopened.hasUnfinishedBatch(['notes'])).toBe(true);
    reopened.finishBatches(['notes']);
    expect(reopened.hasUnfinishedBatch(['notes'])).toBe(false);
    reopened.close();
  });

  it('keeps the mark per root: a later pull of other roots does not clear a killed batch of these', () => {
    const { store } = openStore();
    store.openBatch([], ['docs', 'notes']);
    // A run killed there, then a pull of docs alone recorded whole.
    store.openBatch([], ['docs']);
    store.commitBatch({ upserts: [], removals: [], endsBatch: ['docs'] });
    expect(store.hasUnfinishedBatch(['docs'])).toBe(false);
    expect(store.hasUnfinishedBatch(['notes'])).toBe(true);
    expect(store.hasUnfinishedBatch(['docs', 'notes'])).toBe(true);
    store.commitBatch({ upserts: [], removals: [], endsBatch: ['docs', 'notes'] });
    expect(store.hasUnfinishedBatch(['docs', 'notes'])).toBe(false);
  });

  it('keeps the directories a batch opened, with their modes, until they are given back, a kill -9 in between included', () => {
    const { store, file } = openStore();
    store.noteOpenedDirs([{ base_dir: 'docs', path: 'ro', mode: 0o555 }]);
    store.noteOpenedDirs([{ base_dir: 'docs', path: 'ro/deep', mode: 0o500 }]);
    store.noteOpenedDirs([{ base_dir: 'docs', path: 'ro', mode: 0o551 }]); // opened again by a later batch: its mode then
    store.close();
    const reopened = ClientStore.open(file);
    expect(reopened.openedDirs()).toEqual([
      { base_dir: 'docs', path: 'ro', mode: 0o551 },
      { base_dir: 'docs', path: 'ro/deep', mode: 0o500 },
    ]);
    reopened.dropOpenedDirs([{ base_dir: 'docs', path: 'ro' }]);
    expect(reopened.openedDirs()).toEqual([{ base_dir: 'docs', path: 'ro/deep', mode: 0o500 }]);
    reopened.close();
  });

  it('gives a database from before opened directories were noted their table, its rows kept', () => {
    const { file, old } = databaseAt(7);
    old.prepare(`INSERT INTO entries (base_dir, path, kind, checksum, size, mtime, mode, sequence, seen_gen) VALUES ('docs', 'ro', 'dir', NULL, 0, 1, 365, 1, 1)`).run();
    old.close();
    const store = ClientStore.open(file);
    expect(store.getEntry('docs', 'ro')?.mode).toBe(0o555);
    expect(store.openedDirs()).toEqual([]);
    store.noteOpenedDirs([{ base_dir: 'docs', path: 'ro', mode: 0o555 }]);
    expect(store.openedDirs()).toEqual([{ base_dir: 'docs', path: 'ro', mode: 0o555 }]);
    store.close();
    const check = new Database(file);
    // Migrated to the latest: one version per sql/ file.
    expect(check.pragma('user_version', { simple: true })).toBe(readdirSync(new URL('../../sql/', import.meta.url)).filter((n) => /^\d{3}-.*\.sql$/.test(n)).length);
    check.close();
  });

  it("keeps the placement notes of a database from before their bits were noted, bits not known (sql/010)", () => {
    const { file, old } = databaseAt(9);
    old.prepare(`INSERT INTO placements (base_dir, path, checksum) VALUES ('docs', 'x.txt', 'c')`).run();
    old.close();
    const store = ClientStore.open(file);
    expect(store.placements([{ base_dir: 'docs', path: 'x.txt' }]).get('docs\0x.txt')).toEqual([{ checksum: 'c', mode: null, sequence: null, batch: 0, placed: true }]);
    store.notePlacements([{ base_dir: 'docs', path: 'x.txt', checksum: 'c', mode: 0o644 }]);
    expect(store.placements([{ base_dir: 'docs', path: 'x.txt' }]).get('docs\0x.txt')).toHaveLength(2);
    store.commitBatch({ upserts: [entry('x.txt')], removals: [] });
    expect(store.hasPlacements()).toBe(false);
    store.close();
  });

  it('reads a file recorded before its own bits were kept without them: E\'s stand (sql/009)', () => {
    const { file, old } = databaseAt(8);
    old.prepare(`INSERT INTO entries (base_dir, path, kind, checksum, size, mtime, mode, sequence, seen_gen) VALUES ('docs', 'a.sh', 'file', 'c', 1, 1, 420, 1, 1)`).run();
    old.close();
    const store = ClientStore.open(file);
    expect(store.getEntry('docs', 'a.sh')).not.toHaveProperty('local_mode');
    store.close();
  });

  it('forgets all it recorded for a base dir whose root went missing, and nothing of the others', () => {
    const { store, file } = openStore();
    store.bindRoots([{ name: 'docs', root: '/r/docs' }, { name: 'code', root: '/r/code' }]);
    store.startResync('L1');
    store.setPulledDirs(['code', 'docs']);
    const inCode = entry('b', { base_dir: 'code' });
    store.commitBatch({ upserts: [entry('a'), entry('d', { kind: 'dir', checksum: null }), inCode], removals: [], kept: [{ base_dir: 'docs', path: 'k' }, { base_dir: 'code', path: 'k' }] });
    store.putPartial({ base_dir: 'docs', path: 'big', checksum: 'c'.repeat(64), size: 9, temp_path: '/r/docs/.zync-tmp-1' });
    store.putPartial({ base_dir: 'code', path: 'big', checksum: 'c'.repeat(64), size: 9, temp_path: '/r/code/.zync-tmp-2' });
    store.notePlacements([{ base_dir: 'docs', path: 'x', checksum: 'a'.repeat(64), mode: 0o644 }]);
    store.noteOpenedDirs([{ base_dir: 'docs', path: 'd', mode: 0o555 }]);
    store.noteOpenedDirs([{ base_dir: 'code', path: 'ro', mode: 0o555 }]);
    expect(store.hasRecords('docs')).toBe(true);

    store.forgetBaseDir('docs');
    expect(store.hasRecords('docs')).toBe(false);
    expect(store.hasRecords('code')).toBe(true);
    expect(store.getEntry('code', 'b')).toBeDefined();
    expect(store.keptDirs()).toEqual([{ base_dir: 'code', path: 'k' }]);
    expect(store.partials().map((p) => p.base_dir)).toEqual(['code']);
    expect(store.hasPlacements()).toBe(false);
    expect(store.openedDirs()).toEqual([{ base_dir: 'code', path: 'ro', mode: 0o555 }]);
    // The position no longer covers docs: the next start resyncs it, after a kill -9 too.
    store.close();
    const reopened = ClientStore.open(file);
    expect(reopened.pulledDirs()).toEqual(['code']);
    expect(reopened.boundRoot('docs')).toBe('/r/docs');
    reopened.close();
  });

  it('keeps the run of a page with its position, and drops it at a resync and for a page that names none', () => {
    const { store, file } = openStore();
    store.startResync('log-1');
    store.commitBatch({ upserts: [], removals: [], sequence: 40, run: { run_id: 'run-a', sequence: 45 } });
    store.commitBatch({ upserts: [entry('a.txt')], removals: [] });
    expect(store.position().run).toEqual({ run_id: 'run-a', sequence: 45 });
    store.close();
    const again = ClientStore.open(file);
    expect(again.position()).toMatchObject({ sequence: 40, run: { run_id: 'run-a', sequence: 45 } });
    again.commitBatch({ upserts: [], removals: [], sequence: 50, run: null });
    expect(again.position().run).toBeNull();
    again.commitBatch({ upserts: [], removals: [], sequence: 60, run: { run_id: 'run-b', sequence: 60 } });
    again.finishResync();
    expect(again.startResync('log-1').run).toBeNull();
    again.close();
  });

  it('takes a log whose run R held is gone (E restored an older copy) for another log, though it goes past R', () => {
    const { store } = openStore();
    store.startResync('log-1');
    store.setPulledDirs(['docs']);
    store.commitBatch({ upserts: [entry('a.txt', { sequence: 40 })], removals: [], sequence: 50, run: { run_id: 'run-a', sequence: 50 } });
    store.finishResync(['docs']);
    store.startResync('log-1', 80, true);
    expect(store.getEntry('docs', 'a.txt')?.sequence).toBe(0);
    expect(store.passedThrough('docs')).toBe(0);
    store.close();
  });

  it('a new resync bumps the generation and restarts from 0', () => {
    const { store } = openStore();
    store.startResync('log-1');
    store.commitBatch({ upserts: [], removals: [], sequence: 50 });
    store.finishResync();
    expect(store.startResync('log-2')).toEqual({ log_id: 'log-2', sequence: 0, generation: 2, resyncing: true, run: null });
    store.close();
  });

  it("keeps the records' sequences for a resync of the same log, and makes them 0 (older than all of it) for another log", () => {
    const { store } = openStore();
    store.startResync('log-1');
    store.commitBatch({ upserts: [entry('a.txt', { sequence: 40 })], removals: [], sequence: 50 });
    store.finishResync();
    store.startResync('log-1');
    expect(store.getEntry('docs', 'a.txt')?.sequence).toBe(40);
    store.startResync('log-2');
    expect(store.getEntry('docs', 'a.txt')?.sequence).toBe(0);
    store.close();
  });

  it('keeps, while a resync runs, the position R had reached before it, for the names it covered', () => {
    const { store } = openStore();
    expect(store.passedThrough('docs')).toBe(0);
    store.startResync('L');
    store.setPulledDirs(['docs']);
    store.commitBatch({ upserts: [], removals: [], sequence: 30 });
    store.finishResync(['docs']);
    expect(store.passedThrough('docs')).toBe(0);
    store.startResync('L');
    expect([store.passedThrough('docs'), store.passedThrough('notes')]).toEqual([30, 0]);
    // A resync started again within it (the log compacted meanwhile) keeps what R had passed before.
    store.commitBatch({ upserts: [], removals: [], sequence: 10 });
    store.startResync('L');
    expect(store.passedThrough('docs')).toBe(30);
    store.finishResync(['docs']);
    expect(store.passedThrough('docs')).toBe(0);
    // Another log: its sequences say nothing of what R passed in the old one.
    store.commitBatch({ upserts: [], removals: [], sequence: 40 });
    store.startResync('L2');
    expect(store.passedThrough('docs')).toBe(0);
    store.close();
  });

  it('keeps, for a name that left the pulled names, the position R had then, for its resync (before: 0)', () => {
    const { store } = openStore();
    store.startResync('L');
    store.setPulledDirs(['docs', 'notes']);
    store.commitBatch({ upserts: [], removals: [], sequence: 30 });
    store.finishResync(['docs', 'notes']);
    // A run without notes; docs moves on to 50.
    store.setPulledDirs(['docs']);
    store.commitBatch({ upserts: [], removals: [], sequence: 50 });
    // notes given again: uncovered, so a resync, which replays what R had passed for each.
    store.startResync('L');
    store.setPulledDirs(['docs', 'notes']);
    expect([store.passedThrough('docs'), store.passedThrough('notes')]).toEqual([50, 30]);
    store.finishResync(['docs', 'notes']);
    // Once back, nothing is kept for it: the next resync takes the position.
    store.commitBatch({ upserts: [], removals: [], sequence: 70 });
    store.startResync('L');
    expect(store.passedThrough('notes')).toBe(70);
    store.commitBatch({ upserts: [], removals: [], sequence: 80 });
    store.finishResync(['docs', 'notes']);
    // A root at a new place: kept records keep what R had passed; dropped ones none (another directory).
    store.bindRoots([{ name: 'docs', root: '/r/docs' }, { name: 'notes', root: '/r/notes' }]);
    store.bindRoots([{ name: 'docs', root: '/r/documents' }, { name: 'notes', root: '/r/elsewhere' }], new Set(['docs']));
    store.startResync('L');
    expect([store.passedThrough('docs'), store.passedThrough('notes')]).toEqual([80, 0]);
    store.close();
  });

  // R had applied the log to 30 for docs; notes added: a resync (from 30 for docs), which applied
  // pages to 45 for both before it stopped (kill -9, SIGTERM, a cut). Before, what it had applied
  // since its start was forgotten: E's entries 31..45 then counted as later than R's state (R's
  // put-back file deleted as E's, no copy).
  it.each<[string, (store: ClientStore) => void, [number, number]]>([
    ['docs left out of the next run (notes only), then given again', (store) => {
      store.setPulledDirs(['notes']);
      store.commitBatch({ upserts: [], removals: [], sequence: 60 });
      store.finishResync(['notes']);
      store.startResync('L');
      store.setPulledDirs(['docs', 'notes']);
    }, [45, 60]],
    ['a third name given: a resync started within the stopped one', (store) => {
      store.startResync('L', 100);
      store.setPulledDirs(['docs', 'extra', 'notes']);
    }, [45, 45]],
    ['RESYNC_REQUIRED while the stopped resync resumes', (store) => {
      store.commitBatch({ upserts: [], removals: [], sequence: 50 });
      store.startResync('L');
    }, [50, 50]],
    ["docs held (its disk away) mid-resync, then back", (store) => {
      store.setPulledDirs(['notes']);
      store.commitBatch({ upserts: [], removals: [], sequence: 60 });
      store.startResync('L', 100);
      store.setPulledDirs(['docs', 'notes']);
    }, [45, 60]],
  ])("counts, for the next resync, what a stopped one had applied: %s", (_name, then, expected) => {
    const { store } = openStore();
    store.startResync('L');
    store.setPulledDirs(['docs']);
    store.commitBatch({ upserts: [], removals: [], sequence: 30 });
    store.finishResync(['docs']);
    store.startResync('L', 100);
    store.setPulledDirs(['docs', 'notes']);
    store.commitBatch({ upserts: [], removals: [], sequence: 45 });
    then(store);
    expect([store.passedThrough('docs'), store.passedThrough('notes')]).toEqual(expected);
    store.close();
  });

  it('takes a restored log for another one within a resync too, judged from the position the resync started from', () => {
    const { store } = openStore();
    store.startResync('L');
    store.setPulledDirs(['docs']);
    store.commitBatch({ upserts: [], removals: [], sequence: 60 });
    store.finishResync(['docs']);
    store.startResync('L', 60);
    store.commitBatch({ upserts: [], removals: [], sequence: 5 });
    // Killed at 5 of it; E's database restored from a backup whose log ends at 40.
    store.startResync('L', 40);
    expect(store.passedThrough('docs')).toBe(0);
    store.close();
  });

  it.each(['moved elsewhere (records dropped)', 'forgotten (gone)'])('replays from nothing for a root %s while a resync is under way', (how) => {
    const { store } = openStore();
    store.bindRoots([{ name: 'docs', root: '/r/docs' }]);
    store.startResync('L');
    store.setPulledDirs(['docs']);
    store.commitBatch({ upserts: [], removals: [], sequence: 80 });
    store.finishResync(['docs']);
    store.startResync('L', 80); // killed
    store.setPulledDirs(['docs']);
    if (how.startsWith('moved')) store.bindRoots([{ name: 'docs', root: '/r/elsewhere' }]);
    else store.forgetBaseDir('docs');
    store.startResync('L', 80);
    store.setPulledDirs(['docs']);
    expect(store.passedThrough('docs')).toBe(0);
    store.close();
  });

  it('takes a log that ends before R\'s position (E\'s database restored from a backup) for another log', () => {
    const { store } = openStore();
    store.startResync('L');
    store.setPulledDirs(['docs']);
    store.commitBatch({ upserts: [entry('a.txt')], removals: [], sequence: 60 });
    store.finishResync(['docs']);
    expect(store.resyncAgainstForgottenLog()).toBe(false);
    store.startResync('L', 4);
    expect(store.getEntry('docs', 'a.txt')?.sequence).toBe(0);
    expect(store.passedThrough('docs')).toBe(0);
    expect(store.resyncAgainstForgottenLog()).toBe(true);
    // A resync started within it keeps that; the next one of the same log does not.
    store.startResync('L');
    expect(store.resyncAgainstForgottenLog()).toBe(true);
    store.finishResync(['docs']);
    expect(store.resyncAgainstForgottenLog()).toBe(false);
    store.startResync('L');
    expect(store.resyncAgainstForgottenLog()).toBe(false);
    store.close();
  });

  it('notes whether a batch would place each content (sql/016): placed once one that noted it would', () => {
    const { store, file } = openStore();
    const at = (sequence: number, checksum: string, placed: boolean) => ({ base_dir: 'docs', path: 'x.txt', checksum, mode: 0o644, sequence, placed });
    const notes = (s: ClientStore) => s.placements([{ base_dir: 'docs', path: 'x.txt' }]).get('docs\0x.txt')?.map((n) => `${n.checksum} ${n.batch} ${n.placed}`);
    // A page showing A, then B last; killed -9 before its record.
    store.openBatch([at(1, 'a', false), at(2, 'b', true)], ['docs']);
    store.close();
    const reopened = ClientStore.open(file);
    // The next batch's page ends with A (E went back to it): the stopped note of A may be placed now.
    reopened.openBatch([at(2, 'b', false), at(3, 'a', true)], ['docs']);
    expect(notes(reopened)).toEqual(['a 2 true', 'b 2 true']);
    // A recorded batch's note (it failed the path, placed nothing) takes the next batch's word.
    reopened.commitBatch({ upserts: [], removals: [], endsBatch: ['docs'] });
    reopened.finishBatches(['docs']);
    reopened.openBatch([at(4, 'a', false), at(5, 'c', true)], ['docs']);
    expect(notes(reopened)).toEqual(['a 1 false', 'b 0 true', 'c 1 true']);
    reopened.close();
  });

  it('notes the latest sequence a page showed each content at (sql/015), one not known taking the page\'s', () => {
    const { file, old } = databaseAt(14);
    old.prepare(`INSERT INTO placements (base_dir, path, checksum, mode, batch, kind) VALUES ('docs', 'x.txt', 'c', 420, 2, 'file')`).run();
    old.close();
    const store = ClientStore.open(file);
    const at = (sequence: number, checksum = 'c') => ({ base_dir: 'docs', path: 'x.txt', checksum, mode: 0o644, sequence });
    const notes = () => store.placements([{ base_dir: 'docs', path: 'x.txt' }]).get('docs\0x.txt')?.map(({ batch: _batch, placed: _placed, ...note }) => note);
    expect(notes()).toEqual([{ checksum: 'c', mode: 0o644, sequence: null }]);
    store.openBatch([at(7), at(3, 'd')], ['docs']);
    expect(notes()).toEqual([{ checksum: 'c', mode: 0o644, sequence: 7 }, { checksum: 'd', mode: 0o644, sequence: 3 }]);
    // A page replaying older history does not lower it; a later one raises it.
    store.openBatch([at(5), at(9, 'd')], ['docs']);
    expect(notes()).toEqual([{ checksum: 'c', mode: 0o644, sequence: 7 }, { checksum: 'd', mode: 0o644, sequence: 9 }]);
    store.close();
  });
});
