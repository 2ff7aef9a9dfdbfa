// One process at a time per state file: a lock file beside it holding the owner's pid, made with
// O_EXCL so two processes starting together cannot both win. A lock whose owner is gone (kill -9,
// a reboot) is stale and taken over; on Linux an owner pid that now belongs to a process that is
// not zync's counts as gone too. Two daemons on one database would log every change twice, and
// two clients on one R would race each other's renames; this refuses the second with one sentence.
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { fromFsError, ZyncError } from './protocol/errors.js';

export interface ProcessLock {
  readonly path: string;
  /** Removes the lock file if it is still ours; safe to call more than once. */
  release(): void;
}

/**
 * Takes the lock at lockPath for this process, or throws IN_USE naming the owner. `what` is
 * the state the lock guards, for the message (e.g. "the database /srv/sync.db").
 */
export function acquireProcessLock(lockPath: string, program: string, what: string): ProcessLock {
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = openSync(lockPath, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ZyncError('BAD_ARGUMENT', `Cannot create the lock file ${lockPath}: ${(err as Error).message}.`, { cause: err });
      }
      const owner = readOwner(lockPath);
      if (owner !== null && isRunningZync(owner)) {
        throw new ZyncError(
          'IN_USE',
          `Another ${program} (pid ${owner}) is using ${what}; stop it first (if no such process runs, remove ${lockPath}).`,
        );
      }
      claimStale(lockPath);
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } catch (err) {
      closeSync(fd);
      unlinkSync(lockPath);
      throw fromFsError(err, `writing the lock file ${lockPath}`);
    }
    closeSync(fd);
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      process.off('exit', release);
      if (readOwner(lockPath) === process.pid) {
        try {
          unlinkSync(lockPath);
        } catch {
          // already gone
        }
      }
    };
    process.on('exit', release);
    return { path: lockPath, release };
  }
  throw new ZyncError('IN_USE', `Could not take ${lockPath}: other processes keep taking it; try again.`);
}

/** The pid in a lock file, or null when it is unreadable or not a pid (a stale or torn lock). */
function readOwner(lockPath: string): number | null {
  try {
    const pid = Number(readFileSync(lockPath, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isRunningZync(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, under another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // A pid reused by another program after a reboot does not hold the lock.
    return /zync/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true; // no /proc (macOS): trust the pid
  }
}

/**
 * Removes a stale lock so that only one of several processes doing the same removes it: the
 * rename succeeds for one, the others find the file gone and try to create it afresh.
 */
function claimStale(lockPath: string): void {
  const aside = `${lockPath}.stale-${process.pid}`;
  try {
    renameSync(lockPath, aside);
    unlinkSync(aside);
  } catch {
    // taken by another process first
  }
}
