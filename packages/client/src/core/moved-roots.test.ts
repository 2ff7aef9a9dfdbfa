import { describe, expect, it } from 'vitest';
import { droppedRecordsWarning, isSameTreeMoved, keptRecordsNote, stillThere, writtenByR, type MovedTreeEvidence } from './moved-roots.js';
import type { LocalState } from './types.js';

const recorded = { kind: 'file' as const, checksum: 'c'.repeat(64), local_size: 5, local_mtime: 1, local_ino: 42, local_ctime_max: 1000 };
const file = (over: Partial<Extract<LocalState, { kind: 'file' }>> = {}): LocalState => ({ kind: 'file', size: 5, mtime: 1, ino: 42, ctime: 990, mode: 0o644, ...over });
const evidence = (over: Partial<MovedTreeEvidence>): MovedTreeEvidence => ({ name: 'docs', from: '/r/docs', to: '/r/documents', recordedFiles: 10, stillAtOldPlace: 0, provenAtNewPlace: 10, ...over });

describe('writtenByR', () => {
  it.each([
    ['the file R wrote, its directory moved: inode, size, mtime and ctime as recorded', file(), true, true],
    ['on another disk (or one that got the same device number): inodes say nothing', file(), false, false],
    // A new file given the freed inode number, a hard link (cp -al), a restore, or R's edit: ctime moved.
    ['the recorded inode with a ctime past the bound', file({ ctime: 1001 }), true, false],
    ['another inode with E\'s content: a copy, or a backup', file({ ino: 7 }), true, false],
    ['the inode with another size or mtime: R\'s edit', file({ size: 9 }), true, false],
    ['no ctime known', file({ ctime: undefined }), true, false],
    ['nothing there', { kind: 'absent' } as LocalState, true, false],
    ['a directory there', { kind: 'dir', mode: 0o755 } as LocalState, true, false],
  ] as const)('%s', (_what, local, sameDisk, proven) => {
    expect(writtenByR(recorded, local, sameDisk)).toBe(proven);
  });

  it('proves nothing without the bound recorded after R wrote it (before sql/006)', () => {
    expect(writtenByR({ ...recorded, local_ctime_max: null }, file(), true)).toBe(false);
  });

  it('a directory R received proves nothing', () => {
    expect(writtenByR({ ...recorded, kind: 'dir', checksum: null }, file(), true)).toBe(false);
  });
});

describe('stillThere', () => {
  it.each([
    ['the file R wrote, at the old place', file(), true, true],
    ['another file at the old place (made again)', file({ ino: 9 }), true, false],
    ['the old place on another disk: inodes say nothing', file(), false, false],
    ['nothing at the old place', { kind: 'absent' } as LocalState, true, false],
  ] as const)('%s', (_what, local, sameDisk, there) => {
    expect(stillThere(recorded, local, sameDisk)).toBe(there);
  });
});

describe('isSameTreeMoved', () => {
  it.each([
    ['every file found at the new place, none left at the old one', {}, true],
    ['half found: at most half could read as R\'s deletions', { provenAtNewPlace: 5 }, true],
    ['fewer than half: another directory (its deletions would be most of E\'s root)', { provenAtNewPlace: 4 }, false],
    ['none found: an empty, copied or unrelated directory', { provenAtNewPlace: 0 }, false],
    ['the old place still holds R\'s files: a copy beside the tree, not the tree', { stillAtOldPlace: 1 }, false],
    ['the root\'s disk never recorded: nothing proves a move', { diskUnknown: true } as const, false],
    ['nothing received there: nothing to keep', { recordedFiles: 0, provenAtNewPlace: 0 }, false],
  ] as const)('%s', (_what, over, moved) => {
    expect(isSameTreeMoved(evidence(over))).toBe(moved);
  });
});

describe('the lines said', () => {
  it('say where the root went and what happens to R\'s edits and deletions', () => {
    expect(keptRecordsNote(evidence({}))).toMatch(/moved from \/r\/docs to \/r\/documents: .* records are kept — its edits and deletions there stay R's/);
    expect(droppedRecordsWarning(evidence({ stillAtOldPlace: 1 }))).toMatch(/\/r\/docs still holds the files R received there: it is taken for another directory/);
    expect(droppedRecordsWarning(evidence({ provenAtNewPlace: 2 }))).toMatch(/fewer than half of the 10 file\(s\) R received are at \/r\/documents as R wrote them \(a copy, a backup or another directory/);
    expect(droppedRecordsWarning(evidence({ provenAtNewPlace: 2 }))).toMatch(/a file R deleted at the old place comes back from E\.$/);
    expect(droppedRecordsWarning(evidence({ diskUnknown: true }))).toMatch(/the disk \/r\/docs was on was never recorded/);
  });
});
