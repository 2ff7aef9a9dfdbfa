// Plans how R reaches E's state for a collapsed batch of log entries: which directories to
// create, which files to download or copy from content R already holds, which attributes to
// set, what to delete — and where R's own edits must first be kept as conflict copies.
// Directories get E's permission bits last (see core/dir-modes.ts): a directory made 0500 or
// 0000 before its files are written would refuse them. Pure:
// the shell supplies the entries, what R recorded and what R's disk holds (stat, and a hash
// where needsLocalHash asked for one) and executes the plan, re-checking the disk before each
// destructive step.
//
// The no-loss rule: R's version is moved to a conflict copy before E's change replaces or
// deletes it whenever R's content differs from what R last received — unless E's new content
// equals R's (nothing is lost) or E's content is still the one R's edit was based on (R's edit
// stands and will go upstream) — or E's change is the one R itself staged upstream from what R
// holds as received (ownEditReturned): R's own edit acknowledged, whatever R did since stands.
// R's edit that a session E reports applied sent, where E's entry is not it, was not taken (keep
// E's, keep both): E's version stands over it as over E's own change (declinedEdit).
// A file's permission bits are merged apart from its content (core/file-modes.ts): R's chmod
// survives E's content change, and E's chmod reaches R's content edit (staged or not). E's deletion of a file R
// only chmodded keeps it as a conflict copy too, but where E renamed it the chmod follows the file.
import type { ChangeEntry } from '@zync/common';
import { appendOffset } from './appended.js';
import { MADE_DIR_MODE } from './dir-modes.js';
import { carriesNoChmod, chmodOnR, mergeFileMode, type FileModeMerge } from './file-modes.js';
import { classifyLocalEdit, knownLocalChecksum } from './local-edits.js';
import type { EntryKey, LocalState, RecordedEntry } from './types.js';

export interface PlanInput {
  /** The last entry for the path in this batch (see collapseChanges). */
  entry: ChangeEntry;
  recorded: RecordedEntry | null | undefined;
  local: LocalState;
  /**
   * The batch's page shows E making a directory at this path, superseded or not (dirChangesOf):
   * a directory there is E's, as if R had pulled in between, even unrecorded (a run killed
   * after its mkdir and before its record).
   */
  eMadeDir?: boolean;
  /**
   * What R staged upstream at this path in each session E may not have applied yet, oldest
   * first (staged-records.ts): R may have sent the path again before E applied the first.
   */
  staged?: readonly StagedAtPath[] | undefined;
  /**
   * Nothing at the path, and its directory is there on R: R deleted the file alone (looked at
   * only where R staged something there). Not told: R's directory went, or became a file.
   */
  inDir?: boolean;
  /**
   * The batch belongs to a full resync, and the path's root was there when the pass began and is
   * now: E's entry states what E holds now, not a change E made since R's record (keptDeletion).
   */
  resyncing?: boolean;
  /**
   * A resync replays E's log from its start, and R had applied this entry before the resync
   * began (its sequence at or below ClientStore.passedThrough): a directory R holds unrecorded
   * where this entry deletes one was made by R since, not E's.
   */
  replayed?: boolean;
  /**
   * In a resync R's state cannot be placed in (core/local-edits.ts mayAdoptUnordered), R's file
   * holds a content E's page shows at the path that is not E's current one: R's own (a put-back)
   * or E's old one, which cannot be told apart. Where E deleted the path, such a file R never
   * received is kept as a conflict copy, never sent upstream, rather than left as R's new file.
   */
  heldByEBefore?: boolean;
}

/** A staged record's part the planner compares: what R sent, and what it had received then. */
export interface StagedAtPath {
  kind: 'file' | 'dir';
  operation: 'add' | 'modify' | 'delete';
  /** What was sent (null: a deletion). */
  checksum: string | null;
  base_checksum: string | null;
  /** Permission bits sent (null: a deletion, a directory, or staged before modes were kept). */
  mode: number | null;
  /** The bits R had received when it sent `mode` (null or absent: not a modify, or staged before they were kept). */
  base_mode?: number | null;
  /** The session that holds it, for the log (absent: not told). */
  staging_id?: string;
  /**
   * E reports that session applied: whatever E's entry holds now is E's decision over this row,
   * so R's edit it sent, where E's entry is not it, was not taken (keep E's, keep both).
   */
  settled?: boolean;
  /**
   * E reports that session applied, but its apply began only after E logged this entry
   * (UPSTREAM_STATUS's applied_from): E's decision on R's edit comes in a later entry for the path.
   */
  appliedLater?: boolean;
}

/**
 * Why R holds a directory where E now has a file, for the conflict report when that directory is
 * not empty: it came from E and E replaced it with a file; R made it where E never had anything
 * and E added a file there; or R made it in place of a file it had received, which E then changed.
 */
export type ClearDir = 'e-replaced-dir' | 'e-added-file' | 'e-changed-file';

function clearDirCase(recorded: RecordedEntry | null | undefined): ClearDir {
  if (recorded?.kind === 'dir') return 'e-replaced-dir';
  return recorded?.kind === 'file' ? 'e-changed-file' : 'e-added-file';
}

/**
 * The permission bits of a file E's change writes or touches, where they are not simply E's:
 * `keepBits`, R's own chmod (E made none): R's file keeps them, the record holds E's, so the
 * next --update-upstream sends R's chmod; `replacedBits`, R's chmod that E's different one
 * replaces, to say so.
 */
export interface ModeDecision {
  keepBits?: number;
  replacedBits?: number;
}

function modeDecision(merge: FileModeMerge | null): ModeDecision {
  if (merge === null) return {};
  if (merge.keptR) return { keepBits: merge.bits };
  return merge.replacedR === null ? {} : { replacedBits: merge.replacedR };
}

/** The merge of E's bits with R's file's, against those R received (none for a file never received). */
function mergeModes(input: PlanInput): FileModeMerge | null {
  const { entry, recorded, local } = input;
  if (local.kind !== 'file' || entry.kind !== 'file') return null;
  return mergeFileMode(recorded?.kind === 'file' ? recorded : null, local.mode, entry.mode);
}

/**
 * The bits a fetched file is written with, and the mode recorded as received for it, given the
 * mode the daemon served with the content. Where R's bits are kept, the record holds the entry's
 * mode they were weighed against, not a newer one E served meanwhile: that chmod of E's then meets
 * R's as a change on both sides when its own entry comes, instead of passing for the base.
 */
export function fetchedModes(action: { entry: ChangeEntry; keepBits?: number }, served: number): { write: number; record: number } {
  return action.keepBits === undefined ? { write: served, record: served } : { write: action.keepBits, record: action.entry.mode };
}

/** What to do with the thing at a path that E's directory replaces. */
export type MoveAside = 'none' | 'remove' | 'keep-copy';

export type PullAction =
  /**
   * Create the directory, owner-only until its set-dir-mode (planned with it) gives it E's mode;
   * first remove R's unchanged file there, or keep R's other thing as a copy.
   */
  | { type: 'mkdir'; entry: ChangeEntry; local: LocalState; moveAside: MoveAside }
  /**
   * Give the directory E's permission bits, after everything else in the batch; record the entry.
   * `made`: the directory is created by this batch's mkdir (not an attribute change on R).
   * `finishes`: a run stopped before it recorded the directory and gave it E's mode made it (no
   * record, still owner-only as zync makes them): finished here, so counted as created, not as a
   * mode change the user never made.
   */
  | { type: 'set-dir-mode'; entry: ChangeEntry; local: LocalState; made: boolean; finishes?: true }
  /**
   * Bring E's file: copy it from `source` (a path R holds with the same content) when given and
   * still intact, else download it. `keepCopy`: R's version at the path goes to a conflict copy
   * first. `clearDir` (null: no directory in the way): R holds a directory there; remove it if
   * empty, else keep it as a copy. Bits: see ModeDecision (`keepBits` may also be R's chmod of
   * the path E renamed from, carryRenamedChmods). `appendFrom`: R's file, unchanged, may be E's
   * first bytes (core/appended.ts): the download asks for what follows them only.
   */
  | ({
      type: 'fetch';
      entry: ChangeEntry;
      local: LocalState;
      source: EntryKey | null;
      keepCopy: boolean;
      clearDir: ClearDir | null;
      appendFrom?: number;
      /**
       * R deleted the file it received, and E changed it since: E's version comes back (said) —
       * `content` changed, or only its permission bits (`mode`, E's chmod: as much E's change).
       */
      restored?: 'content' | 'mode';
    } & ModeDecision)
  /** R already holds E's content; only mode / mtime differ. Bits: see ModeDecision. */
  | ({ type: 'set-attributes'; entry: ChangeEntry; local: LocalState } & ModeDecision)
  /**
   * Nothing to do on disk; record the entry. `keepBase`: R's edit stands (E still has the
   * content R's edit was based on), so the recorded base stays as it was, but for `bits`: E's
   * permission bits, which R's file takes (E's chmod; the record then holds them as received), or
   * `receivedBits`: R's file has E's new bits already (the same chmod on both sides), recorded.
   * `keepBits` (not keepBase): R's own chmod, which R's file has already; the record holds E's.
   */
  | { type: 'record'; entry: ChangeEntry; local: LocalState; keepBase: boolean; bits?: number; replacedBits?: number; receivedBits?: true; keepBits?: number }
  /**
   * E's change is R's own staged edit applied on E: record E's entry as received (the new base)
   * and leave R's disk alone — what R holds now (a later edit, a deletion) is an edit not yet sent.
   */
  /**
   * `bits`: E's permission bits for R's file, where R changed none since staging (E's own chmod).
   * `stagedIn`: what R holds now is already staged, in this later session (not "goes upstream next").
   */
  | { type: 'record-staged'; entry: ChangeEntry; local: LocalState; bits?: number; stagedIn?: string }
  /**
   * Delete R's file; `keepCopy`: it holds R's edits, keep them as a conflict copy instead.
   * `chmodded`: R's edit is a chmod alone (these bits), content as received. `carriedTo`: that
   * chmod goes with the content to the path E renamed the file to (carryRenamedChmods), so no
   * copy — unless that fetch failed, then the copy is kept after all. `received`: R's file holds
   * this content as R received it, unchanged, so it may be held for later copies (core/held-files.ts).
   */
  | {
      type: 'delete-file';
      entry: ChangeEntry;
      local: LocalState;
      keepCopy: boolean;
      chmodded?: number;
      carriedTo?: ChangeEntry;
      received?: string;
      /** Where E moved the file (noteMoves): said instead of "E deleted it". Words only. */
      movedTo?: EntryKey;
      /**
       * Not paired with an add in this batch: the non-empty content R received there, for a later
       * page's add of it to say E moved it after all (core/late-moves.ts). Words only.
       */
      unpairedContent?: string;
    }
  /** Remove the directory once empty (a non-empty one holds R's files and is kept). `movedTo`: see noteMoves. */
  | { type: 'delete-dir'; entry: ChangeEntry; local: LocalState; movedTo?: EntryKey }
  /** Drop the record; leave the disk alone (nothing there, or something R made itself). */
  | { type: 'forget'; entry: ChangeEntry; local: LocalState }
  /**
   * Leave R's file and its record as they are: E's entry is older than E's apply of the session
   * holding R's file (`staging_id`), whose outcome for the path a later entry brings (awaitsApply).
   */
  | { type: 'await-apply'; entry: ChangeEntry; local: LocalState; staging_id: string | undefined };

/** Order in which a batch is executed; see planPull. */
export const PHASES = ['mkdir', 'copy', 'download', 'attributes', 'delete-files', 'delete-dirs', 'replace-dirs', 'dir-modes'] as const;
export type Phase = (typeof PHASES)[number];

const MTIME_TOLERANCE_MS = 1;

/**
 * R's file has E's attributes: E's bits, or (E's bits as R received them) the bits R's file had
 * once written, which a root without Unix modes shows instead of E's.
 */
function attributesMatch(entry: ChangeEntry, recorded: RecordedEntry | null | undefined, local: LocalState, bits: number): boolean {
  if (local.kind !== 'file' || Math.abs(local.mtime - entry.mtime) >= MTIME_TOLERANCE_MS) return false;
  if ((local.mode & 0o7777) === bits) return true;
  return recorded?.kind === 'file' && (recorded.mode & 0o7777) === bits && chmodOnR(recorded, local.mode) === null;
}

/**
 * Whether E's change is R's own: R staged exactly this (the same content, or a deletion) in a
 * session still pending, from what R still holds as received, and R no longer holds E's content
 * (else the usual record updates the stat). What R holds as received may also be what an earlier
 * of those sessions sent (E applied it, and R recorded it here): E applies sessions in turn, so a
 * later one's base on E is that. Content R never staged is E's own change. Only a file, or nothing
 * in a directory R still has: a directory or a link R put there since goes the usual way (a link
 * would go upstream as the file's deletion). Where R received something else since staging (E's
 * own change, pulled), R's edit was superseded on R, and E's change now is E's decision: the usual
 * rules apply.
 */
export function ownEditReturned(input: PlanInput): boolean {
  const { entry, recorded, local } = input;
  if (entry.kind !== 'file') return false;
  if (local.kind !== 'file' && local.kind !== 'absent') return false;
  if (recorded && recorded.kind !== 'file') return false;
  const received = recorded?.checksum ?? null;
  const staged = input.staged ?? [];
  const returned = staged.filter((s, at) => {
    if (s.kind !== 'file' || !sentAs(s, entry)) return false;
    return s.base_checksum === received || staged.slice(0, at).some((before) => before.kind === 'file' && sentChecksum(before) === received);
  });
  if (returned.length === 0) return false;
  if (entry.operation === 'delete') return true;
  // A file gone with its directory (R replaced that with a file, say) is no deletion of R's:
  // E's directory and what it holds come back as they would without a staged record.
  if (local.kind === 'absent') return input.inDir === true;
  // Unknown: the usual rules ask for the hash.
  const held = knownLocalChecksum(recorded, local);
  if (held === undefined) return false;
  if (held !== entry.checksum) return true;
  // R holds E's content with other permission bits than it sent and than E's: a chmod R made
  // since staging, R's edit to send next (set-attributes would undo it silently).
  const bits = local.mode & 0o7777;
  return bits !== (entry.mode & 0o7777) && returned.some((s) => s.mode !== null && s.mode !== bits);
}

/**
 * The sessions whose edit can still be coming back at the end of a page, given the contents E held
 * at the path within it (`heldInPage`): where the page shows E holding what a later session sent,
 * that session reached E after the earlier ones, and E's change back to an earlier session's
 * content is E's own decision (a revert), not R's edit returning.
 */
export function sessionsStillReturning(staged: readonly StagedAtPath[], heldInPage: ReadonlySet<string> | undefined): readonly StagedAtPath[] {
  if (!heldInPage || heldInPage.size === 0) return staged;
  let latest = -1;
  staged.forEach((s, at) => {
    const sent = sentChecksum(s);
    if (s.kind === 'file' && sent !== null && heldInPage.has(sent)) latest = at;
  });
  return latest > 0 ? staged.slice(latest) : staged;
}

/** What a staged file row leaves on E once applied (null: no file). */
function sentChecksum(s: StagedAtPath): string | null {
  return s.operation === 'delete' ? null : s.checksum;
}

/**
 * E's permission bits for R's file when E's change is R's own edit returned: where R's file still
 * has the bits R sent (R made no chmod since) and E's differ, they are a chmod E made, which the
 * three-way merge on E kept. Left as they are, R's next session would carry them as R's undo of it.
 */
function bitsFromE(input: PlanInput): number | undefined {
  const { entry, local } = input;
  if (entry.operation === 'delete' || local.kind !== 'file') return undefined;
  const bits = local.mode & 0o7777;
  const eBits = entry.mode & 0o7777;
  const sentBits = (input.staged ?? []).some((s) => s.kind === 'file' && sentAs(s, entry) && s.mode === bits);
  return sentBits && bits !== eBits ? eBits : undefined;
}

/**
 * When E's change is R's own edit returned: the later session that already holds what R has at
 * the path now (the newest session R sent there, if it is not the one E applied and it sent
 * exactly that: the same content and bits, or a deletion), else undefined — R's state since is
 * not staged yet.
 */
function stagedSince(input: PlanInput): string | undefined {
  const { entry, recorded, local } = input;
  const newest = input.staged?.at(-1);
  if (!newest || newest.kind !== 'file' || sentAs(newest, entry)) return undefined;
  if (local.kind === 'absent') return newest.operation === 'delete' ? newest.staging_id : undefined;
  if (local.kind !== 'file' || newest.operation === 'delete') return undefined;
  const held = knownLocalChecksum(recorded, local);
  const sameBits = newest.mode === null || newest.mode === (local.mode & 0o7777);
  return held !== undefined && held === newest.checksum && sameBits ? newest.staging_id : undefined;
}

/** A staged edit of a file's content that leaves its bits to E (core/file-modes.ts). */
function leavesBitsToE(s: StagedAtPath): boolean {
  return s.kind === 'file' && s.operation === 'modify' && carriesNoChmod(s);
}

/** Whether E's change is what this staged row sent. */
function sentAs(s: StagedAtPath, entry: ChangeEntry): boolean {
  return entry.operation === 'delete' ? s.operation === 'delete' : s.operation !== 'delete' && s.checksum === entry.checksum;
}

/**
 * What of R's file a settled session sent (R's edit, as it still stands on R) and E's entry does
 * not hold: `content`, the contents among them; `bits`, R's bits where they are a chmod such a
 * session sent and E's entry has others. ownEditReturned is asked first: E's entry holding what R
 * sent is R's edit taken.
 */
function declinedEdit(input: PlanInput): { content: ReadonlySet<string>; bits: number | null } {
  const { entry, recorded, local } = input;
  const settled = (input.staged ?? []).filter((s) => s.settled === true && s.kind === 'file' && s.operation !== 'delete');
  if (settled.length === 0 || local.kind !== 'file' || entry.kind !== 'file') return { content: new Set(), bits: null };
  const content = new Set(settled.flatMap((s) => (s.checksum !== null && s.checksum !== entry.checksum ? [s.checksum] : [])));
  const bits = local.mode & 0o7777;
  const chmodded = recorded?.kind === 'file' && chmodOnR(recorded, local.mode) !== null;
  const sentBits = chmodded && bits !== (entry.mode & 0o7777) && settled.some((s) => s.mode === bits);
  return { content, bits: sentBits ? bits : null };
}

/**
 * The session whose outcome for the path is still to come, where R's file holds what it sent: E
 * applied it, but E logged this entry (other content) before its apply began, so the apply's own
 * entry for the path follows — R's content written, or E's file logged again where E kept it.
 * Judged now, as settled, R's edit would read as not taken and go to a conflict copy that E's next
 * entry may make identical to R's file. Not where another session is settled against this entry
 * (E's entry then is that apply's outcome).
 */
function awaitsApply(input: PlanInput, held: string): StagedAtPath | undefined {
  const staged = input.staged ?? [];
  if (staged.some((s) => s.settled === true)) return undefined;
  return staged.find((s) => s.appliedLater === true && s.kind === 'file' && s.operation !== 'delete' && s.checksum === held);
}

/**
 * R deleted what it had received, and a resync finds E still holding it as R received it (the
 * same content and bits, or the same directory): compared as states, nothing changed on E since,
 * so R's deletion stands and goes upstream, as an ordinary pull, which gets no entry for the
 * path, leaves it. Records are written only once what they describe is durable on R's disk (the
 * batch barrier, pull-engine.ts), so a record with nothing at its path is R's deletion, never a
 * placement a killed run had not made yet. Only in a resync: in a pull that follows the log,
 * such an entry is E's delete and re-create of the path (a checkout), E's change, which brings
 * the file back. Not below a root that was missing when the pass began (it could not be made):
 * its files are gone with it, not deleted by R (the shell sets `resyncing` per root). Known
 * races, where the file reads as R's deletion: E's file stays on E and its deletion is offered
 * upstream for review (nothing lost) — a kill -9 between zync's own deletion of the file for E's
 * deletion and that batch's record, then E making the same bytes again before the resync; and a
 * root removed during a resync pass that a later batch of the pass makes again for E's file.
 */
export function keptDeletion(input: PlanInput): boolean {
  const { entry, recorded, local } = input;
  if (input.resyncing !== true || entry.operation === 'delete' || local.kind !== 'absent') return false;
  if (recorded?.kind !== entry.kind || (recorded.mode & 0o7777) !== (entry.mode & 0o7777)) return false;
  return entry.kind === 'dir' || (recorded.checksum !== null && recorded.checksum === entry.checksum);
}

/**
 * What E changed in a file R received and deleted since, which brings it back: its content, else
 * its permission bits (a chmod alone is E's change too, and said the same way); undefined where
 * E's is the file R received (a new file, or a resync's unchanged one).
 */
function restoredBy(entry: ChangeEntry, recorded: RecordedEntry | null | undefined): 'content' | 'mode' | undefined {
  if (recorded?.kind !== 'file') return undefined;
  if (recorded.checksum !== entry.checksum) return 'content';
  return (recorded.mode & 0o7777) !== (entry.mode & 0o7777) ? 'mode' : undefined;
}

/** Plans one path. `sources` maps content checksums to intact local files holding them. */
export function planEntry(input: PlanInput, sources: ReadonlyMap<string, EntryKey> = new Map()): PullAction {
  const { entry, recorded, local } = input;
  const edit = classifyLocalEdit(recorded, local);
  if (edit === 'unknown') throw new Error(`planEntry: ${entry.base_dir}/${entry.path} needs a local hash first`);
  if (ownEditReturned(input)) {
    const bits = bitsFromE(input);
    const stagedIn = stagedSince(input);
    return { type: 'record-staged', entry, local, ...(bits === undefined ? {} : { bits }), ...(stagedIn === undefined ? {} : { stagedIn }) };
  }
  if (keptDeletion(input)) return { type: 'record', entry, local, keepBase: true };

  if (entry.operation === 'delete') {
    // What R received decides, not the kind E deleted last: a batch may collapse E's file that
    // became a directory (or the reverse) and then went to that last deletion alone.
    if (local.kind === 'dir') {
      if (!recorded && input.replayed === true) return { type: 'forget', entry, local };
      return entry.kind === 'dir' || recorded?.kind === 'dir' || input.eMadeDir === true
        ? { type: 'delete-dir', entry, local }
        : { type: 'forget', entry, local };
    }
    if (local.kind === 'file' && recorded?.kind !== 'file' && input.heldByEBefore === true) return { type: 'delete-file', entry, local, keepCopy: true };
    // A file R never received from E, or a link R put there, is R's own: left alone.
    if (local.kind !== 'file' || recorded?.kind !== 'file') return { type: 'forget', entry, local };
    if (edit !== 'unchanged') return { type: 'delete-file', entry, local, keepCopy: true };
    // A chmod is an edit too (git's modify/delete): deleting the file would drop it unsaid.
    const chmodded = chmodOnR(recorded, local.mode);
    if (chmodded !== null) return { type: 'delete-file', entry, local, keepCopy: true, chmodded };
    return { type: 'delete-file', entry, local, keepCopy: false, ...(recorded.checksum === null ? {} : { received: recorded.checksum }) };
  }

  if (entry.kind === 'dir') {
    switch (local.kind) {
      case 'dir':
        if (local.mode === (entry.mode & 0o7777)) return { type: 'record', entry, local, keepBase: false };
        return { type: 'set-dir-mode', entry, local, made: false, ...(recorded == null && local.mode === MADE_DIR_MODE ? { finishes: true as const } : {}) };
      case 'absent':
        return { type: 'mkdir', entry, local, moveAside: 'none' };
      case 'file':
        return { type: 'mkdir', entry, local, moveAside: edit === 'unchanged' ? 'remove' : 'keep-copy' };
      case 'other':
        return { type: 'mkdir', entry, local, moveAside: 'keep-copy' };
    }
  }

  const wanted = entry.checksum;
  if (wanted === null) throw new Error(`planEntry: ${entry.operation} of file ${entry.base_dir}/${entry.path} without a checksum`);
  const source = sources.get(wanted);
  const declined = declinedEdit(input);
  // R's chmod E decided against is no longer R's to keep: E's bits, said where no copy keeps R's.
  const modes: FileModeMerge | null =
    declined.bits === null ? mergeModes(input) : { bits: input.entry.mode & 0o7777, keptR: false, replacedR: declined.bits };
  const fetch = (keepCopy: boolean, clearDir: ClearDir | null = null, more: { appendFrom?: number; restored?: 'content' | 'mode' | undefined } = {}): PullAction => ({
    type: 'fetch',
    entry,
    local,
    source: source && !(source.base_dir === entry.base_dir && source.path === entry.path) ? source : null,
    keepCopy,
    clearDir,
    ...(more.appendFrom === undefined ? {} : { appendFrom: more.appendFrom }),
    ...(more.restored ? { restored: more.restored } : {}),
    // R's file kept as a conflict copy keeps R's bits there: nothing to say about them.
    ...modeDecision(keepCopy ? (modes?.keptR ? modes : null) : modes),
  });
  switch (local.kind) {
    case 'absent':
      // R's deletion of what it received meets E's later change: E's edit wins, and is said.
      return fetch(false, null, { restored: restoredBy(entry, recorded) });
    case 'dir':
      return fetch(false, clearDirCase(recorded));
    case 'other':
      return fetch(true);
    case 'file': {
      const held = knownLocalChecksum(recorded, local);
      if (held === undefined) throw new Error(`planEntry: ${entry.base_dir}/${entry.path} needs a local hash first`);
      const bits = modes?.bits ?? entry.mode & 0o7777;
      if (held === wanted) {
        if (!attributesMatch(entry, recorded, local, bits)) return { type: 'set-attributes', entry, local, ...modeDecision(modes) };
        return { type: 'record', entry, local, keepBase: false, ...(modes?.keptR ? { keepBits: modes.bits } : {}) };
      }
      if (edit === 'unchanged') return fetch(false, null, { appendFrom: appendOffset(entry, recorded, local) });
      const awaited = awaitsApply(input, held);
      if (awaited) return { type: 'await-apply', entry, local, staging_id: awaited.staging_id };
      // R's edit was settled on E without being taken: E's version stands over it, as over a
      // change E made after R's edit (R's is kept as a conflict copy).
      if (declined.content.has(held)) return fetch(true);
      // R edited the file. If E still holds the content R's edit started from, R's edit stands,
      // with E's chmod if E made one — also while R's edit waits staged, where every session
      // holding it carried no chmod of R's: E's apply keeps E's bits then, and --update-upstream
      // takes R's file with them for what is staged (plan-upstream.ts, sameBitsOnE). A session
      // that carries R's chmod, or one recorded without its base bits, meets E's chmod on E's
      // apply instead: E's chmod then comes back with it (bitsFromE). A session E applied
      // already (settled) waits for nothing.
      if (recorded?.kind === 'file' && recorded.checksum === wanted) {
        const takesE = modes !== null && !modes.keptR && bits !== (local.mode & 0o7777) && (input.staged ?? []).every((s) => s.settled === true || leavesBitsToE(s));
        if (takesE) return { type: 'record', entry, local, keepBase: true, bits, ...modeDecision(modes) };
        // The same chmod on both sides: E's bits are received, else E's later revert of them would
        // read as R's chmod standing against E's none.
        const agreed = (local.mode & 0o7777) === (entry.mode & 0o7777) && (recorded.mode & 0o7777) !== (entry.mode & 0o7777);
        return { type: 'record', entry, local, keepBase: true, ...(agreed ? { receivedBits: true } : {}) };
      }
      // Also when R staged this content and E applied that session: E kept its own version (keep
      // E's, or keep both, whose copy E never serves), so this copy is R's only one of its edit.
      return fetch(true);
    }
  }
}

export function phaseOf(action: PullAction): Phase {
  switch (action.type) {
    case 'mkdir':
      return 'mkdir';
    case 'fetch':
      return action.clearDir ? 'replace-dirs' : action.source ? 'copy' : 'download';
    case 'set-attributes':
    case 'record':
    case 'record-staged':
    case 'forget':
    case 'await-apply':
      return 'attributes';
    case 'delete-file':
      return 'delete-files';
    case 'delete-dir':
      return 'delete-dirs';
    case 'set-dir-mode':
      return 'dir-modes';
  }
}

const depth = (path: string) => path.split('/').length;

/**
 * A rename on E reaches R as the old path's deletion and an add of the same content at the new
 * one. Where R had only chmodded the old file (`chmod +x a.sh`) and E renamed it (`mv a.sh b.sh`)
 * without a chmod of its own, R's user expects the file to keep R's bits under its new name, as a
 * local `mv` would: a conflict copy of identical content at the old name would only be clutter to
 * clean up, and the chmod would never go upstream. So the new path takes R's bits (recorded with
 * E's, so the next --update-upstream sends the chmod for it) and the old file goes without a copy.
 * Only where the pairing is certain: one deletion of that content in the batch (chmodded or not:
 * `mv a2 b; rm a1` of two equal files is no rename of the chmodded a1) and one add of it, the
 * content not empty (an empty file says nothing of where it came from), nothing of R's at the new
 * path, E's bits there those R received for the old one, and R's chmod not staged yet (a session
 * on E holds it for the old name); else the copy stays. A file at the new path that holds E's
 * content with R's chmod of the old one already (kept over E's bits) is the carry made by a run
 * killed before it deleted the old file and recorded the batch: the old file goes without a copy,
 * nothing of it lost.
 */
function carryRenamedChmods(planned: readonly { input: PlanInput; action: PullAction }[]): PullAction[] {
  type Deletion = { received: RecordedEntry; action: Extract<PullAction, { type: 'delete-file' }>; staged: boolean };
  const deletions = new Map<string, Deletion[]>();
  for (const { input, action } of planned) {
    const received = input.recorded;
    if (action.type !== 'delete-file' || received?.kind !== 'file' || received.checksum === null || received.size === 0) continue;
    // Already staged for the old name: carried, it would go upstream again for the new one while
    // the waiting session still holds it for the old (and, applied, makes the old file again).
    const staged = action.chmodded !== undefined && (input.staged ?? []).some((s) => s.kind === 'file' && s.mode === action.chmodded);
    deletions.set(received.checksum, [...(deletions.get(received.checksum) ?? []), { received, action, staged }]);
  }
  if (![...deletions.values()].some((from) => from.some(({ action }) => action.chmodded !== undefined))) return planned.map(({ action }) => action);
  /** E's file fetched where R holds nothing and never received a file. */
  const addOf = ({ input, action }: { input: PlanInput; action: PullAction }) =>
    action.type === 'fetch' && !action.keepCopy && action.clearDir === null && action.entry.checksum !== null && input.local.kind === 'absent' && input.recorded?.kind !== 'file'
      ? { action, checksum: action.entry.checksum }
      : null;
  /** E's file that R holds already, keeping R's bits over E's: those bits, else undefined. */
  const keptBitsOf = ({ input, action }: { input: PlanInput; action: PullAction }) =>
    (action.type === 'set-attributes' || (action.type === 'record' && !action.keepBase)) && input.local.kind === 'file' ? action.keepBits : undefined;
  // Every file of E's in the batch with that content counts, where R holds something too.
  const adds = new Map<string, number>();
  for (const { input } of planned) {
    const { entry } = input;
    if (entry.kind === 'file' && entry.operation !== 'delete' && entry.checksum !== null) adds.set(entry.checksum, (adds.get(entry.checksum) ?? 0) + 1);
  }
  const carried = new Map<PullAction, PullAction>();
  for (const p of planned) {
    const add = addOf(p);
    const kept = keptBitsOf(p);
    const { entry } = p.input;
    const checksum = entry.kind === 'file' && entry.operation !== 'delete' ? entry.checksum : null;
    if (checksum === null || (!add && kept === undefined)) continue;
    const from = adds.get(checksum) === 1 ? deletions.get(checksum) : undefined;
    if (from?.length !== 1) continue;
    const { received, action: deletion, staged } = from[0]!;
    const chmodded = deletion.chmodded;
    if (chmodded === undefined || staged || (entry.mode & 0o7777) !== (received.mode & 0o7777)) continue;
    if (add) carried.set(add.action, { ...add.action, keepBits: chmodded });
    else if (kept !== chmodded) continue;
    carried.set(deletion, { ...deletion, keepCopy: false, carriedTo: entry });
  }
  return planned.map(({ action }) => carried.get(action) ?? action);
}

/**
 * Where E moved what it deleted, for what is said of the old path ("E moved it to docs/b/x.txt",
 * not "E deleted it"): what is done stays a deletion, and a copy where R edited the file. A file
 * R received whose content E added at one other path in the batch, with no other deletion of
 * that content (the pairing carryRenamedChmods makes; not empty content, which says nothing of
 * where it came from). A directory moved where every file so paired below it went below one new
 * directory under the same relative name (`mv a b`); then also a file below it whose content has
 * twins, when E added that content at its name below the new directory. Not known across pages.
 */
function noteMoves(inputs: readonly PlanInput[], actions: readonly PullAction[]): PullAction[] {
  type Key = { base_dir: string; path: string };
  const adds = new Map<string, Key[]>();
  const added = new Set<string>();
  for (const { entry } of inputs) {
    if (entry.kind !== 'file' || entry.operation === 'delete' || entry.checksum === null) continue;
    adds.set(entry.checksum, [...(adds.get(entry.checksum) ?? []), entry]);
    added.add(`${entry.base_dir}\0${entry.path}\0${entry.checksum}`);
  }
  const received = (i: number): string | null => {
    const recorded = inputs[i]!.recorded;
    return actions[i]!.type === 'delete-file' && recorded?.kind === 'file' && recorded.size > 0 ? recorded.checksum : null;
  };
  const deletions = new Map<string, number>();
  for (let i = 0; i < actions.length; i++) {
    const checksum = received(i);
    if (checksum !== null) deletions.set(checksum, (deletions.get(checksum) ?? 0) + 1);
  }
  const moves = new Map<number, Key>();
  for (let i = 0; i < actions.length; i++) {
    const checksum = received(i);
    const to = checksum === null ? undefined : adds.get(checksum);
    if (checksum !== null && to?.length === 1 && deletions.get(checksum) === 1) moves.set(i, to[0]!);
  }
  // Each deleted directory: the one new directory its paired files went below, if they agree.
  const dirMoves = new Map<string, Key | null>();
  for (const [i, to] of moves) {
    const from = inputs[i]!.entry;
    const fromParts = from.path.split('/');
    const toParts = to.path.split('/');
    for (let depth = 1; depth < fromParts.length; depth++) {
      const rest = fromParts.slice(depth).join('/');
      const dir = `${from.base_dir}\0${fromParts.slice(0, depth).join('/')}`;
      const target = toParts.length > fromParts.length - depth && toParts.slice(toParts.length - (fromParts.length - depth)).join('/') === rest
        ? { base_dir: to.base_dir, path: toParts.slice(0, toParts.length - (fromParts.length - depth)).join('/') }
        : null;
      const seen = dirMoves.get(dir);
      if (seen === undefined) dirMoves.set(dir, target);
      else if (seen !== null && (target === null || seen.base_dir !== target.base_dir || seen.path !== target.path)) dirMoves.set(dir, null);
    }
  }
  // A file deleted below such a directory that E did not add at its name below the new one
  // (`rm a/y; mv a/x c/x`) says the directory was not moved whole: nothing is said of it.
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i]!;
    const recorded = inputs[i]!.recorded;
    if (action.type !== 'delete-file' || moves.has(i) || recorded?.kind !== 'file') continue;
    const parts = action.entry.path.split('/');
    for (let depth = 1; depth < parts.length; depth++) {
      const dir = `${action.entry.base_dir}\0${parts.slice(0, depth).join('/')}`;
      const to = dirMoves.get(dir);
      if (!to) continue;
      const expected = [to.path, ...parts.slice(depth)].join('/');
      if (!added.has(`${to.base_dir}\0${expected}\0${recorded.checksum}`)) dirMoves.set(dir, null);
    }
  }
  /** The nearest directory above `entry` (or itself) that moved, and where `entry` went with it. */
  const movedWithDir = (entry: Key, self: boolean): Key | undefined => {
    const parts = entry.path.split('/');
    for (let depth = self ? parts.length : parts.length - 1; depth >= 1; depth--) {
      const to = dirMoves.get(`${entry.base_dir}\0${parts.slice(0, depth).join('/')}`);
      if (to) return { base_dir: to.base_dir, path: [to.path, ...parts.slice(depth)].filter((p) => p !== '').join('/') };
    }
    return undefined;
  };
  return actions.map((action, i) => {
    if (action.type === 'delete-dir') {
      const to = movedWithDir(action.entry, true);
      return to ? { ...action, movedTo: to } : action;
    }
    if (action.type !== 'delete-file' || action.carriedTo !== undefined) return action;
    let to = moves.get(i);
    const checksum = received(i);
    if (!to && checksum !== null) {
      const withDir = movedWithDir(action.entry, false);
      if (withDir && added.has(`${withDir.base_dir}\0${withDir.path}\0${checksum}`)) to = withDir;
    }
    if (to) return { ...action, movedTo: { base_dir: to.base_dir, path: to.path } };
    return checksum === null ? action : { ...action, unpairedContent: checksum };
  });
}

/**
 * Plans a batch, grouped by phase in execution order: directories (parents first), copies from
 * local content (before anything overwrites or deletes their sources), downloads, attribute-only
 * changes and records, file deletions, directory deletions (children first), files that replace
 * a directory (after that directory's contents were deleted), and last the directories' modes
 * (children first: a parent without x for its owner would refuse the chmod of its children).
 */
export function planPull(inputs: readonly PlanInput[], sources: ReadonlyMap<string, EntryKey> = new Map()): Record<Phase, PullAction[]> {
  const plan = Object.fromEntries(PHASES.map((phase) => [phase, [] as PullAction[]])) as Record<Phase, PullAction[]>;
  for (const action of noteMoves(inputs, carryRenamedChmods(inputs.map((input) => ({ input, action: planEntry(input, sources) }))))) {
    plan[phaseOf(action)].push(action);
    if (action.type === 'mkdir') plan['dir-modes'].push({ type: 'set-dir-mode', entry: action.entry, local: action.local, made: true });
  }
  plan.mkdir.sort((a, b) => depth(a.entry.path) - depth(b.entry.path));
  plan['delete-dirs'].sort((a, b) => depth(b.entry.path) - depth(a.entry.path));
  plan['dir-modes'].sort((a, b) => depth(b.entry.path) - depth(a.entry.path));
  return plan;
}
