import { describe, expect, it } from 'vitest';
import {
  checkRoots,
  compareDirectory,
  describeCounts,
  fileKey,
  findDirChanges,
  findSuspects,
  hollowDirs,
  planUpstream,
  type HashedFile,
  type LocalFile,
  type ReceivedEntry,
  type ReceivedFile,
  type DirPath,
  type FoundChanges,
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
    ['bits differ from E\'s as they did once written (a root without Unix modes)', [local('a', { mode: 0o755 })], [got('a', { local_mode: 0o755 })], never, [], []],
    ['bits differ from those once written (chmod on R)', [local('a', { mode: 0o700 })], [got('a', { local_mode: 0o755 })], never, ['a'], []],
    ['local stat unknown', [local('a')], [got('a', { local_size: null, local_mtime: null, local_ino: null })], never, ['a'], []],
    ['ctime within the bound', [local('a', { ctime: 4999 })], [got('a', { local_ctime_max: 5000 })], never, [], []],
    ['ctime past the bound (an edit, then touch -r)', [local('a', { ctime: 5001 })], [got('a', { local_ctime_max: 5000 })], never, ['a'], []],
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
  const staged = (path: string, checksum: string | null, base: string | null, mode: number | null = checksum === null ? null : 0o644, base_mode?: number): StagedRecord => ({
    base_dir: 'd',
    path,
    staging_id: 'S1',
    kind: 'file',
    operation: checksum === null ? 'delete' : base === null ? 'add' : 'modify',
    checksum,
    base_checksum: base,
    mode,
    ...(base_mode === undefined ? {} : { base_mode }),
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
    // R's staged edit took E's chmod at a pull: applied on E, the session leaves E's bits anyway.
    ["staged with no chmod, then E's chmod pulled: already staged", [hashed('a', B, { mode: 0o755 })], [got('a', { mode: 0o755 })], [], [staged('a', B, A, 0o644, 0o644)], [], ['a']],
    ["staged with R's chmod, then E's chmod pulled: sent again", [hashed('a', B, { mode: 0o755 })], [got('a', { mode: 0o755 })], [], [staged('a', B, A, 0o600, 0o644)], [['a', 'modify', B, A]], []],
    ["staged with no chmod, then R's chmod: sent again", [hashed('a', B, { mode: 0o755 })], [got('a')], [], [staged('a', B, A, 0o644, 0o644)], [['a', 'modify', B, A]], []],
    // E's chmod pulled (755), then R's chmod back to the bits it had staged: a chmod the session lacks.
    ["staged with no chmod, E's chmod pulled, then R's chmod back: sent again", [hashed('a', B)], [got('a', { mode: 0o755 })], [], [staged('a', B, A, 0o644, 0o644)], [['a', 'modify', B, A]], []],
    ["staged with R's chmod, R's chmod the same since: already staged", [hashed('a', B, { mode: 0o755 })], [got('a')], [], [staged('a', B, A, 0o755, 0o644)], [], ['a']],
    ["staged without its base bits, then E's chmod pulled: sent again", [hashed('a', B, { mode: 0o755 })], [got('a', { mode: 0o755 })], [], [staged('a', B, A, 0o644)], [['a', 'modify', B, A]], []],
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

describe('planUpstream: edits R staged and then undid', () => {
  const made: StagedRecord = { base_dir: 'd', path: 'gone', staging_id: 'S1', kind: 'file', operation: 'add', checksum: B, base_checksum: null, mode: 0o644 };
  const undone = [{ record: made, received: null, local: { kind: 'absent' as const } }];

  it('sends the undo of a record still in force, and names its session', () => {
    const plan = planUpstream({ hashed: [], deleted: [], received: new Map(), staged: byKey([made]), undone });
    expect(plan.entries).toEqual([expect.objectContaining({ path: 'gone', kind: 'file', operation: 'delete', base_checksum: null })]);
    expect(plan.reverted).toEqual([{ base_dir: 'd', path: 'gone', staging_id: 'S1' }]);
  });

  it('sends nothing for a record whose session was dropped (discarded on E)', () => {
    const plan = planUpstream({ hashed: [], deleted: [], received: new Map(), staged: new Map(), undone });
    expect(plan.entries).toEqual([]);
    expect(plan.reverted).toEqual([]);
  });

  it('holds back a file R put where it had staged a directory, with the undoes below it', () => {
    const dirMade: StagedRecord = { base_dir: 'd', path: 'u', staging_id: 'S1', kind: 'dir', operation: 'add', checksum: null, base_checksum: A, mode: 0o755 };
    const inner: StagedRecord = { base_dir: 'd', path: 'u/inner', staging_id: 'S1', kind: 'file', operation: 'add', checksum: B, base_checksum: null, mode: 0o644 };
    const plan = planUpstream({
      hashed: [hashedAt('u', C), hashedAt('other', C)],
      deleted: [],
      received: byKey([got('u'), got('other')]),
      staged: byKey([dirMade, inner]),
      undone: [{ record: inner, received: null, local: { kind: 'absent' } }],
    });
    expect(plan.entries.map((e) => [e.path, e.operation])).toEqual([['other', 'modify']]);
    expect(plan.withheld).toEqual([{ base_dir: 'd', path: 'u', changes: 2, staged_in: ['S1'] }]);
    expect(plan.reverted).toEqual([]);
  });

  it('leaves a path alone that the scan sends a change for', () => {
    const plan = planUpstream({ hashed: [hashedAt('gone', C)], deleted: [], received: new Map(), staged: byKey([made]), undone });
    expect(plan.entries).toEqual([expect.objectContaining({ path: 'gone', operation: 'add', checksum: C })]);
    expect(plan.reverted).toEqual([]);
  });
});

describe('base_mode', () => {
  it('a modify says which permission bits R received, so E can keep a chmod R did not make', () => {
    const plan = planUpstream({ hashed: [{ ...local('a'), checksum: B }], deleted: [], received: byKey([got('a', { mode: 0o640 })]), staged: new Map() });
    expect(plan.entries).toEqual([expect.objectContaining({ path: 'a', operation: 'modify', mode: 0o644, base_mode: 0o640 })]);
  });

  // A root without Unix modes (vfat) shows 755 for every file, whatever E's bits: R recorded that.
  const onVfat = (checksum: string, mode: number) =>
    planUpstream({ hashed: [{ ...local('a', { mode }), checksum }], deleted: [], received: byKey([got('a', { local_mode: 0o755 })]), staged: new Map() }).entries;
  it("an edit on a root without Unix modes carries E's bits, not those the disk shows", () => {
    expect(onVfat(B, 0o755)).toEqual([expect.objectContaining({ path: 'a', operation: 'modify', mode: 0o644, base_mode: 0o644 })]);
  });
  it('a file hashed on a root without Unix modes, content as received, is no edit', () => {
    expect(onVfat(A, 0o755)).toEqual([]);
  });
  it('a chmod that root did keep goes as one', () => {
    expect(onVfat(A, 0o700)).toEqual([expect.objectContaining({ path: 'a', operation: 'modify', mode: 0o700, base_mode: 0o644 })]);
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

  it('planUpstream holds back below a directory replaced by a file among more changes than a call takes arguments', () => {
    const many = Array.from({ length: 200_000 }, (_, i) => hashedAt(`big/f${i}`, B));
    const plan = planUpstream({
      hashed: [hashedAt('x', B), ...many],
      deleted: [got('x/a')],
      received: byKey([got('x/a')]),
      staged: new Map(),
      dirs: { added: [], removed: [], replacedByFile: [dir('x')] },
    });
    expect(plan.entries).toHaveLength(many.length);
    expect(plan.withheld).toEqual([{ base_dir: 'd', path: 'x', changes: 2 }]);
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

describe('compareDirectory', () => {
  const dir = (path: string): DirPath => ({ base_dir: 'd', path });
  const gotDir = (path: string): ReceivedEntry => ({ ...got(path), kind: 'dir', checksum: null });
  const gotFile = (path: string, over: Partial<ReceivedEntry> = {}): ReceivedEntry => ({ ...got(path), kind: 'file', ...over });
  const ignoredTmp = (_b: string, p: string) => p.endsWith('.tmp');
  const paths = (items: readonly { path: string }[]) => items.map((i) => i.path);

  it.each<[string, LocalFile[], DirPath[], ReceivedEntry[], Record<string, string[]>]>([
    ['nothing changed', [local('s/a')], [dir('s/b')], [gotFile('s/a'), gotDir('s/b')], {}],
    ['an edited file is a suspect, with what R received there', [local('s/a', { size: 9 })], [], [gotFile('s/a')], { toHash: ['s/a'], received: ['s/a'] }],
    ['a new file is a suspect with nothing received', [local('s/n')], [], [], { toHash: ['s/n'] }],
    ['a received file gone is deleted', [], [], [gotFile('s/a')], { deleted: ['s/a'] }],
    ['a received file gone but ignored now is not', [], [], [gotFile('s/a.tmp')], {}],
    ['a file recorded without content counts as never received', [local('s/a')], [], [gotFile('s/a', { checksum: null }), gotFile('s/b', { checksum: null })], { toHash: ['s/a'] }],
    ['a received directory gone is removed, and its subtree looked at', [], [], [gotDir('s/b')], { removed: ['s/b'], gone: ['s/b'] }],
    ['a received directory ignored now is not removed; its subtree is still looked at path by path', [], [], [gotDir('s/b.tmp')], { gone: ['s/b.tmp'] }],
    ['a new directory', [], [dir('s/new')], [], { added: ['s/new'] }],
    [
      'a received file replaced by a directory: the directory is added from the file',
      [],
      [dir('s/x')],
      [gotFile('s/x')],
      { deleted: ['s/x'], added: ['s/x'], received: ['s/x'] },
    ],
    [
      'a received directory replaced by a file: named, and its subtree looked at',
      [local('s/x')],
      [],
      [gotDir('s/x')],
      { toHash: ['s/x'], replacedByFile: ['s/x'], gone: ['s/x'] },
    ],
  ])('%s', (_name, files, dirs, received, expected) => {
    const found = compareDirectory({ files, dirs }, received, ignoredTmp);
    expect({
      toHash: paths(found.toHash),
      deleted: paths(found.deleted),
      added: paths(found.dirs.added),
      removed: paths(found.dirs.removed),
      replacedByFile: paths(found.dirs.replacedByFile),
      received: paths(found.received),
      gone: paths(found.gone),
    }).toEqual({ toHash: [], deleted: [], added: [], removed: [], replacedByFile: [], received: [], gone: [], ...expected });
  });

  it.each<[string, boolean, ReceivedEntry, string[]]>([
    ["a root that keeps bits: a file showing other bits than E's, own bits not known, is R's chmod", true, gotFile('s/a'), ['s/a']],
    ['a root without modes (vfat): the bits it shows are its own, nothing changed', false, gotFile('s/a'), []],
    ['a root without modes, own bits known: measured against them', false, gotFile('s/a', { local_mode: 0o644 }), ['s/a']],
  ])('%s', (_name, keepsModes, received, toHash) => {
    const found = compareDirectory({ files: [local('s/a', { mode: 0o755 })], dirs: [] }, [received], ignoredTmp, keepsModes);
    expect(paths(found.toHash)).toEqual(toHash);
  });

  it('a gone subtree, compared with nothing listed, deletes and removes what is not ignored', () => {
    const found = compareDirectory({ files: [], dirs: [] }, [gotDir('g/sub'), gotFile('g/sub/a'), gotFile('g/keep.tmp'), gotDir('g/sub/deeper.tmp')], ignoredTmp);
    expect([paths(found.deleted), paths(found.dirs.removed), paths(found.toHash)]).toEqual([['g/sub/a'], ['g/sub'], []]);
  });

  // One fixture tree, compared whole (as the scan did when it held the tree) and one directory at
  // a time with gone subtrees: the plans must be the same.
  it('per directory, the plan is the one the whole tree gives', () => {
    const ignored = (_b: string, p: string) => p === 'build' || p.startsWith('build/') || p.endsWith('.tmp');
    const content = new Map<string, string>([['same', A], ['edited', B], ['touched', A], ['new', C], ['kept/inner', A], ['made', B], ['made/a', C], ['asdir/f', C], ['other', C]]);
    const files: LocalFile[] = [
      local('same'),
      local('edited', { size: 5 }),
      local('touched', { mtime: 5000 }),
      local('new'),
      local('kept/inner'),
      local('made/a'),
      local('asdir/f'),
      local('other'),
      local('wasdir'),
    ];
    const dirs: DirPath[] = [dir('kept'), dir('made'), dir('asdir'), dir('empty')];
    const received: ReceivedEntry[] = [
      gotFile('same'),
      gotFile('edited'),
      gotFile('touched'),
      gotFile('deleted'),
      gotFile('gone.tmp'),
      gotDir('kept'),
      gotFile('kept/inner'),
      gotFile('kept/removed'),
      gotDir('old'),
      gotDir('old/deeper'),
      gotFile('old/deeper/x'),
      gotFile('old/y.tmp'),
      gotDir('build'),
      gotFile('build/out'),
      gotFile('asdir'),
      gotDir('wasdir'),
      gotFile('wasdir/inside'),
      gotFile('nocontent', { checksum: null }),
    ];
    content.set('wasdir', B);
    const hash = (f: LocalFile): HashedFile => ({ ...f, checksum: content.get(f.path)! });
    const isDirectChild = (parent: string, p: string) => (parent === '' ? !p.includes('/') : p.startsWith(`${parent}/`) && !p.slice(parent.length + 1).includes('/'));

    const receivedFiles = byKey(received.filter((e) => e.kind === 'file' && e.checksum !== null).map((e) => ({ ...e, checksum: e.checksum! })));
    const receivedDirs = byKey(received.filter((e) => e.kind === 'dir').map((e) => dir(e.path)));
    const whole = findSuspects(files, receivedFiles, ignored);
    const wholeDirs = findDirChanges(dirs, receivedDirs, new Set(files.map((f) => fileKey(f.base_dir, f.path))), ignored);
    const expected = planUpstream({ hashed: whole.toHash.map(hash), deleted: whole.deleted, received: receivedFiles, staged: new Map(), dirs: wholeDirs });

    const found: FoundChanges = { toHash: [], deleted: [], dirs: { added: [], removed: [], replacedByFile: [] }, received: [] };
    const keep = (c: FoundChanges) => {
      found.toHash.push(...c.toHash);
      found.deleted.push(...c.deleted);
      found.dirs.added.push(...c.dirs.added);
      found.dirs.removed.push(...c.dirs.removed);
      found.dirs.replacedByFile.push(...c.dirs.replacedByFile);
      found.received.push(...c.received);
    };
    const stack = [''];
    while (stack.length > 0) {
      const at = stack.pop()!;
      const listing = { files: files.filter((f) => isDirectChild(at, f.path)), dirs: dirs.filter((d) => isDirectChild(at, d.path)) };
      const compared = compareDirectory(listing, received.filter((e) => isDirectChild(at, e.path)), ignored);
      keep(compared);
      for (const gone of compared.gone) keep(compareDirectory({ files: [], dirs: [] }, received.filter((e) => e.path.startsWith(`${gone.path}/`)), ignored));
      stack.push(...listing.dirs.map((d) => d.path));
    }
    const plan = planUpstream({ hashed: found.toHash.map(hash), deleted: found.deleted, received: byKey(found.received), staged: new Map(), dirs: found.dirs });
    expect(plan).toEqual(expected);
    expect(plan.entries.map((e) => [e.path, e.kind, e.operation])).toEqual([
      ['asdir', 'dir', 'add'],
      ['asdir/f', 'file', 'add'],
      ['deleted', 'file', 'delete'],
      ['edited', 'file', 'modify'],
      ['empty', 'dir', 'add'],
      ['kept/removed', 'file', 'delete'],
      ['made', 'dir', 'add'],
      ['made/a', 'file', 'add'],
      ['new', 'file', 'add'],
      ['old', 'dir', 'delete'],
      ['old/deeper', 'dir', 'delete'],
      ['old/deeper/x', 'file', 'delete'],
      ['other', 'file', 'add'],
    ]);
    expect(plan.withheld).toEqual([{ base_dir: 'd', path: 'wasdir', changes: 2 }]);
  });
});

describe('checkRoots', () => {
  const root = { name: 'docs', root: '/r/docs', bound: '/r/docs', localEntries: 3, receivedFiles: 3, unreadable: null as string | null };
  it.each<[string, Partial<typeof root>, string | null]>([
    ['the root R synced into', {}, null],
    ['a base dir never synced', { bound: undefined, receivedFiles: 0 }, null],
    ['an empty root R never received into', { localEntries: 0, receivedFiles: 0 }, null],
    ['another root than R synced into', { root: '/elsewhere' }, 'BAD_ARGUMENT'],
    ['an emptied root', { localEntries: 0 }, 'ROOT_UNAVAILABLE'],
    ['a root R may not read', { localEntries: 0, unreadable: 'EACCES' }, 'ROOT_UNAVAILABLE'],
  ])('%s', (_name, over, code) => {
    expect(checkRoots([{ ...root, ...over }])?.code ?? null).toBe(code);
  });

  it('says a root R may not read is unreadable, not empty', () => {
    expect(checkRoots([{ ...root, localEntries: 0, unreadable: 'EACCES' }])?.message).toMatch(/cannot be read on R \(EACCES\)/);
  });
});

describe('hollowDirs', () => {
  const l = (files: number, ignored: number, subdirs: string[] = [], unreadable = false) => ({ files, ignored, subdirs, unreadable });
  it('leaves out a new directory holding only left-out names, here or below', () => {
    const listings = new Map([
      ['kept', l(0, 1)],
      ['outer', l(0, 0, ['outer/inner'])],
      ['outer/inner', l(0, 2)],
      ['empty', l(0, 0)],
      ['withFile', l(1, 3)],
      ['parentOfEmpty', l(0, 1, ['parentOfEmpty/e'])],
      ['parentOfEmpty/e', l(0, 0)],
      ['unreadable', l(0, 0, [], true)],
    ]);
    expect([...hollowDirs(listings)].sort()).toEqual(['kept', 'outer', 'outer/inner']);
  });
});
