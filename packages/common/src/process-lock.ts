// One process at a time per state file: a lock file beside it holding the owner's pid, linked
// into place whole (so it never exists without its pid, and two processes starting together
// cannot both win). A lock whose owner is gone (kill -9, a reboot) is stale and taken over; so is
// one naming our own pid that we do not hold (containers reuse pids), and on Linux one whose pid
// now belongs to a program that is not zync's. Two daemons on one database would log every change twice, and
// two clients on one R would race each other's renames; this refuses the second with one sentence
// naming the running owner's program (from its command line: the lock holds only the pid, which
// older zyncs read as a number).
// Where the file system has no hard links (FAT, some FUSE and network file systems) the lock is
// created exclusively and its pid written after: a lock without a pid is then given a moment to
// get one before it counts as torn, and a taker checks that the lock still names it once written.
// A process does not know which kind of directory it is in until link(2) fails with EPERM, which
// Linux reports only onto a new name (onto an existing lock, EEXIST): so every lock seen without a
// pid is waited for, and putting a lock back learns the kind of directory as publishing does.
import { closeSync, existsSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import * as nodePath from 'node:path';
import { hasNoHardLinks, noteLinkFailure } from './no-hard-links.js';
import { ZyncError } from './protocol/errors.js';

export interface ProcessLock {
  readonly path: string;
  /** Removes the lock file if it is still ours; safe to call more than once. */
  release(): void;
}

/** Lock files this process holds: a lock naming our own pid but not in here is a dead one's. */
const held = new Set<string>();

/** How long a lock without a pid may still be getting one, before it counts as torn. */
const UNWRITTEN_GRACE_MS = 2000;

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
    // Waited for in either mode: a lock without a pid comes only from a writer without hard links
    // (a linked lock has its pid from the start), and this process may not know it is among them.
    const owner = waitForOwner(lockPath);
    const live = owner === null ? null : liveOwner(lockPath, owner, program);
    if (owner !== null && live !== null) throw inUse(owner, live, program, what, lockPath);
    claimStale(lockPath, owner);
  }
  throw new ZyncError('IN_USE', `Could not take ${lockPath}: other processes keep taking it; try again.`);
}

/**
 * Makes lockPath name this process, or returns false when it exists. The pid is written to a
 * file of our own first and linked into place, so no one ever sees a lock without its pid; where
 * link(2) is refused, createNaming does instead.
 */
function publish(lockPath: string): boolean {
  const dir = nodePath.dirname(lockPath);
  const draft = `${lockPath}.${process.pid}.new`;
  // Held (the usual case when it exists): nothing to write. On a full disk the draft could not be
  // written, and a second process would fail on that instead of meeting the owner (a hand-off).
  if (existsSync(lockPath)) return false;
  try {
    // Where link(2) is refused, locks are created exclusively, pid after.
    if (hasNoHardLinks(dir)) return createNaming(lockPath, process.pid);
    writeFileSync(draft, `${process.pid}\n`, { mode: 0o644 });
    try {
      linkSync(draft, lockPath);
    } catch (err) {
      if (!noteLinkFailure(dir, err)) throw err;
      return createNaming(lockPath, process.pid);
    }
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'ENOSPC' || code === 'EDQUOT') throw new ZyncError('DISK_FULL', `No space left on the disk of ${lockPath} to write this lock file; free some space there and run again.`, { cause: err });
    throw new ZyncError('BAD_ARGUMENT', `Cannot create the lock file ${lockPath}: ${(err as Error).message}.`, { cause: err });
  } finally {
    try {
      unlinkSync(draft);
    } catch {
      // never written
    }
  }
}

/**
 * Where link(2) is refused: creates lockPath exclusively (EEXIST when it exists), then writes
 * pid. True only if the lock names pid once written: a taker of a torn lock may have moved this
 * one aside before its pid landed (and removed it), and the lock is then not ours.
 */
function createNaming(lockPath: string, pid: number): boolean {
  const fd = openSync(lockPath, 'wx', 0o644);
  try {
    writeSync(fd, `${pid}\n`);
  } catch (err) {
    // Removed by name, at once: a taker waits UNWRITTEN_GRACE_MS for the pid before moving a
    // lock aside, so what is at lockPath now is still the one made here.
    try {
      unlinkSync(lockPath);
    } catch {
      // already gone
    }
    throw err;
  } finally {
    closeSync(fd);
  }
  return readOwner(lockPath) === pid;
}

/** readOwner, but a lock without a pid (one createNaming is writing) is read again for a moment. */
function waitForOwner(lockPath: string): number | null {
  const deadline = Date.now() + UNWRITTEN_GRACE_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const owner = readOwner(lockPath);
    if (owner !== null || Date.now() >= deadline || !existsSync(lockPath)) return owner;
    Atomics.wait(pause, 0, 0, 20); // blocks the thread: locks are taken at start-up
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

/**
 * A lock's owner that runs: which zync program it is (null: a zync process, but which is not
 * clear from its command line), and whether that could be checked at all (no /proc: the pid is
 * trusted, and may be any program's).
 */
interface LiveOwner {
  program: string | null;
  checked: boolean;
}

/** The owner if it runs (and is zync's), else null: a stale lock. */
function liveOwner(lockPath: string, pid: number, ours: string): LiveOwner | null {
  // Our own pid on a lock we do not hold: a previous process that had it (containers reuse pids).
  if (pid === process.pid) return held.has(lockPath) ? { program: ours, checked: true } : null;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, under another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return { program: null, checked: false }; // no /proc (macOS): trust the pid
  }
  // A pid reused by another program after a reboot does not hold the lock.
  if (!argv.some((arg) => arg.includes('zync'))) return null;
  // The script node runs (bin/zync-client.js), or the command itself: the lock does not record
  // its program, and a daemon given a client's state takes the client's lock.
  const program = argv.map((arg) => /^(zync-(?:daemon|client|apply))(?:\.[cm]?js)?$/.exec(nodePath.basename(arg))?.[1]).find((p) => p !== undefined);
  return { program: program ?? null, checked: true };
}

/** IN_USE while the lock's owner runs, with its pid: a one-shot --update-upstream names it. */
export class LockHeldError extends ZyncError {
  constructor(
    readonly pid: number,
    message: string,
  ) {
    super('IN_USE', message);
  }
}

/**
 * The refusal while the lock's owner runs. Removing the lock by hand is never the advice where
 * the owner was checked: a lock of a process that is gone is taken over by itself.
 */
function inUse(pid: number, owner: LiveOwner, ours: string, what: string, lockPath: string): LockHeldError {
  const who = owner.program === ours ? `Another ${ours}` : owner.program !== null ? `A ${owner.program}` : 'Another zync process';
  const unchecked = owner.checked ? '' : ` (if pid ${pid} is not a zync process, remove ${lockPath})`;
  return new LockHeldError(pid, `${who} (pid ${pid}) is using ${what}; stop it first${unchecked}.`);
}

/**
 * Puts a live owner's lock, moved aside, back at lockPath: linked, or where link(2) is refused
 * (learnt here if not yet known: an earlier link failed with EEXIST) created with its pid. A lock
 * still without a pid is left to its taker, whose createNaming then finds it gone.
 */
function putBack(aside: string, lockPath: string, owner: number | null): void {
  const dir = nodePath.dirname(lockPath);
  if (!hasNoHardLinks(dir)) {
    try {
      linkSync(aside, lockPath);
      return;
    } catch (err) {
      if (!noteLinkFailure(dir, err)) throw err;
    }
  }
  if (owner !== null) createNaming(lockPath, owner);
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
  const moved = readOwner(aside);
  if (moved !== staleOwner) {
    try {
      putBack(aside, lockPath, moved);
    } catch {
      // Known race, not closed: between the rename and this put-back a third process can make
      // the lock (lockPath is free for that moment); the put-back then fails, and the owner whose
      // lock was moved aside runs on without one while the third process holds lockPath. The
      // next attempt here reads whoever holds it now.
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // nothing left to remove
  }
}
