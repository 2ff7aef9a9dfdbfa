import { describe, expect, it } from 'vitest';
import { adoptPlacement, classifyLocalEdit, ctimesAgree, knownLocalChecksum, mayAdoptUnordered, needsLocalHash, notedAfter, placementBaseBits, type LocalEditState } from './local-edits.js';
import type { LocalState, RecordedEntry } from './types.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const rec = (over: Partial<RecordedEntry> = {}): RecordedEntry => ({
  base_dir: 'd',
  path: 'f',
  kind: 'file',
  checksum: A,
  size: 3,
  mtime: 1000,
  mode: 0o644,
  local_size: 3,
  local_mtime: 1000,
  local_ino: 7,
  sequence: 1,
  seen_gen: 1,
  ...over,
});
const file = (over: Partial<Extract<LocalState, { kind: 'file' }>> = {}): LocalState => ({ kind: 'file', size: 3, mtime: 1000, ino: 7, mode: 0o644, ...over });
const dirRec = rec({ kind: 'dir', checksum: null, local_size: null, local_mtime: null, local_ino: null });

describe('classifyLocalEdit', () => {
  it.each<[string, RecordedEntry | null, LocalState, LocalEditState]>([
    ['nothing on disk', rec(), { kind: 'absent' }, 'absent'],
    ['nothing on disk, never received', null, { kind: 'absent' }, 'absent'],
    ['stat as recorded', rec(), file(), 'unchanged'],
    ['stat differs, not hashed yet', rec(), file({ mtime: 2000 }), 'unknown'],
    ['stat differs, same bytes (a touch)', rec(), file({ mtime: 2000, checksum: A }), 'unchanged'],
    ['stat differs, other bytes', rec(), file({ size: 4, checksum: B }), 'edited'],
    ['replaced by a rename (new inode)', rec(), file({ ino: 8, checksum: B }), 'edited'],
    ['file never received', null, file(), 'untracked'],
    ['a received dir is still a dir', dirRec, { kind: 'dir', mode: 0o755 }, 'unchanged'],
    ['a received file became a dir', rec(), { kind: 'dir', mode: 0o755 }, 'edited'],
    ['a received dir became a file', dirRec, file(), 'edited'],
    ['a symlink where a file was', rec(), { kind: 'other' }, 'edited'],
    ['stat as recorded, ctime within the bound', rec({ local_ctime_max: 5000 }), file({ ctime: 4999.5 }), 'unchanged'],
    // An edit followed by `touch -r` (or cp -p of same-sized bytes) keeps size, mtime and inode.
    ['stat as recorded, ctime past the bound, not hashed yet', rec({ local_ctime_max: 5000 }), file({ ctime: 5000.5 }), 'unknown'],
    ['stat as recorded, ctime past the bound, other bytes', rec({ local_ctime_max: 5000 }), file({ ctime: 9000, checksum: B }), 'edited'],
    ['stat as recorded, ctime past the bound, same bytes (a chmod)', rec({ local_ctime_max: 5000 }), file({ ctime: 9000, checksum: A }), 'unchanged'],
    ['stat as recorded, no bound recorded (before it was kept)', rec(), file({ ctime: 9000 }), 'unchanged'],
  ])('%s', (_name, recorded, local, expected) => {
    expect(classifyLocalEdit(recorded, local)).toBe(expected);
  });
});

describe('ctimesAgree', () => {
  it.each<[string, number | undefined, number | undefined, number | null | undefined, boolean]>([
    ['the same ctime', 4000, 4000, null, true],
    ['one side unknown', 4000, undefined, null, true],
    ['moved, no bound known', 4000, 4001, undefined, false],
    ["moved, both within the bound (R's write seen late through a FUSE root's cache)", 4000, 4001, 5000, true],
    ['moved, both on the bound', 5000, 5000.5, 5000.5, true],
    ['moved past the bound (a write since)', 4000, 5001, 5000, false],
    ['the plan saw one past the bound already: it must not move', 5001, 5002, 5000, false],
  ])('%s', (_name, planned, current, bound, expected) => {
    expect(ctimesAgree(planned, current, bound)).toBe(expected);
  });
});

describe('knownLocalChecksum', () => {
  it.each<[string, RecordedEntry | null, LocalState, string | undefined]>([
    ['trusted stat gives the recorded checksum', rec(), file(), A],
    ['a hash wins', rec(), file({ checksum: B }), B],
    ['changed stat without hash is unknown', rec(), file({ mtime: 5 }), undefined],
    ['no record without hash is unknown', null, file(), undefined],
    ['not a file', rec(), { kind: 'dir', mode: 0o755 }, undefined],
  ])('%s', (_name, recorded, local, expected) => {
    expect(knownLocalChecksum(recorded, local)).toBe(expected);
  });
});

describe('needsLocalHash', () => {
  const add = { kind: 'file' as const, operation: 'add' as const };
  const del = { kind: 'file' as const, operation: 'delete' as const };
  const mkdir = { kind: 'dir' as const, operation: 'add' as const };
  it.each<[string, typeof add | typeof del | typeof mkdir, RecordedEntry | null, LocalState, boolean]>([
    ['nothing on disk', add, rec(), { kind: 'absent' }, false],
    ['stat matches the record', add, rec(), file(), false],
    ['stat differs: is it an edit?', add, rec(), file({ mtime: 9 }), true],
    ['stat differs on a delete: keep a copy or not?', del, rec(), file({ mtime: 9 }), true],
    ['already hashed', add, rec(), file({ mtime: 9, checksum: B }), false],
    ['untracked file vs incoming file: same bytes?', add, null, file(), true],
    ['untracked file vs incoming delete: left alone', del, null, file(), false],
    ['untracked file where a dir comes: kept as copy anyway', mkdir, null, file(), false],
    ['a directory needs no hash', add, rec(), { kind: 'dir', mode: 0o755 }, false],
    ['a file where R received a dir, vs an incoming file: same bytes?', add, dirRec, file(), true],
    ['a file where R received a dir, vs an incoming delete: left alone', del, dirRec, file(), false],
  ])('%s', (_name, entry, recorded, local, expected) => {
    expect(needsLocalHash(entry, recorded, local)).toBe(expected);
  });
});

describe('adoptPlacement', () => {
  const blank = () => rec({ checksum: null, local_size: null, local_mtime: null, local_ino: null, sequence: 0 });
  // B noted at sequence 5, after the record's (rec(): sequence 1).
  it.each<[string, RecordedEntry | null, LocalState, string]>([
    ['no record, R holds the bytes a killed run placed: E\'s', null, file({ checksum: B }), 'unchanged'],
    ['no record, R holds other bytes: R\'s own', null, file({ checksum: C }), 'untracked'],
    ['recorded A, the placed B landed before the kill: E\'s', rec(), file({ ino: 8, checksum: B }), 'unchanged'],
    ['recorded A, R edited it to other bytes: R\'s edit', rec(), file({ ino: 8, checksum: C }), 'edited'],
    ['recorded A, the rename never happened', rec(), file(), 'unchanged'],
    ['nothing there', null, { kind: 'absent' }, 'absent'],
    ['recorded A at 7, R reverted it to B, which E held before (a resync replays 5): R\'s edit', rec({ sequence: 7 }), file({ ino: 8, checksum: B }), 'edited'],
    ['recorded A at 5 (the noted entry itself), R holds B: R\'s edit', rec({ sequence: 5 }), file({ ino: 8, checksum: B }), 'edited'],
    ['recorded A from a log E replaced (sequence 0): B is later, E\'s', rec({ sequence: 0 }), file({ ino: 8, checksum: B }), 'unchanged'],
  ])('%s', (_name, recorded, local, expected) => {
    expect(classifyLocalEdit(adoptPlacement(recorded, local, [{ checksum: B, mode: 0o644, sequence: 5 }], 0o644, blank), local)).toBe(expected);
  });

  it.each<[string, RecordedEntry | null, string]>([
    ['no record: E\'s', null, 'unchanged'],
    ['a record from a log E replaced (sequence 0): E\'s', rec({ sequence: 0 }), 'unchanged'],
    ['a record of the log (sequence 1): not known to be later, R\'s edit', rec(), 'edited'],
  ])('a note without a sequence (an older zync\'s), R holds it: %s', (_name, recorded, expected) => {
    const local = file({ ino: 8, checksum: B });
    expect(classifyLocalEdit(adoptPlacement(recorded, local, [{ checksum: B, mode: 0o644, sequence: null }], 0o644, blank), local)).toBe(expected);
  });

  it('takes the note of a content E held again after the record, beside one from before it', () => {
    const local = file({ ino: 8, checksum: B });
    const placed = [{ checksum: B, mode: 0o644, sequence: 3 }, { checksum: B, mode: 0o755, sequence: 9 }];
    expect(classifyLocalEdit(adoptPlacement(rec({ sequence: 7 }), local, placed, 0o644, blank), local)).toBe('unchanged');
  });

  it('records the base bits given as received', () => {
    expect(adoptPlacement(rec({ mode: 0o644 }), file({ ino: 8, mode: 0o755, checksum: B }), [{ checksum: B, mode: null, sequence: 2 }], 0o600, blank)?.mode).toBe(0o600);
  });
});

describe('adoptPlacement in a resync R\'s state cannot be placed in (E\'s database restored or replaced)', () => {
  const blank = () => rec({ checksum: null, local_size: null, local_mtime: null, local_ino: null, sequence: 0 });
  // Records from the log as it was are sequence 0 there (ClientStore.startResync), nothing passed.
  it.each<[string, RecordedEntry | null, LocalState, { checksum: string; batch?: number }, string | null, string]>([
    ['R reverted to B, which E held before E\'s current A: R\'s edit', rec({ sequence: 0 }), file({ ino: 8, checksum: B }), { checksum: B }, A, 'edited'],
    ['R put back B, which E deleted: R\'s own', null, file({ checksum: B }), { checksum: B }, null, 'untracked'],
    ['R holds E\'s current content C: E\'s', rec({ sequence: 0 }), file({ ino: 8, checksum: C }), { checksum: C }, C, 'unchanged'],
    ['no record, R holds E\'s current content C: E\'s', null, file({ checksum: C }), { checksum: C }, C, 'unchanged'],
    ['a killed batch placed B (its note, batch 2): E\'s', rec({ sequence: 0 }), file({ ino: 8, checksum: B }), { checksum: B, batch: 2 }, A, 'unchanged'],
    ['a killed batch placed B before E deleted it (batch 3): E\'s', null, file({ checksum: B }), { checksum: B, batch: 3 }, null, 'unchanged'],
  ])('%s', (_name, recorded, local, note, current, expected) => {
    const placed = [{ mode: 0o644, sequence: 5, ...note }];
    expect(classifyLocalEdit(adoptPlacement(recorded, local, placed, 0o644, blank, 0, { current }), local)).toBe(expected);
  });

  it('takes the same notes for E\'s where the resync is not one of those (no `unordered`)', () => {
    const local = file({ ino: 8, checksum: B });
    expect(classifyLocalEdit(adoptPlacement(rec({ sequence: 0 }), local, [{ checksum: B, mode: 0o644, sequence: 5 }], 0o644, blank), local)).toBe('unchanged');
  });

  it.each<[string, { checksum: string; batch?: number; placed?: boolean }, string | null, boolean]>([
    ['E\'s current content', { checksum: A }, A, true],
    ['a superseded content', { checksum: B }, A, false],
    ['a deleted content', { checksum: B }, null, false],
    ['a killed batch\'s note (2)', { checksum: B, batch: 2 }, A, true],
    ['an older zync\'s killed batch\'s note (3)', { checksum: B, batch: 3 }, null, true],
    ['this batch\'s own note (1)', { checksum: B, batch: 1 }, null, false],
    ['a killed batch\'s note of the content a deletion removed (never written)', { checksum: B, batch: 2, placed: false }, null, false],
  ])('mayAdoptUnordered: %s', (_name, note, current, expected) => {
    expect(mayAdoptUnordered({ mode: null, ...note }, current)).toBe(expected);
  });
});

describe('notedAfter', () => {
  it.each<[string, number | null, number, number | null, boolean]>([
    ['no record, a resync from a position before the note', null, 2, 3, true],
    ['no record, a resync from a position past the note (R had applied it, and E\'s deletion after)', null, 3, 3, false],
    ['a record older than the note, the position past it', 2, 4, 3, false],
    ['a note without a sequence, no record, a resync from a position', null, 4, null, false],
  ])('%s', (_name, recordSequence, passed, noteSequence, expected) => {
    const recorded = recordSequence === null ? null : rec({ sequence: recordSequence });
    expect(notedAfter(recorded, { checksum: B, mode: null, sequence: noteSequence }, passed)).toBe(expected);
  });

  it.each<[string, number | null, number | null | undefined, boolean]>([
    ['no record', null, 3, true],
    ['a record older than the note', 2, 3, true],
    ['a record of the noted entry itself', 3, 3, false],
    ['a record later than the note (history replayed)', 4, 3, false],
    ['a record from a log E replaced (0)', 0, 3, true],
    ['a note without a sequence, a record of the log', 4, null, false],
    ['a note without a sequence (absent), a record of the log', 4, undefined, false],
    ['a note without a sequence, a record from a log E replaced', 0, null, true],
  ])('%s', (_name, recordSequence, noteSequence, expected) => {
    const recorded = recordSequence === null ? null : rec({ sequence: recordSequence });
    expect(notedAfter(recorded, { checksum: B, mode: null, ...(noteSequence === undefined ? {} : { sequence: noteSequence }) })).toBe(expected);
  });
});

describe('notedAfter: a killed batch\'s notes', () => {
  it.each([2, 3])('count as later than the record and the position (batch %i), with or without a sequence (an older zync\'s, upgraded)', (batch) => {
    expect(notedAfter(rec({ sequence: 9 }), { checksum: B, mode: null, batch }, 12)).toBe(true);
    expect(notedAfter(rec({ sequence: 9 }), { checksum: B, mode: null, sequence: 5, batch }, 12)).toBe(true);
    // The batch open now, or one recorded since: as their sequence says.
    expect(notedAfter(rec({ sequence: 9 }), { checksum: B, mode: null, batch: batch === 2 ? 1 : 0 }, 12)).toBe(false);
  });

  // sql/016: a content the stopped batch's page showed before the path's last entry (superseded,
  // or a deletion's) is one it never wrote: before, it counted as E's placed file all the same,
  // and R's revert to it (or R's put-back of a file E deleted) was overwritten or deleted, no copy.
  it.each<[string, number | null, number, number, boolean]>([
    ['replayed (at or below the position R had passed): R\'s edit', 9, 12, 5, false],
    ['older than R\'s record: R\'s edit', 9, 0, 5, false],
    ['later than both: E\'s, as for a batch running now', 9, 12, 14, true],
    ['no record, no position: E\'s', null, 0, 5, true],
  ])('(batch 2 and 3) a content they showed but would not place counts as its sequence says: %s', (_name, recordSequence, passed, noteSequence, expected) => {
    const recorded = recordSequence === null ? null : rec({ sequence: recordSequence });
    for (const batch of [2, 3]) expect(notedAfter(recorded, { checksum: B, mode: null, sequence: noteSequence, batch, placed: false }, passed)).toBe(expected);
    // The content the stopped batch would place (or a note from before sql/016): E's.
    for (const placed of [true, undefined]) expect(notedAfter(recorded, { checksum: B, mode: null, sequence: noteSequence, batch: 2, ...(placed === undefined ? {} : { placed }) }, passed)).toBe(true);
  });
});

describe('placementBaseBits', () => {
  it("takes E's served bits for a file the killed run fetched: R's chmod kept over E's content stays R's", () => {
    expect(placementBaseBits(file({ mode: 0o700, checksum: B }), 0o644, [])).toBe(0o644);
  });
  it("takes the file's own bits for content R staged itself (E applied R's edit): E's chmod is then due to R", () => {
    expect(placementBaseBits(file({ mode: 0o644, checksum: B }), 0o755, [C, B])).toBe(0o644);
  });
  it("takes the file's own bits where E's entry is the deletion, which serves none: no chmod of R's to keep", () => {
    expect(placementBaseBits(file({ mode: 0o644, checksum: B }), null, [])).toBe(0o644);
  });
  it.each<[string, { checksum: string; mode: number | null }[], number]>([
    ["the bits E gave that content when noted: the file as placed, and E's chmod since is E's", [{ checksum: B, mode: 0o644 }, { checksum: B, mode: 0o755 }], 0o644],
    ["bits noted for another content only: E's served bits", [{ checksum: C, mode: 0o644 }, { checksum: B, mode: 0o755 }], 0o755],
    ["bits not known (noted before they were kept): E's served bits", [{ checksum: B, mode: null }], 0o755],
  ])('E chmodded a placed file to 0755 since: %s', (_name, placed, expected) => {
    expect(placementBaseBits(file({ mode: 0o644, checksum: B }), 0o755, [], placed)).toBe(expected);
  });
  it("takes E's served bits for R's chmod kept over E's content (bits E never gave it): R's chmod stays R's", () => {
    expect(placementBaseBits(file({ mode: 0o700, checksum: B }), 0o644, [], [{ checksum: B, mode: 0o644 }])).toBe(0o644);
  });
});
