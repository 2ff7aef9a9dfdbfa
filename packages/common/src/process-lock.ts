// One process at a time per state file: a lock file beside it holding the owner's pid, linked
// into place whole (so it never exists without its pid, and two processes starting together
// cannot both win). A lock whose owner is gone (kill -9, a reboot) is stale and taken over; so is
// one naming our own pid that we do not hold (containers reuse pids), and on Linux one whose pid
// now belongs to a program that is not zync's. Two daemons on one database would log every change twice, and
// two clients on one R would race each other's renames; this refuses the second with one sentence.
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { fromFsError, ZyncError } from './protocol/errors.js';

export interface ProcessLock {
  readonly path: string;
  /** Removes the lock file if it is still ours; safe to call more than once. */
  release(): void;
}

/** Lock files this process holds: a lock naming our own pid but not in here is a dead one's. */
const held = new Set<string>();

/**
 * Takes the lock at lockPath for this process, or throws IN_USE naming the owner. `what` is
 * the state the lock guards, for the message (e.g. "the database /srv/sync.db").
 */
export function acquireProcessLock(lockPath: string, program: string, what: string): ProcessLock {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (publish(lockPath)) {
      held.add(lockPath);
      const release = () => {
        if (!held.delete(lockPath)) return;
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
    const owner = readOwner(lockPath);
    if (owner !== null && isLiveOwner(lockPath, owner)) {
      throw new ZyncError('IN_USE', `Another ${program} (pid ${owner}) is using ${what}; stop it first (if no such process runs, remove ${lockPath}).`);
    }
    claimStale(lockPath, owner);
  }
  throw new ZyncError('IN_USE', `Could not take ${lockPath}: other processes keep taking it; try again.`);
}

/**
 * Makes lockPath name this process, or returns false when it exists. The pid is written to a
 * file of our own first and linked into place, so no one ever sees a lock without its pid.
 */
function publish(lockPath: string): boolean {
  const draft = `${lockPath}.${process.pid}.new`;
  try {
    writeFileSync(draft, `${process.pid}\n`, { mode: 0o644 });
    linkSync(draft, lockPath);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'ENOSPC' || code === 'EDQUOT') throw fromFsError(err, `writing the lock file ${lockPath}`);
    throw new ZyncError('BAD_ARGUMENT', `Cannot create the lock file ${lockPath}: ${(err as Error).message}.`, { cause: err });
  } finally {
    try {
      unlinkSync(draft);
    } catch {
      // never written
    }
  }
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

function isLiveOwner(lockPath: string, pid: number): boolean {
  // Our own pid on a lock we do not hold: a previous process that had it (containers reuse pids).
  if (pid === process.pid) return held.has(lockPath);
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
 * Removes the stale lock that named `staleOwner`. It is renamed aside first, so only one process
 * gets it; if what was moved is not that lock (another process took over meanwhile and its live
 * lock is what got moved), it is put back.
 */
function claimStale(lockPath: string, staleOwner: number | null): void {
  const aside = `${lockPath}.stale-${process.pid}`;
  try {
    renameSync(lockPath, aside);
  } catch {
    return; // gone already: someone else claimed it
  }
  if (readOwner(aside) !== staleOwner) {
    try {
      linkSync(aside, lockPath);
    } catch {
      // a third process got in first; the next attempt reads whoever holds it now
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // nothing left to remove
  }
}
