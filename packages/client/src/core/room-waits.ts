// Files that did not fit on R's disk (ENOSPC while written) wait for room instead of being
// fetched again at every pass: each attempt moves the whole file across the tunnel only to fail
// again (a 45 MB file under a log appended to 5 times a second: 2.3 GB in 10 s). Such a file is
// fetched again once the file system that would hold it shows room for it. Where its free space
// says nothing (it showed room when the write failed: a quota, no inodes left; or it cannot be
// read), once its retry is due instead: 2 s, doubling per failed attempt, at most 60 s. Pure: the
// caller reads the file system (statfs) and keeps the clock.
import { retryDelayMs } from './backoff.js';

/** What R's file system shows, from statfs. */
export interface Room {
  freeBytes: number;
  blockSize: number;
  /** null: the file system does not count inodes (btrfs says 0 of 0). */
  freeInodes: number | null;
}

export interface RoomWait {
  /** Attempts in a row that did not fit. */
  failures: number;
  /** When the next attempt is due where the free space says nothing (ms). */
  retryAt: number;
  /** The free space showed no room when the file did not fit: it tells when the file fits. */
  freeSpaceTells: boolean;
}

/** What statfs says of a file system, in blocks. */
export interface FsBlocks {
  bsize: number;
  /** Free blocks, those reserved for root (ext4's -m) included. */
  bfree: number;
  /** Free blocks any user may write. */
  bavail: number;
}

/**
 * The bytes free to the client's own user: root writes into the blocks a file system reserves
 * for it (ext4 keeps 5% by default), so a root client waiting on bavail would wait for room it has.
 */
export function freeBytesFor(fs: FsBlocks, isRoot: boolean): number {
  return (isRoot ? fs.bfree : fs.bavail) * fs.bsize;
}

/** Blocks beyond the file's own: its metadata (extents, the directory entry), a margin. */
export const MARGIN_BLOCKS = 16;

/** Whether `room` holds a file of `size` bytes written whole beside the target (temp + rename). */
export function hasRoom(room: Room, size: number): boolean {
  const blockSize = Math.max(1, room.blockSize);
  const needed = (Math.ceil(size / blockSize) + MARGIN_BLOCKS) * blockSize;
  return room.freeBytes >= needed && room.freeInodes !== 0;
}

/** After an attempt that did not fit; `room`: the file system as it was right after (null: unknown). */
export function noteNoRoom(previous: RoomWait | undefined, size: number, room: Room | null, now: number): RoomWait {
  const failures = (previous?.failures ?? 0) + 1;
  return { failures, retryAt: now + retryDelayMs(failures), freeSpaceTells: room !== null && !hasRoom(room, size) };
}

/** Whether to fetch a file of `size` bytes now; `room`: its file system now (null: unknown). */
export function mayFetch(wait: RoomWait | undefined, size: number, room: Room | null, now: number): boolean {
  if (wait === undefined) return true;
  if (room !== null && wait.freeSpaceTells) return hasRoom(room, size);
  return now >= wait.retryAt;
}
