import { describe, expect, it } from 'vitest';
import { classifyChange, isWithin, orderChanges, RACY_MS, sameStat, trustedCtime, unreadableInput, type FileRecord, type ObservedEntry } from './entries.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const seen = (o: Partial<ObservedEntry> = {}): ObservedEntry => ({ path: 'x', kind: 'file', checksum: A, size: 1, mtime: 10, mode: 0o644, ino: 7, ctime: 20, ...o });
const row = (o: Partial<FileRecord> = {}): FileRecord => ({ ...seen(), base_dir: 'd', deleted: false, sequence: 3, ...o });

describe('classifyChange', () => {
  it.each([
    { name: 'unknown path appears', prev: null, next: seen(), verdict: 'add' },
    { name: 'a tombstoned path reappears', prev: row({ deleted: true, checksum: null }), next: seen(), verdict: 'add' },
    { name: 'same content, same stat', prev: row(), next: seen(), verdict: null },
    { name: 'same content, new mtime (a save that changed nothing)', prev: row(), next: seen({ mtime: 99 }), verdict: 'touch' },
    { name: 'same content, new inode (editor temp + rename)', prev: row(), next: seen({ ino: 8 }), verdict: 'touch' },
    { name: 'same content, new change time (hashed again after touch -r)', prev: row(), next: seen({ ctime: 30 }), verdict: 'touch' },
    { name: 'new content', prev: row(), next: seen({ checksum: B }), verdict: 'modify' },
    { name: 'new mode', prev: row(), next: seen({ mode: 0o755 }), verdict: 'modify' },
    { name: 'gone', prev: row(), next: null, verdict: 'delete' },
    { name: 'gone and already a tombstone', prev: row({ deleted: true }), next: null, verdict: null },
    { name: 'gone and never seen', prev: null, next: null, verdict: null },
    { name: 'a file became a directory', prev: row(), next: seen({ kind: 'dir', checksum: null }), verdict: 'replace' },
    { name: 'a directory is still a directory', prev: row({ kind: 'dir', checksum: null, size: 0 }), next: seen({ kind: 'dir', checksum: null, size: 0 }), verdict: null },
    { name: 'a directory mode change is logged', prev: row({ kind: 'dir', checksum: null, size: 0 }), next: seen({ kind: 'dir', checksum: null, size: 0, mode: 0o700 }), verdict: 'modify' },
    { name: 'a directory whose mtime moved (an entry made in it) is only touched', prev: row({ kind: 'dir', checksum: null, size: 0 }), next: seen({ kind: 'dir', checksum: null, size: 0, mtime: 99 }), verdict: 'touch' },
    { name: 'a directory whose mode and mtime moved is logged', prev: row({ kind: 'dir', checksum: null, size: 0 }), next: seen({ kind: 'dir', checksum: null, size: 0, mtime: 99, mode: 0o500 }), verdict: 'modify' },
  ])('$name', ({ prev, next, verdict }) => {
    expect(classifyChange(prev, next)).toBe(verdict);
  });
});

describe('sameStat', () => {
  it.each([
    { name: 'all the same', b: seen(), same: true },
    { name: 'other size', b: seen({ size: 2 }), same: false },
    { name: 'other mtime', b: seen({ mtime: 11 }), same: false },
    { name: 'other inode', b: seen({ ino: 8 }), same: false },
    { name: 'mtime restored after a rewrite: other change time', b: seen({ ctime: 21 }), same: false },
  ])('$name', ({ b, same }) => {
    expect(sameStat(seen(), b)).toBe(same);
  });

  it('never trusts an unknown change time, even against another unknown one', () => {
    expect(sameStat(seen({ ctime: 0 }), seen({ ctime: 0 }))).toBe(false);
  });
});

describe('trustedCtime', () => {
  it.each([
    { name: 'changed well before the hash: trusted', ctime: 1_000, hashedAt: 1_000 + RACY_MS, expected: 1_000 },
    { name: 'changed within a timestamp tick of the hash: unknown', ctime: 1_000, hashedAt: 1_000 + RACY_MS - 1, expected: 0 },
    { name: 'changed "after" the hash (a clock stepped back): unknown', ctime: 1_000, hashedAt: 900, expected: 0 },
  ])('$name', ({ ctime, hashedAt, expected }) => {
    expect(trustedCtime(ctime, hashedAt)).toBe(expected);
  });
});

describe('unreadableInput', () => {
  it.each([
    { name: 'never recorded: nothing is claimed', recorded: null },
    { name: 'recorded as deleted: nothing is claimed', recorded: row({ deleted: true, checksum: null }) },
    { name: 'recorded as a directory: nothing is claimed', recorded: row({ kind: 'dir', checksum: null, size: 0 }) },
  ])('$name', ({ recorded }) => {
    expect(unreadableInput('d', recorded, 0)).toBeNull();
  });

  it('a recorded file keeps its content and stat data and takes the new permission bits', () => {
    const input = unreadableInput('d', row(), 0o100000);
    expect(input).toEqual({ operation: 'modify', kind: 'file', base_dir: 'd', path: 'x', checksum: A, size: 1, mtime: 10, mode: 0, ino: 7, ctime: 20 });
    // Recorded over the row: a permission change, never a deletion.
    expect(classifyChange(row(), { ...seen(), mode: input!.mode })).toBe('modify');
  });
});

describe('orderChanges', () => {
  it('puts deletions first, deepest first, then additions, shallowest first, per base_dir', () => {
    const c = (operation: 'add' | 'delete', path: string, base_dir = 'd') => ({ operation, path, base_dir });
    const ordered = orderChanges([c('add', 'n/m/f'), c('delete', 't'), c('add', 'n'), c('delete', 't/u/f'), c('add', 'n/m'), c('delete', 't/u'), c('add', 'a', 'c')]);
    expect(ordered.map((o) => `${o.base_dir}:${o.operation} ${o.path}`)).toEqual([
      'c:add a',
      'd:delete t/u/f',
      'd:delete t/u',
      'd:delete t',
      'd:add n',
      'd:add n/m',
      'd:add n/m/f',
    ]);
  });
});

describe('isWithin', () => {
  it.each([
    ['a', 'a', true],
    ['a/b', 'a', true],
    ['ab', 'a', false],
    ['a-b/c', 'a', false],
    ['b/a', 'a', false],
  ] as const)('%s within %s: %s', (path, dir, expected) => {
    expect(isWithin(path, dir)).toBe(expected);
  });
});
