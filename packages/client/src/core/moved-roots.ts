// Whether a root --dirs gives a new place is the tree R synced, moved there with `mv` within its
// file system, or another directory. R's records of what it received are what tells R's edits
// and deletions from E's files: kept for the same tree, they stay R's and go with the next
// --update-upstream; kept for another directory, every recorded file missing there would read as
// R's deletion (an upload offering to delete E's files) and every other file as R's edit (one
// taking E's back to it). So they are kept only on a proof a copy, a backup or a recycled inode
// cannot give: the root's disk was recorded, the old place no longer holds the files R wrote
// there, and the new place, on that disk, holds at least half of them exactly as R wrote them —
// the same inode, size and mtime, and a ctime within the bound R recorded after writing (a `mv`
// of their directory leaves all of that alone; a copy, `cp -al`, a restore, or a new file given
// a freed inode number, on that disk or another one given the same device number, moves the
// ctime). Content is no proof: a backup holds E's content too, and the files it lacks would read
// as R's deletions. Otherwise the records are dropped and the root resynced as another tree
// (nothing lost: R's differing files are kept as conflict copies). Pure: the shell stats.
import { statMatches } from './local-edits.js';
import type { LocalState, RecordedEntry } from './types.js';

type Recorded = Pick<RecordedEntry, 'kind' | 'checksum' | 'local_size' | 'local_mtime' | 'local_ino' | 'local_ctime_max'>;

/** What the shell found for one root --dirs moved, counted over the files R received there. */
export interface MovedTreeEvidence {
  name: string;
  from: string;
  to: string;
  /** Files R received at the old place (recorded with their content). */
  recordedFiles: number;
  /** The disk the root was on was never recorded (a state from before sql/007, or a start killed after binding): nothing can be proven. */
  diskUnknown?: true;
  /** Of them, still at the old place as R wrote them (the recorded inode, on the recorded disk). */
  stillAtOldPlace: number;
  /** Of them, at the new place exactly as R wrote them (writtenByR). */
  provenAtNewPlace: number;
}

/**
 * Whether the file found at a place is the one R wrote when it received it: on the disk the root
 * was recorded on, the recorded inode, size and mtime, and a ctime known and within the recorded
 * bound (no write, link or copy since).
 */
export function writtenByR(recorded: Recorded, local: LocalState, sameDisk: boolean): boolean {
  return (
    sameDisk &&
    recorded.checksum !== null &&
    recorded.local_ino !== null &&
    recorded.local_ctime_max !== null &&
    recorded.local_ctime_max !== undefined &&
    local.kind === 'file' &&
    local.ctime !== undefined &&
    statMatches(recorded, local)
  );
}

/** Whether the file at the old place is still the one R wrote there (its inode on the recorded disk). */
export function stillThere(recorded: Recorded, local: LocalState, sameDisk: boolean): boolean {
  return sameDisk && recorded.kind === 'file' && local.kind === 'file' && recorded.local_ino !== null && local.ino === recorded.local_ino;
}

/** At least half of what R received is proven at the new place: at most half could read as R's deletions. */
export function enoughProven(proven: number, recordedFiles: number): boolean {
  return recordedFiles > 0 && proven * 2 >= recordedFiles;
}

export function isSameTreeMoved(e: MovedTreeEvidence): boolean {
  return e.diskUnknown !== true && e.stillAtOldPlace === 0 && enoughProven(e.provenAtNewPlace, e.recordedFiles);
}

/** The line said when the records are kept (info). */
export function keptRecordsNote(e: MovedTreeEvidence): string {
  return (
    `The local directory for "${e.name}" moved from ${e.from} to ${e.to}: at least ${e.provenAtNewPlace} of the ${e.recordedFiles} file(s) R received are there as R wrote them, ` +
    `so R's records are kept — its edits and deletions there stay R's and go with the next --update-upstream.`
  );
}

/**
 * The warning said when they are dropped: why the new place was not taken for the same tree, and
 * what that costs the user, truly (nothing of R's there goes upstream as an edit or a deletion).
 */
export function droppedRecordsWarning(e: MovedTreeEvidence): string {
  const why = e.diskUnknown
    ? `the disk ${e.from} was on was never recorded, so R cannot tell the same files moved from a copy`
    : e.stillAtOldPlace > 0
      ? `${e.from} still holds the files R received there`
      : `fewer than half of the ${e.recordedFiles} file(s) R received are at ${e.to} as R wrote them (a copy, a backup or another directory; only a move within the disk keeps them so)`;
  return (
    `The local directory for "${e.name}" is now ${e.to}, not ${e.from}, and ${why}: it is taken for another directory. ` +
    `R's records for "${e.name}" are dropped and it is resynced there: E's files are fetched, a file of R's that differs from E's is kept as a conflict copy ` +
    `(not sent upstream), and a file R deleted at the old place comes back from E.`
  );
}
