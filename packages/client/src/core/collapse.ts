// Collapses a page of change log entries to the last state per (base_dir, path): applying only
// the last entry of each path reaches the same state as replaying them all — provided R also
// remembers every content the page shows E holding at a path (placementsOf), deleted contents
// included, with the sequence: a file of R's that holds one of them is E's, as if R had pulled
// between those entries, unless R's record of the path is later (a page replaying history R has
// passed, core/local-edits.ts notedAfter). Pure.
import type { ChangeEntry } from '@zync/common';
import type { EntryKey, Placement } from './types.js';

/** The last entry per path, in the order of those last entries' sequences. */
export function collapseChanges(changes: readonly ChangeEntry[]): ChangeEntry[] {
  const last = new Map<string, ChangeEntry>();
  for (const change of changes) {
    const key = `${change.base_dir}\u0000${change.path}`;
    const previous = last.get(key);
    if (!previous || previous.sequence <= change.sequence) last.set(key, change);
  }
  return [...last.values()].sort((a, b) => a.sequence - b.sequence);
}

/**
 * Every file content the entries show E holding at a path of a dir R syncs — superseded ones
 * included — with E's bits for it, for the batch to note before it touches the disk
 * (ClientStore.notePlacements). A collapsed page keeps only the last entry per path; without these
 * notes, E's apply of R's own file (an add) followed by E deleting it collapses to a deletion of a
 * file R "never received", and R keeps it, where a pull in between would have removed it. Only
 * the content of the path's last entry is `placed`: the batch renames no other into place, so a
 * batch killed -9 vouches for that one alone (notedAfter), not for an older content the page
 * replays (R's revert to it, or R's put-back of a file E deleted, stays R's).
 */
export function placementsOf(changes: readonly ChangeEntry[], dirNames: readonly string[]): (EntryKey & Placement)[] {
  const last = new Map(collapseChanges(changes).map((entry) => [`${entry.base_dir}\u0000${entry.path}`, entry]));
  return changes.flatMap((change): (EntryKey & Placement)[] => {
    const { sequence, base_dir, path, kind, operation, checksum, deleted_checksum, mode } = change;
    if (kind !== 'file' || !dirNames.includes(base_dir)) return [];
    // A deletion names what it removed (newer daemons): E held it, even where compaction dropped
    // the entry that put it there, and until the deletion's sequence; not with which bits.
    if (operation === 'delete') return deleted_checksum == null ? [] : [{ base_dir, path, checksum: deleted_checksum, mode: null, sequence, placed: false }];
    const final = last.get(`${base_dir}\u0000${path}`) === change;
    return checksum === null ? [] : [{ base_dir, path, checksum, mode, sequence, placed: final }];
  });
}

/**
 * Every directory the entries show E making or removing at a path of a dir R syncs, superseded
 * ones included: for the pull to forget R's staged directory records that have come back
 * (StagedRecords.forgetReturned), as placementsOf does for file contents.
 */
export function dirChangesOf(changes: readonly ChangeEntry[], dirNames: readonly string[]): (EntryKey & { removed: boolean })[] {
  return changes.flatMap(({ base_dir, path, kind, operation }) =>
    kind !== 'dir' || !dirNames.includes(base_dir) ? [] : [{ base_dir, path, removed: operation === 'delete' }],
  );
}
