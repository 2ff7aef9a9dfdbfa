// What the daemon says when E's disk is full under its state directory: SQLite's SQLITE_FULL
// ("database or disk is full") or ENOSPC/EDQUOT from a file beside the database (its staging
// area too). One sentence builder with a stable code (DISK_FULL) that says what the daemon cannot
// do and names the file system to free — for the log, for the client whose request failed for
// it, and for an upload that could not be staged — so that E's log and R's user read the same
// words. Pure: no fs, no SQLite.
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
 * The one sentence for a full disk under E's state directory: what the daemon (or `who`) `cannot`
 * do, the directory `dir` whose file system needs room, and what happens `then`.
 */
export function eDiskFullSentence(cannot: string, dir: string, then: string, who = 'the daemon'): string {
  return `E's disk is full: ${who} cannot ${cannot}. Free space on the file system that holds ${dir} (df ${dir}); ${then}.`;
}

/**
 * DISK_FULL naming the state database and the directory whose file system needs room; null when
 * err is not a full disk. `unrecorded` says what goes unrecorded meanwhile, where that is not
 * plain (the clients' contacts). Nothing needs restarting: the daemon tries again by itself.
 */
export function stateDiskFullError(err: unknown, dbPath: string, unrecorded?: string): ZyncError | null {
  if (!isDiskFull(err)) return null;
  const what = unrecorded === undefined ? '' : `, so it cannot record ${unrecorded}`;
  return new ZyncError(
    'DISK_FULL',
    eDiskFullSentence(`write its state database ${dbPath}${what}`, nodePath.dirname(dbPath), 'the daemon carries on by itself once there is room, no restart needed'),
    { cause: err },
  );
}

/**
 * DISK_FULL for a daemon that could not start (its database opened or its start-up scan
 * recorded): it has stopped, so it is started again once there is room; null when err is not a
 * full disk.
 */
export function startDiskFullError(err: unknown, dbPath: string): ZyncError | null {
  if (!isDiskFull(err)) return null;
  return new ZyncError(
    'DISK_FULL',
    eDiskFullSentence(`write its state database ${dbPath}, so it did not start`, nodePath.dirname(dbPath), 'then start the daemon again'),
    { cause: err },
  );
}

/**
 * DISK_FULL for an upload E could not stage (`cannot`: "stage docs/a.txt (session … was
 * aborted)"); the staging area lives in `stagingRoot`. R's user sends again once there is room.
 */
export function stagingDiskFullError(cannot: string, stagingRoot: string, cause: unknown): ZyncError {
  return new ZyncError('DISK_FULL', eDiskFullSentence(cannot, stagingRoot, 'then run --update-upstream again'), { cause });
}

/**
 * DISK_FULL for zync-apply, which could not `cannot` ("open the daemon's state database …") the
 * database at dbPath for a full disk; null when err is not a full disk. zync-apply retries
 * nothing by itself: its user runs it (`again`, the command where it is known) again.
 */
export function applyDiskFullError(err: unknown, cannot: string, dbPath: string, again = 'zync-apply'): ZyncError | null {
  if (!isDiskFull(err)) return null;
  return new ZyncError('DISK_FULL', eDiskFullSentence(cannot, nodePath.dirname(dbPath), `then run ${again} again`, 'zync-apply'), { cause: err });
}
