// Whether a root --dirs gives a new place is the tree R synced, moved there (`mv docs documents`,
// or copied with its content), or another directory. R's records of what it received are what
// tells R's edits and deletions from E's files: kept for the same tree, they stay R's and go with
// the next --update-upstream; kept for another directory, every recorded file missing there would
// read as R's deletion (an upload offering to delete E's root) and every other file as R's edit.
// So they are kept only on evidence: the old place no longer holds the files R wrote there, and
// the new place holds at least half of them as R received them — the same inode on the same disk
// (a move within a file system keeps both), or E's content as recorded (a copy) — and none that is
// older than what R received: a file written before R wrote the recorded one (its ctime, which no
// one sets, before the bound R took then) that holds other content is no edit of R's but a copy
// made before R's last pull (a backup); kept, the records would send its stale content as R's
// edit and take E's file back to it. Otherwise they are dropped and the root resynced as another
// tree. Pure: the shell stats and hashes.
import type { LocalState, RecordedEntry } from './types.js';

type Recorded = Pick<RecordedEntry, 'kind' | 'checksum' | 'size' | 'local_ino' | 'local_ctime_max'>;

/** What the shell found for one root --dirs moved, counted over the files R received there. */
export interface MovedTreeEvidence {
  name: string;
  from: string;
  to: string;
  /** Files R received at the old place (recorded with their content). */
  recordedFiles: number;
  /** Of them, still at the old place as R wrote them (the recorded inode, on the recorded disk). */
  stillAtOldPlace: number;
  /** Of them, at the new place as R received them (the same inode on the same disk, or E's content). */
  provenAtNewPlace: number;
  /** Of them, at the new place with other content written before R received theirs (olderThanReceived). */
  olderAtNewPlace: number;
}

/**
 * How one recorded file at the new place counts: `same` (its inode on the disk the root was
 * recorded on), `hash` (only its content can tell: same size as received), `no` (absent, another
 * kind or size: R's edit or deletion if the tree is the same, nothing if it is not).
 */
export function proofOf(recorded: Recorded, local: LocalState, sameDisk: boolean): 'same' | 'hash' | 'no' {
  if (recorded.kind !== 'file' || recorded.checksum === null || local.kind !== 'file') return 'no';
  if (sameDisk && recorded.local_ino !== null && local.ino === recorded.local_ino) return 'same';
  return local.size === recorded.size ? 'hash' : 'no';
}

/**
 * Whether the file at the new place, not the one R wrote (`proof` is not `same`), was written
 * before R wrote what it received there: its ctime is before the bound R recorded then. If its
 * content is not what R received, it is older content, not R's edit. Unknown ctimes: false.
 */
export function olderThanReceived(recorded: Recorded, local: LocalState): boolean {
  const bound = recorded.local_ctime_max;
  return recorded.kind === 'file' && local.kind === 'file' && bound !== null && bound !== undefined && local.ctime !== undefined && local.ctime < bound;
}

/** Whether the file at the old place is still the one R wrote there. */
export function stillThere(recorded: Recorded, local: LocalState, sameDisk: boolean): boolean {
  return sameDisk && recorded.kind === 'file' && local.kind === 'file' && recorded.local_ino !== null && local.ino === recorded.local_ino;
}

/** At least half of what R received is proven at the new place: at most half could read as R's deletions. */
export function enoughProven(proven: number, recordedFiles: number): boolean {
  return recordedFiles > 0 && proven * 2 >= recordedFiles;
}

export function isSameTreeMoved(e: MovedTreeEvidence): boolean {
  return e.stillAtOldPlace === 0 && e.olderAtNewPlace === 0 && enoughProven(e.provenAtNewPlace, e.recordedFiles);
}

/** The line said when the records are kept (info). */
export function keptRecordsNote(e: MovedTreeEvidence): string {
  return (
    `The local directory for "${e.name}" moved from ${e.from} to ${e.to}: at least ${e.provenAtNewPlace} of the ${e.recordedFiles} file(s) R received are there as received, ` +
    `so R's records are kept — its edits and deletions there stay R's and go with the next --update-upstream.`
  );
}

/**
 * The warning said when they are dropped: why the new place was not taken for the same tree, and
 * what that costs the user, truly (nothing of R's there goes upstream as an edit or a deletion).
 */
export function droppedRecordsWarning(e: MovedTreeEvidence): string {
  const why =
    e.stillAtOldPlace > 0
      ? `${e.from} still holds the files R received there`
      : e.olderAtNewPlace > 0
        ? `${e.to} holds files older than those R received (a copy made before R's last pull)`
        : `fewer than half of the ${e.recordedFiles} file(s) R received are at ${e.to} as received`;
  return (
    `The local directory for "${e.name}" is now ${e.to}, not ${e.from}, and ${why}: it is taken for another directory. ` +
    `R's records for "${e.name}" are dropped and it is resynced there: E's files are fetched, a file of R's that differs from E's is kept as a conflict copy ` +
    `(not sent upstream), and a file R deleted at the old place comes back from E.`
  );
}
