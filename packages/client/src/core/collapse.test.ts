import type { ChangeEntry } from '@zync/common';
import { describe, expect, it } from 'vitest';
import { collapseChanges, dirChangesOf, placementsOf } from './collapse.js';
import { adoptPlacement, placementBaseBits } from './local-edits.js';
import { planEntry } from './plan-pull.js';
import type { LocalState, RecordedEntry } from './types.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const e = (sequence: number, operation: ChangeEntry['operation'], path: string, over: Partial<ChangeEntry> = {}): ChangeEntry => ({
  sequence,
  operation,
  kind: 'file',
  base_dir: 'd',
  path,
  checksum: operation === 'delete' ? null : A,
  size: operation === 'delete' ? 0 : 3,
  mtime: 1000,
  mode: 0o644,
  timestamp: 1000,
  ...over,
});

describe('collapseChanges', () => {
  it.each<[string, ChangeEntry[], [number, string, string][]]>([
    ['empty batch', [], []],
    ['one entry stays', [e(1, 'add', 'a')], [[1, 'add', 'a']]],
    ['add then modify keeps the modify', [e(1, 'add', 'a'), e(2, 'modify', 'a', { checksum: B })], [[2, 'modify', 'a']]],
    ['add then delete keeps the delete', [e(1, 'add', 'a'), e(5, 'delete', 'a')], [[5, 'delete', 'a']]],
    ['delete then re-add keeps the add', [e(1, 'delete', 'a'), e(2, 'add', 'a')], [[2, 'add', 'a']]],
    ['paths stay apart', [e(1, 'add', 'a'), e(2, 'add', 'b'), e(3, 'modify', 'a')], [[2, 'add', 'b'], [3, 'modify', 'a']]],
    ['out-of-order input still keeps the highest sequence', [e(3, 'delete', 'a'), e(1, 'add', 'a')], [[3, 'delete', 'a']]],
    ['same path in two base dirs is two paths', [e(1, 'add', 'a'), e(2, 'add', 'a', { base_dir: 'x' })], [[1, 'add', 'a'], [2, 'add', 'a']]],
    ['a dir and a file under it are separate', [e(1, 'add', 'x', { kind: 'dir', checksum: null }), e(2, 'add', 'x/f')], [[1, 'add', 'x'], [2, 'add', 'x/f']]],
  ])('%s', (_name, input, expected) => {
    expect(collapseChanges(input).map((c) => [c.sequence, c.operation, c.path])).toEqual(expected);
  });
});

describe('placementsOf', () => {
  it.each<[string, ChangeEntry[], [string, string, string, number | null, number][]]>([
    ['empty page', [], []],
    ['an add superseded by a delete is still noted', [e(1, 'add', 'a'), e(2, 'delete', 'a')], [['d', 'a', A, 0o644, 1]]],
    ['every content a path held, in log order, each at its sequence', [e(1, 'add', 'a'), e(2, 'modify', 'a', { checksum: B }), e(3, 'delete', 'a')], [['d', 'a', A, 0o644, 1], ['d', 'a', B, 0o644, 2]]],
    ["a content with each of E's bits for it (a chmod)", [e(1, 'add', 'a'), e(2, 'modify', 'a', { mode: 0o755 })], [['d', 'a', A, 0o644, 1], ['d', 'a', A, 0o755, 2]]],
    ['deletions and directories hold no content', [e(1, 'delete', 'a'), e(2, 'add', 'x', { kind: 'dir', checksum: null })], []],
    ['dirs R does not sync are left out', [e(1, 'add', 'a', { base_dir: 'other' })], []],
    ['a deletion that names what it removed (its add compacted away), not its bits, held until the deletion', [e(3, 'delete', 'a', { deleted_checksum: B })], [['d', 'a', B, null, 3]]],
    ['a directory deletion names nothing', [e(3, 'delete', 'x', { kind: 'dir', checksum: null, deleted_checksum: B })], []],
  ])('%s', (_name, input, expected) => {
    expect(placementsOf(input, ['d']).map((p) => [p.base_dir, p.path, p.checksum, p.mode, p.sequence])).toEqual(expected);
  });
});

describe('placementsOf: placed', () => {
  // Only the content the path's last entry gives it is one the batch renames into place.
  it.each<[string, ChangeEntry[], [string, string, number, boolean][]]>([
    ['the last entry\'s content is placed', [e(4, 'add', 'a')], [['a', A, 4, true]]],
    ['a content a later entry replaced is not', [e(1, 'add', 'a'), e(2, 'modify', 'a', { checksum: B })], [['a', A, 1, false], ['a', B, 2, true]]],
    ['a deletion last: nothing placed, neither what it removed', [e(1, 'add', 'a'), e(3, 'delete', 'a', { deleted_checksum: A })], [['a', A, 1, false], ['a', A, 3, false]]],
    ['E back to an older content: the later entry of it is placed', [e(1, 'add', 'a'), e(2, 'modify', 'a', { checksum: B }), e(3, 'modify', 'a')], [['a', A, 1, false], ['a', B, 2, false], ['a', A, 3, true]]],
    ['paths apart', [e(1, 'add', 'a'), e(2, 'add', 'b'), e(3, 'delete', 'a', { deleted_checksum: A })], [['a', A, 1, false], ['b', A, 2, true], ['a', A, 3, false]]],
  ])('%s', (_name, input, expected) => {
    expect(placementsOf(input, ['d']).map((p) => [p.path, p.checksum, p.sequence, p.placed])).toEqual(expected);
  });
});

describe('dirChangesOf', () => {
  it.each<[string, ChangeEntry[], [string, string, boolean][]]>([
    ['empty page', [], []],
    ['files are left to placementsOf', [e(1, 'add', 'a'), e(2, 'delete', 'a')], []],
    ['a directory made and then removed: both noted, in log order', [e(1, 'add', 'x', { kind: 'dir', checksum: null }), e(2, 'delete', 'x', { kind: 'dir', checksum: null })], [['d', 'x', false], ['d', 'x', true]]],
    ['dirs R does not sync are left out', [e(1, 'add', 'x', { kind: 'dir', checksum: null, base_dir: 'other' })], []],
  ])('%s', (_name, input, expected) => {
    expect(dirChangesOf(input, ['d']).map((c) => [c.base_dir, c.path, c.removed])).toEqual(expected);
  });
});

// The decision as a batch makes it for one path: the page collapsed to its last entry, R's file
// taken for E's when it holds a content the page showed E holding there (adoptPlacement), then
// planned. Expected: what R reaches had it pulled between the entries.
describe('a collapsed page plans as a pull in between would', () => {
  const local = (checksum: string): LocalState => ({ kind: 'file', size: 3, mtime: 2000, ino: 9, mode: 0o644, checksum });
  const blank = (): RecordedEntry => ({
    base_dir: 'd', path: 'new.txt', kind: 'file', checksum: null, size: 0, mtime: 0, mode: 0,
    local_size: null, local_mtime: null, local_ino: null, sequence: 0, seen_gen: 0,
  });
  const C = 'c'.repeat(64);
  it.each<[string, ChangeEntry[], LocalState, string]>([
    ['E applied R\'s new file (A) and deleted it; R still holds A: removed', [e(1, 'add', 'new.txt'), e(2, 'delete', 'new.txt')], local(A), 'delete-file'],
    ['same, R edited the file since (C): R\'s edit stays', [e(1, 'add', 'new.txt'), e(2, 'delete', 'new.txt')], local(C), 'forget'],
    ['E changed it (A, then B) before deleting; R holds A: removed', [e(1, 'add', 'new.txt'), e(2, 'modify', 'new.txt', { checksum: B }), e(3, 'delete', 'new.txt')], local(A), 'delete-file'],
    ['only a deletion in the page (an older daemon): R\'s own file stays', [e(2, 'delete', 'new.txt')], local(A), 'forget'],
    ['only a deletion naming A (the add compacted away); R holds A: removed', [e(2, 'delete', 'new.txt', { deleted_checksum: A })], local(A), 'delete-file'],
    ['only a deletion naming B; R holds A: R\'s own file stays', [e(2, 'delete', 'new.txt', { deleted_checksum: B })], local(A), 'forget'],
    ['E applied A then changed it to B; R holds A: replaced, no conflict copy', [e(1, 'add', 'new.txt'), e(2, 'modify', 'new.txt', { checksum: B })], local(A), 'fetch'],
    ['same, R edited it to C: a conflict copy keeps R\'s edit', [e(1, 'add', 'new.txt'), e(2, 'modify', 'new.txt', { checksum: B })], local(C), 'fetch keeping a copy'],
  ])('%s', (_name, page, held, expected) => {
    const [last] = collapseChanges(page);
    const placed = placementsOf(page, ['d']);
    const recorded = adoptPlacement(undefined, held, placed, last!.mode, blank);
    const action = planEntry({ entry: last!, recorded, local: held });
    const described = action.type === 'fetch' && action.keepCopy ? 'fetch keeping a copy' : action.type;
    expect(described).toBe(expected);
    if (action.type === 'delete-file') expect(action.keepCopy).toBe(false);
  });

  // A page replaying history R has passed (a full resync from 0): R received B at 2, then
  // reverted its file to A, which E held at 1. R's record is later than A's note: R's edit.
  it.each<[string, ChangeEntry[], string]>([
    ['E still holds B: R keeps its edit', [e(1, 'add', 'f.txt'), e(2, 'modify', 'f.txt', { checksum: B })], 'record'],
    ['E changed it to C since: a conflict copy keeps R\'s edit', [e(1, 'add', 'f.txt'), e(2, 'modify', 'f.txt', { checksum: B }), e(3, 'modify', 'f.txt', { checksum: C })], 'fetch keeping a copy'],
    ['E deleted it since: a conflict copy keeps R\'s edit', [e(1, 'add', 'f.txt'), e(2, 'modify', 'f.txt', { checksum: B }), e(3, 'delete', 'f.txt')], 'delete keeping a copy'],
    ['E went back to A itself since (a later note): R holds E\'s A, only its times are set', [e(1, 'add', 'f.txt'), e(2, 'modify', 'f.txt', { checksum: B }), e(3, 'modify', 'f.txt')], 'set-attributes'],
  ])('a replayed page, R reverted what it received to an older content of E\'s: %s', (_name, page, expected) => {
    const [last] = collapseChanges(page);
    const held = local(A);
    const received: RecordedEntry = { ...blank(), path: 'f.txt', checksum: B, size: 3, mtime: 1000, mode: 0o644, local_size: 3, local_mtime: 1000, local_ino: 8, sequence: 2, seen_gen: 1 };
    const recorded = adoptPlacement(received, held, placementsOf(page, ['d']), last!.mode, blank);
    expect(recorded?.checksum).toBe(last!.checksum === A ? A : B);
    const action = planEntry({ entry: last!, recorded, local: held });
    const kept = (action.type === 'fetch' || action.type === 'delete-file') && action.keepCopy;
    expect(kept ? `${action.type === 'fetch' ? 'fetch' : 'delete'} keeping a copy` : action.type).toBe(expected);
  });

  // A resync replaying from 0 was killed -9 mid-page: its notes are a stopped batch's (2). R had
  // received B at 2 (the position R passed: 2), then reverted its file to A (E's at 1).
  it.each<[string, ChangeEntry[], string, string]>([
    ["R's revert to A, a content the page shows before E's B: R's edit, kept", [e(1, 'add', 'f.txt'), e(2, 'modify', 'f.txt', { checksum: B })], A, 'record'],
    ["R's file holds what the batch would place (E's last, A again at 3): E's", [e(1, 'add', 'f.txt'), e(2, 'modify', 'f.txt', { checksum: B }), e(3, 'modify', 'f.txt')], A, 'set-attributes'],
  ])('a killed batch of a replayed page: %s', (_name, page, holds, expected) => {
    const [last] = collapseChanges(page);
    const held = local(holds);
    const received: RecordedEntry = { ...blank(), path: 'f.txt', checksum: B, size: 3, mtime: 1000, mode: 0o644, local_size: 3, local_mtime: 1000, local_ino: 8, sequence: 2, seen_gen: 1 };
    const stopped = placementsOf(page, ['d']).map((p) => ({ ...p, batch: 2 }));
    const recorded = adoptPlacement(received, held, stopped, last!.mode, blank, 2);
    expect(planEntry({ entry: last!, recorded, local: held }).type).toBe(expected);
  });

  it.each<[string, number, string]>([
    ["R's file has the bits it was placed with: E's chmod reaches it", 0o644, 'set-attributes to 755'],
    ["R chmodded the placed file (0700): R's chmod stays", 0o700, 'record keeping 700'],
  ])('a run placed A (0644) and was killed; E then chmodded it to 0755: %s', (_name, bits, expected) => {
    const page = [e(1, 'add', 'new.txt'), e(2, 'modify', 'new.txt', { mode: 0o755 })];
    const [last] = collapseChanges(page);
    const held: LocalState = { kind: 'file', size: 3, mtime: 1000, ino: 9, mode: bits, checksum: A };
    const placed = placementsOf(page, ['d']);
    const recorded = adoptPlacement(undefined, held, placed, placementBaseBits(held, last!.mode, [], placed), blank);
    const action = planEntry({ entry: last!, recorded, local: held });
    const kept = 'keepBits' in action && action.keepBits !== undefined ? action.keepBits : null;
    const described = kept === null ? `${action.type} to ${last!.mode.toString(8)}` : `${action.type} keeping ${kept.toString(8)}`;
    expect(described).toBe(expected);
  });
});
