// What the daemon says when its own state cannot be written because E's disk is full: SQLite's
// SQLITE_FULL ("database or disk is full") or ENOSPC/EDQUOT from a file beside the database. One
// sentence with a stable code (DISK_FULL) that names the file system to free, for the log and for
// the client whose request failed for it. Pure: no fs, no SQLite.
import * as nodePath from 'node:path';
import { errnoOf, isZyncError, ZyncError } from '@zync/common';

/** SQLite's and the OS's codes for "no room left" (better-sqlite3 puts SQLite's in `code`). */
const FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);

/** Whether err says the disk (or the user's quota) is full. */
export function isDiskFull(err: unknown): boolean {
  if (isZyncError(err)) return err.code === 'DISK_FULL';
  const code = errnoOf(err);
  return code !== undefined && FULL_CODES.has(code);
}

/**
 * DISK_FULL naming the state database and the directory whose file system needs room; null when
 * err is not a full disk. Nothing needs restarting: the daemon tries again by itself.
 */
export function stateDiskFullError(err: unknown, dbPath: string): ZyncError | null {
  if (!isDiskFull(err)) return null;
  const dir = nodePath.dirname(dbPath);
  return new ZyncError(
    'DISK_FULL',
    `E's disk is full: the daemon cannot write its state database ${dbPath}. ` +
      `Free space on the file system that holds ${dir} (df ${dir}); the daemon carries on by itself once there is room, no restart needed.`,
    { cause: err },
  );
}
