// Whether SQLite failed for want of room on the database's file system. SQLITE_FULL says so
// itself; a full disk also surfaces as an I/O error (SQLITE_IOERR_SHMSIZE when there is no room
// for the WAL index, DB-shm, that every open of a WAL database needs, even to read;
// SQLITE_IOERR_WRITE) or, with no inode left for DB-shm, as SQLITE_CANTOPEN. better-sqlite3 gives
// SQLite's code, not the errno behind it, so those count as a full disk only when the file system
// has next to no room (or no inode) left. judgeSqliteFullDisk decides from facts; isSqliteFullDisk
// reads them (statfs).
import { statfsSync } from 'node:fs';

/** What is left on a file system, as statfs tells it; `files` 0: it keeps no count of inodes. */
export interface FileSystemRoom {
  bytesFree: number;
  files: number;
  filesFree: number;
}

/** Less than this free and an I/O error is taken for a full disk (an open needs 32 KiB for DB-shm). */
export const NEXT_TO_NO_ROOM_BYTES = 1024 * 1024;

/** Whether SQLite's error `code` means a full disk, given the room left (null: unknown). */
export function judgeSqliteFullDisk(code: string | undefined, room: FileSystemRoom | null): boolean {
  if (code === 'SQLITE_FULL') return true;
  if (code === undefined || !(code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN'))) return false;
  if (room === null) return false;
  return room.bytesFree < NEXT_TO_NO_ROOM_BYTES || (room.files > 0 && room.filesFree === 0);
}

/** judgeSqliteFullDisk for err, with the room left on the file system that holds `dir`. */
export function isSqliteFullDisk(err: unknown, dir: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return false;
  let room: FileSystemRoom | null = null;
  try {
    const fs = statfsSync(dir);
    room = { bytesFree: fs.bavail * fs.bsize, files: fs.files, filesFree: fs.ffree };
  } catch {
    // Cannot be looked at: only SQLite's own SQLITE_FULL counts.
  }
  return judgeSqliteFullDisk(code, room);
}
