import { describe, expect, it } from 'vitest';
import {
  checkRoots,
  describeCounts,
  fileKey,
  findDirChanges,
  findSuspects,
  planUpstream,
  type HashedFile,
  type LocalFile,
  type ReceivedFile,
  type DirPath,
  type StagedRecord,
} from './plan-upstream.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

const local = (path: string, over: Partial<LocalFile> = {}): LocalFile => ({ base_dir: 'd', path, size: 3, mtime: 1000, mode: 0o644, ino: 7, ...over });
const got = (path: string, over: Partial<ReceivedFile> = {}): ReceivedFile => ({
  base_dir: 'd',
  path,
  checksum: A,
  mode: 0o644,
  local_size: 3,
  local_mtime: 1000,
  local_ino: 7,
  ...over,
});
const hashedAt = (path: string, checksum: string): HashedFile => ({ ...local(path), checksum });
const byKey = <T extends { base_dir: string; path: string }>(items: T[]) => new Map(items.map((i) => [fileKey(i.base_dir, i.path), i]));
const never = () => false;

describe('findSuspects', () => {
  it.each<[string, LocalFile[], ReceivedFile[], (b: string, p: string) => boolean, string[], string[]]>([
    ['nothing changed', [local('a')], [got('a')], never, [], []],
    ['a new local file', [local('new')], [], never, ['new'], []],
    ['size differs', [local('a', { size: 4 })], [got('a')], never, ['a'], []],
    ['mtime differs', [local('a', { mtime: 2000 })], [got('a')], never, ['a'], []],
    ['inode differs (replaced by a rename)', [local('a', { ino: 8 })], [got('a')], never, ['a'], []],
    ['permission bits differ (chmod on R)', [local('a', { mode: 0o755 })], [got('a')], never, ['a'], []],
    ['local stat unknown', [local('a')], [got('a', { local_size: null, local_mtime: null, local_ino: null })], never, ['a'], []],
    ['a received file is gone', [], [got('a')], never, [], ['a']],
    ['a gone file now ignored is not a deletion', [], [got('a')], () => true, [], []],
    ['same path in another base dir is another file', [local('a', { base_dir: 'e' })], [got('a')], never, ['a'], ['a']],
  ])('%s', (_name, files, received, ignored, toHash, deleted) => {
    const result = findSuspects(files, byKey(received), ignored);
    expect(result.toHash.map((f) => f.path)).toEqual(toHash);
    expect(result.deleted.map((f) => f.path)).toEqual(deleted);
  });
});

describe('planUpstream', () => {
  const hashed = (path: string, checksum: string, over: Partial<HashedFile> = {}): HashedFile => ({ ...local(path), checksum, ...over });
  const staged = (path: string, checksum: string | null, base: string | null, mode: number | null = checksum === null ? null : 0o644): StagedRecord => ({
    base_dir: 'd',
    path,
    staging_id: 'S1',
    kind: 'file',
    operation: checksum === null ? 'delete' : base === null ? 'add' : 'modify',
    checksum,
    base_checksum: base,
    mode,
  });

  it.each<[string, HashedFile[], ReceivedFile[], ReceivedFile[], StagedRecord[], [string, string, string | null, string | null][], string[]]>([
    ['a new file is an add with no base', [hashed('n', B)], [], [], [], [['n', 'add', B, null]], []],
    ['an edited file is a modify from its base', [hashed('a', B)], [got('a')], [], [], [['a', 'modify', B, A]], []],
    ['a touched file with the same content is nothing', [hashed('a', A)], [got('a')], [], [], [], []],
    ['same content, new permission bits: a modify of its own base', [hashed('a', A, { mode: 0o755 })], [got('a')], [], [], [['a', 'modify', A, A]], []],
    ['a deleted file is a delete from its base', [], [got('a')], [got('a')], [], [['a', 'delete', null, A]], []],
    ['already staged, unchanged since', [hashed('a', B)], [got('a')], [], [staged('a', B, A)], [], ['a']],
    ['staged, then edited again', [hashed('a', C)], [got('a')], [], [staged('a', B, A)], [['a', 'modify', C, A]], []],
    ['staged, then chmod on R: sent again with the new bits', [hashed('a', B, { mode: 0o755 })], [got('a')], [], [staged('a', B, A)], [['a', 'modify', B, A]], []],
    ['staged before modes were kept: sent again once', [hashed('a', B)], [got('a')], [], [staged('a', B, A, null)], [['a', 'modify', B, A]], []],
    ['staged, but E sent a new base since', [hashed('a', B)], [got('a', { checksum: C })], [], [staged('a', B, A)], [['a', 'modify', B, C]], []],
    ['a staged deletion is not sent again', [], [got('a')], [got('a')], [staged('a', null, A)], [], ['a']],
    ['staged as edit, now deleted', [], [got('a')], [got('a')], [staged('a', B, A)], [['a', 'delete', null, A]], []],
    [
      'entries come out sorted',
      [hashed('z', B), hashed('b', B)],
      [],
      [got('m')],
      [],
      [
        ['b', 'add', B, null],
        ['m', 'delete', null, A],
        ['z', 'add', B, null],
      ],
      [],
    ],
  ])('%s', (_name, files, received, deleted, stagedRecords, expected, alreadyStaged) => {
    const plan = planUpstream({ hashed: files, deleted, received: byKey(received), staged: byKey(stagedRecords) });
    expect(plan.entries.map((e) => [e.path, e.operation, e.checksum, e.base_checksum])).toEqual(expected);
    expect(plan.already_staged.map((e) => e.path)).toEqual(alreadyStaged);
  });

  it('a delete carries size 0 and an add keeps mode and mtime', () => {
    const plan = planUpstream({
      hashed: [hashed('x', B, { mode: 0o755, mtime: 5, size: 9 })],
      deleted: [got('y')],
      received: byKey([got('y')]),
      staged: new Map(),
    });
    expect(plan.entries).toEqual([
      { base_dir: 'd', path: 'x', kind: 'file', operation: 'add', checksum: B, size: 9, base_checksum: null, mode: 0o755, mtime: 5 },
      { base_dir: 'd', path: 'y', kind: 'file', operation: 'delete', checksum: null, size: 0, base_checksum: A },
    ]);
  });
});

describe('base_mode', () => {
  it('a modify says which permission bits R received, so E can keep a chmod R did not make', () => {
    const plan = planUpstream({ hashed: [{ ...local('a'), checksum: B }], deleted: [], received: byKey([got('a', { mode: 0o640 })]), staged: new Map() });
    expect(plan.entries).toEqual([expect.objectContaining({ path: 'a', operation: 'modify', mode: 0o644, base_mode: 0o640 })]);
  });
});

describe('describeCounts', () => {
  it.each<[string, { kind: 'file' | 'dir'; operation: 'add' | 'modify' | 'delete' }[], string]>([
    ['files only', [{ kind: 'file', operation: 'add' }, { kind: 'file', operation: 'add' }, { kind: 'file', operation: 'delete' }], '2 added, 0 modified, 1 deleted'],
    [
      'with directories',
      [{ kind: 'file', operation: 'modify' }, { kind: 'dir', operation: 'add' }, { kind: 'dir', operation: 'delete' }, { kind: 'dir', operation: 'delete' }],
      '0 added, 1 modified, 0 deleted, 1 directory created, 2 directories removed',
    ],
  ])('%s', (_name, entries, text) => {
    expect(describeCounts(entries)).toBe(text);
  });
});

describe('findDirChanges', () => {
  const dir = (path: string): DirPath => ({ base_dir: 'd', path });
  it.each<[string, DirPath[], DirPath[], string[], (b: string, p: string, isDir: boolean) => boolean, string[], string[]]>([
    ['nothing changed', [dir('a'), dir('a/b')], [dir('a'), dir('a/b')], [], never, [], []],
    ['a directory made on R', [dir('a'), dir('new')], [dir('a')], [], never, ['new'], []],
    ['a directory removed on R', [dir('a')], [dir('a'), dir('a/b')], [], never, [], ['a/b']],
    ['a removed directory now ignored is not a removal', [], [dir('build')], [], () => true, [], []],
    ['a directory replaced by a file is left to the file’s entry', [], [dir('x')], [fileKey('d', 'x')], never, [], []],
  ])('%s', (_name, local, received, files, ignored, added, removed) => {
    const result = findDirChanges(local, byKey(received), new Set(files), ignored);
    expect(result.added.map((d) => d.path)).toEqual(added);
    expect(result.removed.map((d) => d.path)).toEqual(removed);
  });

  it('names a received directory replaced by a file of the same name', () => {
    const result = findDirChanges([], byKey([dir('x'), dir('gone')]), new Set([fileKey('d', 'x')]), never);
    expect(result.replacedByFile.map((d) => d.path)).toEqual(['x']);
    expect(result.removed.map((d) => d.path)).toEqual(['gone']);
  });

  it('planUpstream holds back everything at and below a directory replaced by a file, and sends the rest', () => {
    const plan = planUpstream({
      hashed: [hashedAt('x', B), hashedAt('other', B)],
      deleted: [got('x/a'), got('x/sub/b')],
      received: byKey([got('x/a'), got('x/sub/b')]),
      staged: new Map(),
      dirs: { added: [], removed: [dir('x/sub')], replacedByFile: [dir('x')] },
    });
    expect(plan.entries.map((e) => [e.path, e.operation])).toEqual([['other', 'add']]);
    expect(plan.withheld).toEqual([{ base_dir: 'd', path: 'x', changes: 4 }]);
  });

  it('planUpstream turns them into directory entries, and skips ones already staged', () => {
    const plan = planUpstream({
      hashed: [],
      deleted: [],
      received: new Map(),
      staged: byKey<StagedRecord>([
        { base_dir: 'd', path: 'old', staging_id: 'S1', kind: 'dir', operation: 'delete', checksum: null, base_checksum: null, mode: null },
      ]),
      dirs: { added: [dir('new')], removed: [dir('gone'), dir('old')] },
    });
    expect(plan.entries.map((e) => [e.path, e.kind, e.operation])).toEqual([
      ['gone', 'dir', 'delete'],
      ['new', 'dir', 'add'],
    ]);
    expect(plan.already_staged.map((e) => e.path)).toEqual(['old']);
  });
});

describe('planUpstream: a path that changed kind on R', () => {
  const dir = (path: string): DirPath => ({ base_dir: 'd', path });
  const dirRecord = (path: string, base: string | null): StagedRecord => ({
    base_dir: 'd',
    path,
    staging_id: 'S1',
    kind: 'dir',
    operation: 'add',
    checksum: null,
    base_checksum: base,
    mode: null,
  });
  const inside = { ...local('notes/a'), checksum: B };

  it.each<[string, ReceivedFile[], DirPath[], StagedRecord[], [string, string, string, string | null][], string[]]>([
    [
      'a received file replaced by a directory: one directory add from the file as base, then its files',
      [got('notes')],
      [dir('notes')],
      [],
      [
        ['notes', 'dir', 'add', A],
        ['notes/a', 'file', 'add', null],
      ],
      [],
    ],
    [
      'a directory made where nothing was received has no base',
      [],
      [dir('notes')],
      [],
      [
        ['notes', 'dir', 'add', null],
        ['notes/a', 'file', 'add', null],
      ],
      [],
    ],
    [
      'the replacing directory, already staged from the same base, is not sent again',
      [got('notes')],
      [dir('notes')],
      [dirRecord('notes', A)],
      [['notes/a', 'file', 'add', null]],
      ['notes'],
    ],
    [
      'staged from an older base (E changed the file since): sent again from the new one',
      [got('notes', { checksum: C })],
      [dir('notes')],
      [dirRecord('notes', A)],
      [
        ['notes', 'dir', 'add', C],
        ['notes/a', 'file', 'add', null],
      ],
      [],
    ],
  ])('%s', (_name, received, added, stagedRecords, expected, alreadyStaged) => {
    const deleted = findSuspects([inside], byKey(received), never).deleted;
    const plan = planUpstream({
      hashed: [inside],
      deleted,
      received: byKey(received),
      staged: byKey(stagedRecords),
      dirs: { added, removed: [] },
    });
    expect(plan.entries.map((e) => [e.path, e.kind, e.operation, e.base_checksum])).toEqual(expected);
    expect(plan.already_staged.map((e) => e.path)).toEqual(alreadyStaged);
    const paths = [...plan.entries, ...plan.already_staged].map((e) => e.path);
    expect(new Set(paths).size).toBe(paths.length);
  });
});

describe('checkRoots', () => {
  const root = { name: 'docs', root: '/r/docs', bound: '/r/docs', localEntries: 3, receivedFiles: 3 };
  it.each<[string, Partial<typeof root>, string | null]>([
    ['the root R synced into', {}, null],
    ['a base dir never synced', { bound: undefined, receivedFiles: 0 }, null],
    ['an empty root R never received into', { localEntries: 0, receivedFiles: 0 }, null],
    ['another root than R synced into', { root: '/elsewhere' }, 'BAD_ARGUMENT'],
    ['an emptied root', { localEntries: 0 }, 'ROOT_UNAVAILABLE'],
  ])('%s', (_name, over, code) => {
    expect(checkRoots([{ ...root, ...over }])?.code ?? null).toBe(code);
  });
});
