// A local root that disappears while a client runs (`mv ~/docs ~/documents`, or `rm -rf ~/docs`).
// At a run's start a missing root is made again (core/missing-roots.ts): the user asked for that
// place. Under a running client it is most often a move: made again and fetched whole, it would
// put a second full copy at the old place (gigabytes over a tunnel), and its records, forgotten,
// could no longer tell R's edits and deletions at the new place from E's files (core/moved-roots.ts
// keys on them). So it is held, as a root whose disk is not mounted is (core/root-disks.ts): not
// made, not pulled into, nothing sent from it, its records kept, until it is back at its place or
// the client is restarted (with its new place in --dirs, or as it is to fetch it again). A root
// already held for another reason (its disk, E not serving it) is said as that. A directory that
// appears at its place is taken back only if it is the tree that went, proven as a moved root is
// (core/moved-roots.ts); another one (an empty directory made after an `rm -rf`, say) would read
// as R's deletion of every file it lacks, so its records are dropped and it is fetched again, as
// a root found missing at a start is. Pure.
import { ZyncError } from '@zync/common';
import type { MissingRoot } from './missing-roots.js';
import { enoughProven, type MovedTreeEvidence } from './moved-roots.js';

/**
 * A root held as gone: missing, or something else than a directory at its place (`inTheWay`: a
 * symbolic link, say to where it was moved; a running client follows none, as a root's own place
 * is what R recorded its files under).
 */
export interface GoneRoot extends MissingRoot {
  inTheWay?: 'symlink' | 'other';
}

/** The roots a running client's pass holds as gone: missing now (or not a directory), and not held for another reason. */
export function rootsGoneWhileRunning<T extends MissingRoot>(missing: readonly T[], heldOtherwise: ReadonlySet<string>): T[] {
  return missing.filter((dir) => !heldOtherwise.has(dir.name));
}

/**
 * A root directory's own identity, "INO:BIRTH_NS": `mv` keeps it (so does a move back); an
 * `rm -rf` then `mkdir`, a `cp -a` or a restored backup make another directory, whose inode
 * number may be the freed one reused but whose birth time is new. BIRTH_NS is 0 where the file
 * system keeps no birth time, and where it equals the change time: without statx (an old kernel,
 * a seccomp profile) libuv gives the ctime for it, which moves with every entry made in the root,
 * and a directory nothing was made in since its birth says nothing more by its birth time.
 */
export function rootIdOf(stats: { ino: bigint; birthtimeNs: bigint; ctimeNs?: bigint }): string {
  const birth = stats.birthtimeNs === stats.ctimeNs ? 0n : stats.birthtimeNs;
  return `${stats.ino}:${birth}`;
}

/**
 * Whether the directory at a root's place is the one R recorded its files in when a pass last
 * ended there. 'unknown': nothing recorded (a state from before sql/017, or no pass ended since
 * its records were forgotten), or a file system without birth times and the same inode number
 * (reused or not: it cannot tell) — the caller weighs R's files then (isSameTreeBack).
 */
export function judgeRootDirectory(recorded: string | undefined, now: string): 'same' | 'other' | 'unknown' {
  if (recorded === undefined) return 'unknown';
  const [recordedIno, recordedBirth] = recorded.split(':');
  const [ino, birth] = now.split(':');
  if (recordedIno !== ino) return 'other';
  if (recordedBirth === '0' || birth === '0') return 'unknown';
  return recordedBirth === birth ? 'same' : 'other';
}

/** The warning for a directory at a root's place that is not the one R recorded (judgeRootDirectory). */
export function strangerRootWarning(dir: MissingRoot): string {
  return (
    `The local directory for "${dir.name}" (${dir.root}) is not the directory R synced there (made again, copied or restored from a backup since): ` +
    `R's records for "${dir.name}" are dropped and E's files are fetched into it by a full resync; a file there that differs from E's is kept as a conflict copy, ` +
    `and nothing of it is sent upstream before that resync.`
  );
}

/** The warning, once per going: what was found, what zync does, and the three ways forward. */
export function goneWhileRunningWarning(dir: GoneRoot): string {
  if (dir.inTheWay !== undefined) {
    const what = dir.inTheWay === 'symlink' ? 'a symbolic link' : 'something else';
    return (
      `The local directory for "${dir.name}" (${dir.root}) is now ${what}, not a directory: a running zync-client does not follow it. ` +
      `Nothing is pulled into it or sent from it, and R's records of it are kept. Put the directory back; or restart zync-client, which takes the ` +
      `directory a link leads to as the root's new place (a moved one keeps R's edits).`
    );
  }
  return (
    `The local directory for "${dir.name}" (${dir.root}) is gone — moved or deleted? ` +
    `A running zync-client does not make it again: nothing is pulled into it or sent from it, and R's records of it are kept. ` +
    `Put it back; or, if it moved, restart zync-client with --dirs ${dir.name}:NEWPLACE (R's edits there stay R's); ` +
    `or restart zync-client as it is to make it again empty and fetch E's files again.`
  );
}

/** The line for a root that is back at its place: held no more. */
export function backAgainNote(dir: MissingRoot): string {
  return `The local directory for "${dir.name}" (${dir.root}) is back; R catches up with it by a full resync.`;
}

/** The error a --once pass ends with when a root went between its start and its pass: the first named. */
export function goneWhileRunningError(gone: readonly MissingRoot[]): ZyncError {
  const first = gone[0]!;
  const more = gone.length > 1 ? ` (and ${gone.length - 1} more root(s) likewise)` : '';
  return new ZyncError(
    'ROOT_GONE',
    `The local directory for "${first.name}" (${first.root}) went away during the run${more}; nothing was pulled into it — put it back, or run again to make it again and fetch E's files there.`,
  );
}

/**
 * Whether the directory back at a held root's place is the tree that went: at least half of the
 * files R received there are as R wrote them (the same inode, size, mtime and ctime bound). A
 * root R received no file into has nothing to mistake; one whose disk was never recorded cannot
 * be proven either way and is trusted, as at a start.
 */
export function isSameTreeBack(e: Pick<MovedTreeEvidence, 'recordedFiles' | 'provenAtNewPlace' | 'diskUnknown'>): boolean {
  return e.diskUnknown === true || e.recordedFiles === 0 || enoughProven(e.provenAtNewPlace, e.recordedFiles);
}

/** The warning for a directory at a held root's place that is not the tree that went. */
export function otherTreeBackWarning(dir: MissingRoot, e: Pick<MovedTreeEvidence, 'recordedFiles'>): string {
  return (
    `The local directory for "${dir.name}" (${dir.root}) is there again, but fewer than half of the ${e.recordedFiles} file(s) R received are in it as R wrote them: ` +
    `it is taken for another directory. R's records for "${dir.name}" are dropped and E's files are fetched into it; a file there that differs from E's is kept as a conflict copy.`
  );
}
