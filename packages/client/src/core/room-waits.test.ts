import { describe, expect, it } from 'vitest';
import { freeBytesFor, hasRoom, mayFetch, noteNoRoom, type Room, type RoomWait } from './room-waits.js';

const MB = 1_000_000;
const room = (freeBytes: number, freeInodes: number | null = 1000): Room => ({ freeBytes, blockSize: 4096, freeInodes });

describe('hasRoom', () => {
  it.each<[string, Room, number, boolean]>([
    ['a file smaller than the free space, margin included', room(46 * MB), 45 * MB, true],
    ['a file larger than the free space', room(38 * MB), 45 * MB, false],
    ['exactly the free space leaves no margin for its metadata', room(45 * MB), 45 * MB, false],
    ['an empty file still needs a few blocks', room(4096), 0, false],
    ['no inode left', room(46 * MB, 0), 45 * MB, false],
    ['a file system that does not count inodes', room(46 * MB, null), 45 * MB, true],
  ])('%s', (_why, r, size, expected) => {
    expect(hasRoom(r, size)).toBe(expected);
  });
});

describe('noteNoRoom', () => {
  it.each<[string, RoomWait | undefined, Room | null, RoomWait]>([
    ['the first failure: retry due in 2 s, the free space tells', undefined, room(38 * MB), { failures: 1, retryAt: 2000, freeSpaceTells: true }],
    ['the next doubles the delay', { failures: 1, retryAt: 2000, freeSpaceTells: true }, room(38 * MB), { failures: 2, retryAt: 4000, freeSpaceTells: true }],
    ['capped at a minute', { failures: 9, retryAt: 0, freeSpaceTells: true }, room(38 * MB), { failures: 10, retryAt: 60_000, freeSpaceTells: true }],
    ['room shown where it did not fit (a quota): the free space says nothing', undefined, room(900 * MB), { failures: 1, retryAt: 2000, freeSpaceTells: false }],
    ['the file system could not be asked', undefined, null, { failures: 1, retryAt: 2000, freeSpaceTells: false }],
  ])('%s', (_why, previous, r, expected) => {
    expect(noteNoRoom(previous, 45 * MB, r, 0)).toEqual(expected);
  });
});

describe('mayFetch', () => {
  const told: RoomWait = { failures: 3, retryAt: 8000, freeSpaceTells: true };
  const untold: RoomWait = { failures: 3, retryAt: 8000, freeSpaceTells: false };
  it.each<[string, RoomWait | undefined, Room | null, number, boolean]>([
    ['a file that never failed for room', undefined, room(0), 0, true],
    ['still no room: not fetched, however often passes come', told, room(38 * MB), 1000, false],
    ['still no room once its retry is due: not fetched either', told, room(38 * MB), 60_000, false],
    ['room now: fetched at once', told, room(50 * MB), 1000, true],
    ['free space says nothing: not before its retry', untold, room(900 * MB), 7999, false],
    ['free space says nothing: at its retry', untold, room(900 * MB), 8000, true],
    ['the file system cannot be asked now: at its retry', told, null, 8000, true],
    ['the file system cannot be asked now: not before', told, null, 100, false],
  ])('%s', (_why, wait, r, now, expected) => {
    expect(mayFetch(wait, 45 * MB, r, now)).toBe(expected);
  });
});

describe('freeBytesFor', () => {
  const reserved = { bsize: 4096, bfree: 3000, bavail: 1000 };
  it.each<[string, boolean, number]>([
    ['root may write into the blocks reserved for it', true, 3000 * 4096],
    ['another user may not', false, 1000 * 4096],
  ])('%s', (_why, isRoot, expected) => {
    expect(freeBytesFor(reserved, isRoot)).toBe(expected);
  });
});
