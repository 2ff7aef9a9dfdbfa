import { describe, expect, it } from 'vitest';
import { diffScan } from './diff-scan.js';
import type { FileRecord, StatEntry } from './entries.js';

const A = 'a'.repeat(64);
const file = (path: string, o: Partial<StatEntry> = {}): StatEntry => ({ path, kind: 'file', size: 5, mtime: 1000, mode: 0o644, ino: 11, ctime: 2000, ...o });
const dir = (path: string, o: Partial<StatEntry> = {}): StatEntry => ({ path, kind: 'dir', size: 0, mtime: 1000, mode: 0o755, ino: 12, ctime: 2000, ...o });
const rec = (e: StatEntry, o: Partial<FileRecord> = {}): FileRecord => ({
  ...e,
  base_dir: 'd',
  checksum: e.kind === 'file' ? A : null,
  deleted: false,
  sequence: 1,
  ...o,
});

interface Case {
  name: string;
  scanned: StatEntry[];
  recorded: FileRecord[];
  unreadable?: string[];
  /** Paths (and, ending in '/', directories with what is below them) the ignore rules exclude now. */
  ignored?: string[];
  hash: string[];
  changes: string[];
  unchanged: number;
}

const cases: Case[] = [
  { name: 'empty root, empty log', scanned: [], recorded: [], hash: [], changes: [], unchanged: 0 },
  { name: 'a new file is hashed', scanned: [file('x')], recorded: [], hash: ['x'], changes: [], unchanged: 0 },
  { name: 'an unchanged file (size, mtime, inode) is not hashed', scanned: [file('x')], recorded: [rec(file('x'))], hash: [], changes: [], unchanged: 1 },
  { name: 'a different size is hashed', scanned: [file('x', { size: 6 })], recorded: [rec(file('x'))], hash: ['x'], changes: [], unchanged: 0 },
  { name: 'a different mtime is hashed', scanned: [file('x', { mtime: 2000 })], recorded: [rec(file('x'))], hash: ['x'], changes: [], unchanged: 0 },
  { name: 'a different inode (replaced) is hashed', scanned: [file('x', { ino: 99 })], recorded: [rec(file('x'))], hash: ['x'], changes: [], unchanged: 0 },
  { name: 'a moved change time (a chmod, or a rewrite that kept the mtime) is hashed', scanned: [file('x', { ctime: 3000, mode: 0o755 })], recorded: [rec(file('x'))], hash: ['x'], changes: [], unchanged: 0 },
  { name: 'a recorded tombstone is not a live row', scanned: [file('x')], recorded: [], hash: ['x'], changes: [], unchanged: 0 },
  {
    name: 'a mode change with the change time kept (not on Linux file systems) is logged without reading the file',
    scanned: [file('x', { mode: 0o755 })],
    recorded: [rec(file('x'))],
    hash: [],
    changes: ['modify file x'],
    unchanged: 0,
  },
  { name: 'a new directory is an add of kind dir', scanned: [dir('n')], recorded: [], hash: [], changes: ['add dir n'], unchanged: 0 },
  { name: 'a known directory is unchanged even if its mtime moved', scanned: [dir('n', { mtime: 5 })], recorded: [rec(dir('n'))], hash: [], changes: [], unchanged: 1 },
  { name: 'a known directory with other permission bits is a modify of kind dir', scanned: [dir('n', { mode: 0o700 })], recorded: [rec(dir('n'))], hash: [], changes: ['modify dir n'], unchanged: 0 },
  {
    name: 'a file missing from the scan is deleted',
    scanned: [],
    recorded: [rec(file('gone'))],
    hash: [],
    changes: ['delete file gone'],
    unchanged: 0,
  },
  {
    name: 'a removed tree deletes the directory and its contents',
    scanned: [file('keep')],
    recorded: [rec(file('keep')), rec(dir('t')), rec(file('t/a')), rec(dir('t/u')), rec(file('t/u/b'))],
    hash: [],
    changes: ['delete dir t', 'delete file t/a', 'delete dir t/u', 'delete file t/u/b'],
    unchanged: 1,
  },
  {
    name: 'a file that became a directory: dir add, the store resolves the kind change',
    scanned: [dir('x')],
    recorded: [rec(file('x'))],
    hash: [],
    changes: ['add dir x'],
    unchanged: 0,
  },
  {
    name: 'a directory that became a file: the file is hashed, contents below are deleted',
    scanned: [file('x')],
    recorded: [rec(dir('x')), rec(file('x/in'))],
    hash: ['x'],
    changes: ['delete file x/in'],
    unchanged: 0,
  },
  {
    name: 'below an unreadable directory nothing is taken as deleted',
    scanned: [dir('locked')],
    recorded: [rec(dir('locked')), rec(file('locked/a')), rec(file('lockedness'))],
    unreadable: ['locked'],
    hash: [],
    changes: ['delete file lockedness'],
    unchanged: 1,
  },
  {
    name: 'a nested unreadable directory shields only what lies below it',
    scanned: [dir('a'), dir('a/locked')],
    recorded: [rec(dir('a')), rec(dir('a/locked')), rec(file('a/locked/b/deep')), rec(file('a/locked.txt')), rec(file('a/gone'))],
    unreadable: ['a/locked'],
    hash: [],
    changes: ['delete file a/locked.txt', 'delete file a/gone'],
    unchanged: 2,
  },
  {
    name: 'a rename while stopped: old deleted, new hashed',
    scanned: [file('new', { ino: 11 })],
    recorded: [rec(file('old'))],
    hash: ['new'],
    changes: ['delete file old'],
    unchanged: 0,
  },
  {
    name: 'a recorded file the rules now ignore is marked ignored, not deleted',
    scanned: [file('keep.txt')],
    recorded: [rec(file('keep.txt')), rec(file('notes.log'))],
    ignored: ['notes.log'],
    hash: [],
    changes: ['ignore file notes.log'],
    unchanged: 1,
  },
  {
    name: 'a recorded directory the rules now ignore is marked ignored (the store marks what is below it)',
    scanned: [],
    recorded: [rec(dir('data'))],
    ignored: ['data/'],
    hash: [],
    changes: ['ignore dir data'],
    unchanged: 0,
  },
  {
    name: 'a rule for directories does not mark a recorded file of that name: it is gone, so deleted',
    scanned: [],
    recorded: [rec(file('data'))],
    ignored: ['data/'],
    hash: [],
    changes: ['delete file data'],
    unchanged: 0,
  },
  {
    name: 'beside an ignored path, a file that is really gone is still deleted',
    scanned: [],
    recorded: [rec(file('a.log')), rec(file('gone.txt'))],
    ignored: ['a.log'],
    hash: [],
    changes: ['ignore file a.log', 'delete file gone.txt'],
    unchanged: 0,
  },
  {
    name: 'a path marked ignored that the rules still exclude is left as it is, there or not',
    scanned: [],
    recorded: [rec(file('a.log'), { ignored: true }), rec(dir('data'), { ignored: true })],
    ignored: ['a.log', 'data/'],
    hash: [],
    changes: [],
    unchanged: 0,
  },
  {
    name: 'a file marked ignored that the scan finds again is hashed, however unchanged its stat (the clients may hold an older copy)',
    scanned: [file('a.log')],
    recorded: [rec(file('a.log'), { ignored: true })],
    hash: ['a.log'],
    changes: [],
    unchanged: 0,
  },
  {
    name: 'a directory marked ignored that the scan finds again is logged',
    scanned: [dir('data')],
    recorded: [rec(dir('data'), { ignored: true })],
    hash: [],
    changes: ['add dir data'],
    unchanged: 0,
  },
  {
    name: 'a path marked ignored that the rules let through again and the scan does not find was deleted meanwhile',
    scanned: [],
    recorded: [rec(file('a.log'), { ignored: true }), rec(dir('data'), { ignored: true })],
    hash: [],
    changes: ['delete file a.log', 'delete dir data'],
    unchanged: 0,
  },
];

/** A stand-in for the ignore matcher: exact paths, and 'dir/' for directories only. */
const matcherOf = (ignored: readonly string[]) => (path: string, isDir: boolean) => ignored.includes(path) || (isDir && ignored.includes(`${path}/`));

describe('diffScan', () => {
  it.each(cases)('$name', ({ scanned, recorded, unreadable, ignored, hash, changes, unchanged }) => {
    const plan = diffScan({ base_dir: 'd', scanned, recorded: new Map(recorded.map((r) => [r.path, r])), unreadable, ignored: matcherOf(ignored ?? []) });
    expect(plan.hash.map((e) => e.path)).toEqual(hash);
    expect(plan.changes.map((c) => `${c.ignored ? 'ignore' : c.operation} ${c.kind} ${c.path}`)).toEqual(changes);
    expect(plan.unchanged).toBe(unchanged);
    for (const c of plan.changes) expect(c.base_dir).toBe('d');
  });

  it('plans 10,000 unchanged files with no hashing', () => {
    const scanned = Array.from({ length: 10_000 }, (_, i) => file(`d${i % 100}/f${i}`, { ino: i }));
    const recorded = new Map(scanned.map((e) => [e.path, rec(e)]));
    const plan = diffScan({ base_dir: 'd', scanned, recorded });
    expect(plan).toMatchObject({ hash: [], changes: [], unchanged: 10_000 });
  });
});
