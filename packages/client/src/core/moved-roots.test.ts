import { describe, expect, it } from 'vitest';
import { droppedRecordsWarning, isSameTreeMoved, keptRecordsNote, olderThanReceived, proofOf, stillThere, type MovedTreeEvidence } from './moved-roots.js';
import type { LocalState } from './types.js';

const recorded = { kind: 'file' as const, checksum: 'c'.repeat(64), size: 5, local_ino: 42, local_ctime_max: 1000 };
const file = (over: Partial<Extract<LocalState, { kind: 'file' }>> = {}): LocalState => ({ kind: 'file', size: 5, mtime: 1, ino: 42, mode: 0o644, ...over });
const evidence = (over: Partial<MovedTreeEvidence>): MovedTreeEvidence => ({ name: 'docs', from: '/r/docs', to: '/r/documents', recordedFiles: 10, stillAtOldPlace: 0, provenAtNewPlace: 10, olderAtNewPlace: 0, ...over });

describe('proofOf', () => {
  it.each([
    ['the recorded inode on the recorded disk: the same file, moved (edited in place or not)', file({ size: 9 }), true, 'same'],
    ['the recorded inode on another disk says nothing: its content can', file(), false, 'hash'],
    ['another inode of the received size: a copy, or R rewrote it', file({ ino: 7 }), true, 'hash'],
    ['another inode and size: nothing to prove (R\'s edit, or another file)', file({ ino: 7, size: 6 }), true, 'no'],
    ['nothing there', { kind: 'absent' } as LocalState, true, 'no'],
    ['a directory there', { kind: 'dir', mode: 0o755 } as LocalState, true, 'no'],
  ] as const)('%s', (_what, local, sameDisk, proof) => {
    expect(proofOf(recorded, local, sameDisk)).toBe(proof);
  });

  it('a directory R received proves nothing', () => {
    expect(proofOf({ ...recorded, kind: 'dir', checksum: null }, file(), true)).toBe('no');
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
    ['none found: an empty or unrelated directory', { provenAtNewPlace: 0 }, false],
    ['the old place still holds R\'s files: a copy beside the tree, not the tree', { stillAtOldPlace: 1 }, false],
    ['a file older than what R received, with other content: a copy made before R\'s last pull', { olderAtNewPlace: 1 }, false],
    ['nothing received there: nothing to keep', { recordedFiles: 0, provenAtNewPlace: 0 }, false],
  ] as const)('%s', (_what, over, moved) => {
    expect(isSameTreeMoved(evidence(over))).toBe(moved);
  });
});

describe('olderThanReceived', () => {
  it.each([
    ['written before R wrote what it received: a copy older than R\'s last pull', file({ ctime: 999 }), recorded, true],
    ['written since (a copy made after, or R\'s edit)', file({ ctime: 1001 }), recorded, false],
    ['no ctime known', file(), recorded, false],
    ['no bound recorded (before sql/006)', file({ ctime: 1 }), { ...recorded, local_ctime_max: null }, false],
    ['nothing there', { kind: 'absent' } as LocalState, recorded, false],
  ] as const)('%s', (_what, local, rec, older) => {
    expect(olderThanReceived(rec, local)).toBe(older);
  });
});

describe('the lines said', () => {
  it('say where the root went and what happens to R\'s edits and deletions', () => {
    expect(keptRecordsNote(evidence({}))).toMatch(/moved from \/r\/docs to \/r\/documents: .* records are kept — its edits and deletions there stay R's/);
    expect(droppedRecordsWarning(evidence({ stillAtOldPlace: 1 }))).toMatch(/\/r\/docs still holds the files R received there: it is taken for another directory/);
    expect(droppedRecordsWarning(evidence({ provenAtNewPlace: 2 }))).toMatch(/fewer than half of the 10 file\(s\) R received are at \/r\/documents as received/);
    expect(droppedRecordsWarning(evidence({ provenAtNewPlace: 2 }))).toMatch(/a file R deleted at the old place comes back from E\.$/);
    expect(droppedRecordsWarning(evidence({ olderAtNewPlace: 1 }))).toMatch(/\/r\/documents holds files older than those R received \(a copy made before R's last pull\): it is taken for another directory/);
  });
});
