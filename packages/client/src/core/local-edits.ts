// "Did someone on R edit this?" — compares what R's disk holds with what R last received. The
// stat recorded right after writing (size, mtime, inode, and a ctime no later than a bound taken
// then) is trusted as proof that nothing changed; when it differs, only a hash can tell (a touch
// or a rewrite with the same bytes is not an edit; an edit followed by `touch -r` keeps size,
// mtime and inode, but not the ctime). Pure: the shell stats and hashes, these functions decide.
import type { LocalState, Placement, RecordedEntry } from './types.js';

/**
 * - absent: nothing at the path;
 * - unchanged: R holds exactly what it last received;
 * - edited: R changed what it received (content, or a file became a dir / a link);
 * - untracked: R holds something E never sent it (no record);
 * - unknown: the stat differs from the record and no hash was taken yet.
 */
export type LocalEditState = 'absent' | 'unchanged' | 'edited' | 'untracked' | 'unknown';

type Recorded = Pick<RecordedEntry, 'kind' | 'checksum' | 'local_size' | 'local_mtime' | 'local_ino' | 'local_ctime_max'>;

export function statMatches(recorded: Recorded, local: LocalState): boolean {
  return (
    local.kind === 'file' &&
    recorded.kind === 'file' &&
    recorded.local_size === local.size &&
    recorded.local_mtime === local.mtime &&
    recorded.local_ino === local.ino &&
    !ctimeMovedPast(recorded.local_ctime_max, local.ctime)
  );
}

/** true when a file's ctime shows a write after the recorded bound (unknown on either side: false). */
export function ctimeMovedPast(bound: number | null | undefined, ctime: number | undefined): boolean {
  return bound !== null && bound !== undefined && ctime !== undefined && ctime > bound;
}

/**
 * Whether two stats of one file, the plan's and a last-moment one, agree on its ctime. Two ctimes
 * both within the bound recorded after R's own write of the file agree: no write since could give
 * one (every later write moves it past the bound), so they are that write as seen at two moments.
 * A FUSE root (bindfs, exfat-fuse, ntfs-3g) shows for up to a second after zync placed a file the
 * ctime its kernel set at the link, then, once its attribute cache lapses or a read refreshes it,
 * the backing file system's. Without a bound, or past it, only the same ctime agrees; unknown on
 * either side: agrees.
 */
export function ctimesAgree(planned: number | undefined, current: number | undefined, bound: number | null | undefined): boolean {
  if (planned === undefined || current === undefined || planned === current) return true;
  return bound !== null && bound !== undefined && !ctimeMovedPast(bound, planned) && !ctimeMovedPast(bound, current);
}

export function classifyLocalEdit(recorded: Recorded | null | undefined, local: LocalState): LocalEditState {
  if (local.kind === 'absent') return 'absent';
  if (!recorded) return 'untracked';
  if (local.kind === 'other') return 'edited';
  if (local.kind === 'dir') return recorded.kind === 'dir' ? 'unchanged' : 'edited';
  if (recorded.kind !== 'file') return 'edited';
  if (statMatches(recorded, local)) return 'unchanged';
  if (local.checksum === undefined) return 'unknown';
  return local.checksum === recorded.checksum ? 'unchanged' : 'edited';
}

/** The checksum of R's local file when it is known without reading it (or was hashed). */
export function knownLocalChecksum(recorded: Recorded | null | undefined, local: LocalState): string | undefined {
  if (local.kind !== 'file') return undefined;
  if (local.checksum !== undefined) return local.checksum;
  if (recorded && statMatches(recorded, local)) return recorded.checksum ?? undefined;
  return undefined;
}

/**
 * Whether planning this path needs the local file's hash: R holds a file the stat cannot vouch
 * for, and the decision depends on its content (same as E's? unchanged since received?).
 */
export function needsLocalHash(
  entry: { kind: 'file' | 'dir'; operation: 'add' | 'modify' | 'delete' },
  recorded: Recorded | null | undefined,
  local: LocalState,
): boolean {
  if (local.kind !== 'file' || knownLocalChecksum(recorded, local) !== undefined) return false;
  if (recorded?.kind === 'file') return true;
  // No file recorded (none, or a directory R since replaced with this file): only a file
  // arriving from E is compared with it (same bytes need no transfer, other bytes a copy).
  return entry.kind === 'file' && entry.operation !== 'delete';
}

/**
 * Whether a noted content may stand for what R received at its path: E held it there later than
 * the state R's record comes from, and, in a resync, later than the position R had reached before
 * it (`passed`, ClientStore.passedThrough): R had applied what came before, deletions too, which
 * leave no record. A page that replays history R has passed (a full resync from 0, a page pulled
 * again after a failure) shows contents E held only before that; R's file holding one of them is
 * R's edit (a revert to an older version, or a file E deleted that R put back), not a content R
 * would have received by pulling in between. Record sequence 0: older than E's log (a record from
 * the log of a database E replaced, ClientStore.startResync, or none yet). A note without a
 * sequence (noted by an older zync) is not known to be later than anything: R's edit, kept —
 * unless a stopped (killed) batch left it as the content it would write there (sql/011: 2, 3;
 * sql/016 `placed`): such a batch pulled past R's record and past any position a later resync
 * starts from, and may have renamed it into place, so it is E's, with or without a sequence (an
 * older zync's killed batch, then an upgrade), even an old content a replayed page ends with.
 * An older content the stopped batch's page showed (superseded, or a deletion's) it never wrote:
 * as its sequence says, like any other note.
 */
export function notedAfter(recorded: Pick<RecordedEntry, 'sequence'> | null | undefined, note: Placement, passed = 0): boolean {
  if ((note.batch === 2 || note.batch === 3) && note.placed !== false) return true;
  const since = Math.max(recorded?.sequence ?? 0, passed);
  if (since === 0) return true;
  return note.sequence != null && note.sequence > since;
}

/**
 * Whether a note may stand for what R received in a resync against a log R's state cannot be
 * placed in (`unordered`: E's database replaced, or restored from a backup whose log ends before
 * R's position; ClientStore.resyncAgainstForgottenLog): its sequences say nothing about R's
 * records, so only a killed batch's note (it pulled past R's state) or E's content at the path now
 * (`current`: the entry's own, null for a deletion) is E's. A superseded or deleted content R's file
 * holds may be R's revert or put-back: not taken for E's. Against R's record it is R's edit (kept
 * where E still holds R's base, else a conflict copy); with no record, where E deleted the path, it
 * is kept as a conflict copy (plan-pull.ts heldByEBefore), so E's old file never goes upstream as R's.
 */
export function mayAdoptUnordered(note: Placement, current: string | null): boolean {
  // A killed batch vouches only for what it would have written (notedAfter), not for the content
  // a deletion of its page removed.
  return ((note.batch === 2 || note.batch === 3) && note.placed !== false) || note.checksum === current;
}

/**
 * What R received at a path, counting a file a run killed between its rename and its record
 * placed there: `placed` are E's contents the batch noted for the path (sql/005-placements.sql).
 * A hashed local file holding one of them, noted after R's record and after `passed` (notedAfter),
 * is E's, as if recorded with its current stat; any other file stands as it was (R's own, or R's
 * edit of what was recorded). `baseBits`: the permission bits taken as received (placementBaseBits).
 * `unordered`: a resync R's state cannot be placed in (mayAdoptUnordered), with E's current content.
 */
export function adoptPlacement<T extends Recorded & Pick<RecordedEntry, 'mode' | 'sequence'>>(
  recorded: T | null | undefined,
  local: LocalState,
  placed: readonly Placement[],
  baseBits: number,
  blank: () => T,
  passed = 0,
  unordered?: { current: string | null },
): T | null | undefined {
  if (local.kind !== 'file' || local.checksum === undefined) return recorded;
  const adoptable = (p: Placement): boolean =>
    p.checksum === local.checksum && notedAfter(recorded, p, passed) && (unordered === undefined || mayAdoptUnordered(p, unordered.current));
  if (!placed.some(adoptable)) return recorded;
  if (recorded?.kind === 'file' && recorded.checksum === local.checksum) return recorded;
  return {
    ...(recorded ?? blank()),
    kind: 'file',
    checksum: local.checksum,
    mode: baseBits & 0o7777,
    local_size: local.size,
    local_mtime: local.mtime,
    local_ino: local.ino,
    local_ctime_max: local.ctime ?? null,
    // The base bits stand for the file's own (see placementBaseBits).
    local_mode: null,
  };
}

/**
 * The bits a placement adopted after a kill -9 counts as received. Content R staged upstream
 * itself is R's edit that E applied: its bits are R's as the file has them (E's chmod, if any, is
 * then due to R). Otherwise it is a file the killed run fetched, written with E's bits or with R's
 * own chmod kept over E's content (core/file-modes.ts). Where the file has the bits an entry of E's
 * gave that content when it was noted (`placed`), it is as the killed run wrote it: they are the
 * base, and E's chmod since reaches R (E's bits served now, taken for the base, would make R's
 * unchanged file look chmodded on R, kept and sent upstream). Else E's served bits are the base,
 * so R's chmod stays R's; inexact where E chmodded too (R's bits stay, E is not told), or where R
 * chmodded the placed file to bits E once gave it (E's win). `servedMode` null: E's entry for the
 * path is its deletion, which serves no bits: the file's own stand (else its bits would read as
 * R's chmod against none, and E's deletion keep a conflict copy of E's file).
 */
export function placementBaseBits(
  local: LocalState,
  servedMode: number | null,
  stagedContents: readonly (string | null)[],
  placed: readonly Placement[] = [],
): number {
  if (local.kind !== 'file') return (servedMode ?? 0) & 0o7777;
  const bits = local.mode & 0o7777;
  const ownStaged = local.checksum !== undefined && stagedContents.includes(local.checksum);
  const asPlaced = placed.some((p) => p.checksum === local.checksum && p.mode !== null && (p.mode & 0o7777) === bits);
  return ownStaged || asPlaced || servedMode === null ? bits : servedMode & 0o7777;
}
