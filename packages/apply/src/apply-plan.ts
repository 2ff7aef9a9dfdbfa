// What zync-apply does with a staged session: whether the session may be applied at all, in
// which order its entries go (directories R made first, shallow to deep; then files in arrival
// order; directories R removed last, deep to shallow), and per entry — given E's content now, as
// a token (checksum, DIR_TOKEN, or null), and E's permission bits — whether it is a conflict (of
// content, or of bits both sides changed) and which step resolves it (write R's content or make
// R's directory, delete, keep E's, keep both, set the bits modeFor chose on the content E already
// holds, or nothing because E already holds R's version). Conflicts are re-classified against E
// as it is at apply time. A directory E holds where R sends a file is replaced only when it is
// empty; one that holds files is E's, and stays. Where E's version of a directory R made is kept,
// the entries R put below it are skipped: none of them has a place on E. Where E's tree blocks an
// entry's path (a file where R's entry needs a directory, or a symbolic link: ECurrent.blocked) the
// entry is a conflict named as such: E's file may be replaced by R's directory, a link only kept.
// What R's other sessions put on E counts as R's (rVersionOf): an earlier one's content is no
// edit of E's, and a later one's is never replaced by this older session's.
// Pure: the shell hashes E's files, asks the person, and executes the steps.
import { ZyncError } from '@zync/common';
import type { EChange } from '@zync/common';
import { applyCommand } from './command-hints.js';
import { formatTime } from './local-time.js';
import { classifyStagedEntry, DIR_TOKEN, eChangeOf, entryTokens, type RVersion, type StagedEntry, type StagingSession } from '@zync/daemon';

/** What a person may choose for a conflicting entry. */
export type Decision = 'upstream' | 'keep_e' | 'keep_both';

export type Step =
  /**
   * Put R's content (or R's new directory) at the path; E's file there, if any, is backed up
   * first. A file goes over E's directory only when that is empty (nothing to back up).
   * `replace_above`: E's file at this ancestor (see Blocked) is backed up and replaced by a
   * directory first.
   */
  | { kind: 'write'; backup: boolean; replace_above?: string }
  /** Remove E's file (backed up first) or E's directory (only when empty). */
  | { kind: 'delete'; backup: boolean }
  /** Leave E's file; write R's content beside it as a conflict copy. */
  | { kind: 'copy' }
  /**
   * Leave E's entry as it is. `dir_holds_files`: R's version was asked for (--force), but R's file
   * cannot replace E's directory, which holds files — said in the summary. `blocked`: E's tree
   * blocks the path with a symbolic link (or a file, where E's version was chosen); see Blocked.
   */
  | { kind: 'keep_e'; reason?: 'dir_holds_files' | 'blocked' }
  /** E holds what R's later session `by` put there: this older entry is not applied. */
  | { kind: 'superseded'; by: string }
  /** E's file already holds R's content, with other permission bits: give it R's (a chmod on R). */
  | { kind: 'mode' }
  /** E already holds R's version (or both deleted it): nothing to write. */
  | { kind: 'unchanged' }
  /** Below `kept`, a directory of R's where E's version was kept: R's entry is not applied. */
  | { kind: 'skip'; kept: string };

/** What E holds at an entry's path now. */
export interface ECurrent {
  /** Content as a token (null: absent; DIR_TOKEN: a directory). */
  token: string | null;
  /** A file's permission bits (null: not a file). */
  mode: number | null;
  /** A directory with nothing in it (R's file may replace it: nothing of E's is lost). */
  dir_empty?: boolean;
  /** E's tree does not let R's entry in at its path (token is then null); see Blocked. */
  blocked?: Blocked | null;
  /**
   * The checksum of E's file an earlier run of this apply backed up and removed at the path, to
   * make R's directory there, before it was killed (null: none); see classifiedToken.
   */
  removed_by_apply?: string | null;
}

/**
 * What blocks an entry's path on E: at `path` — an ancestor of the entry's path, or the path
 * itself — E holds a regular file where R's entry needs a directory (`file`; e.g. `rm -r d && echo
 * > d` after R added d/x.txt), a symbolic link (`link`) or a socket, FIFO or device (`special`),
 * which zync never writes through nor replaces.
 */
export interface Blocked {
  path: string;
  kind: 'file' | 'link' | 'special';
}

export interface PlannedEntry {
  entry: StagedEntry;
  /** E's content now as a token (null: absent; DIR_TOKEN: a directory). */
  e_checksum: string | null;
  /** E's file's permission bits now (null: not a file). */
  e_mode: number | null;
  /** E holds an empty directory at the path. */
  e_dir_empty: boolean;
  /** What blocks the path on E (effectiveBlock; null: nothing). */
  blocked: Blocked | null;
  /** E holds what R's session `staging_id` put there, staged before this one or after (rVersionOf). */
  r_version: { staging_id: string; earlier: boolean } | null;
  /** The permission bits E's file gets when R's version is taken (modeFor, writtenMode; null: none to set). */
  mode: number | null;
  /** A conflict of content, or of permission bits (both sides changed them, differently). */
  conflict: boolean;
  mode_conflict: boolean;
  e_changed_since_base: boolean;
  /** null: a conflict waiting for a decision. */
  step: Step | null;
}

export interface ApplyPlan {
  items: PlannedEntry[];
  /** Entries applied by an earlier (interrupted or quit) run. */
  done: number;
  conflicts: number;
  /** Directories of R's where E's version was kept by an earlier run (entryKey): see keptAbove. */
  kept_dirs: Set<string>;
}

/**
 * An id that names no session. One error for show and apply alike, so a script sees one exit
 * status (6, as for any session apply refuses) whichever command it ran. `db`: the --db given
 * (applyCommand), as for every hint below.
 */
export function noSuchSession(stagingId: string, db: string | null): ZyncError {
  return new ZyncError('SESSION_NOT_APPLIABLE', `There is no staging session ${stagingId}; run ${applyCommand(db, 'list', '--all')} to see the sessions.`);
}

export function checkAppliable(session: StagingSession | null, stagingId: string, db: string | null): ZyncError | null {
  if (!session) return noSuchSession(stagingId, db);
  switch (session.status) {
    case 'complete':
      return null;
    case 'applied':
      return new ZyncError('SESSION_NOT_APPLIABLE', `Session ${stagingId} was already applied on ${formatTime(session.updated)}; it cannot be applied twice.`);
    case 'aborted':
      return new ZyncError(
        'SESSION_NOT_APPLIABLE',
        `Session ${stagingId} was aborted${session.reason ? ` (${session.reason})` : ''} and cannot be applied; send the changes again with zync-client --update-upstream.`,
      );
    case 'in_progress':
      return new ZyncError('SESSION_NOT_APPLIABLE', `Session ${stagingId} is still being uploaded and cannot be applied yet.`);
    case 'discarded':
      return new ZyncError(
        'SESSION_NOT_APPLIABLE',
        `Session ${stagingId} was discarded on ${formatTime(session.updated)} and cannot be applied; R sends its changes again at its next --update-upstream.`,
      );
  }
}

/**
 * The choices a person is offered for a conflict given E's token now: keeping both only makes
 * sense for two files (R's file beside E's), not where E deleted it or holds a directory. R's
 * file may replace E's directory only when that is empty: E's files in it are never removed.
 */
export function decisionsFor(
  entry: Pick<StagedEntry, 'operation' | 'kind' | 'checksum'>,
  eToken: string | null,
  eDirEmpty = false,
  blocked: Blocked | null = null,
): Decision[] {
  if (blocked) return blocked.kind === 'file' ? ['upstream', 'keep_e'] : ['keep_e'];
  if (fileOverDir(entry, eToken)) return eDirEmpty ? ['upstream', 'keep_e'] : ['keep_e'];
  // Same content on both sides (permission bits in conflict): a copy would only repeat E's file.
  const twoFiles = entry.operation !== 'delete' && entry.kind === 'file' && eToken !== null && eToken !== DIR_TOKEN && eToken !== entry.checksum;
  return twoFiles ? ['upstream', 'keep_e', 'keep_both'] : ['upstream', 'keep_e'];
}

/** R sends a file where E holds a directory. */
export function fileOverDir(entry: Pick<StagedEntry, 'operation' | 'kind'>, eToken: string | null): boolean {
  return entry.kind === 'file' && entry.operation !== 'delete' && eToken === DIR_TOKEN;
}

/** R's base and new content of an entry, as classification tokens. */
export function tokensOf(entry: Pick<StagedEntry, 'kind' | 'operation' | 'checksum' | 'base_checksum'>) {
  return entryTokens({ kind: entry.kind, delete: entry.operation === 'delete', checksum: entry.checksum, base_checksum: entry.base_checksum });
}

/** E's content differs both from R's base and from R's new content. */
export function contentConflicts(entry: Pick<StagedEntry, 'kind' | 'operation' | 'checksum' | 'base_checksum'>, eToken: string | null): boolean {
  return classifyStagedEntry({ ...tokensOf(entry), e_checksum: eToken }).conflict;
}

/** What E did since R's base, given E's token now (null: E still holds the base). */
export function eChangeFor(entry: Pick<StagedEntry, 'kind' | 'operation' | 'checksum' | 'base_checksum'>, eToken: string | null): EChange | null {
  return eChangeOf({ base_checksum: tokensOf(entry).base_checksum, e_checksum: eToken });
}

/**
 * R's permission bits as they may land on E: read, write and execute only. zync-apply runs as
 * E's user (often root), so R's setuid or setgid bit would make an E-owned set-ID program out of
 * an ordinary review; they, and the sticky bit, never travel upstream.
 */
export function rFileMode(mode: number): number {
  return mode & 0o777;
}

/**
 * The permission bits a file of R's ends with on E: a three-way rule over R's base (what R
 * received), R's bits and E's bits now. R's chmod is taken (rFileMode); where R made none, E's
 * own chmod stays (set-ID bits only on E's own content: writtenMode); both changing them
 * differently is a conflict (R's bits if R's version is taken). Without R's base (an older client
 * does not send base_mode) R's bits win, as they always did.
 */
export function modeFor(
  entry: Pick<StagedEntry, 'kind' | 'operation' | 'mode'> & { base_mode?: number | null },
  eMode: number | null,
): { mode: number | null; conflict: boolean } {
  if (entry.kind !== 'file' || entry.operation === 'delete') return { mode: null, conflict: false };
  const base = entry.base_mode ?? null;
  const r = entry.mode;
  if (base === null || eMode === null) return { mode: r === null ? null : rFileMode(r), conflict: false };
  if (r === null || r === base) return { mode: eMode, conflict: false };
  const mode = rFileMode(r);
  // A chmod on R that only added set-ID bits (which do not land) is no chmod of E's file.
  if (mode === rFileMode(base) && (base & 0o7000 & ~r) === 0) return { mode: eMode, conflict: false };
  return { mode, conflict: eMode !== base && eMode !== mode };
}

/**
 * The bits R's content is written with, given modeFor's: without set-ID and sticky bits when it
 * replaces other content. E's set-ID bits belong to E's content; kept where R made no chmod, R's
 * edit would become an E-owned set-ID program without anyone choosing it (the kernel drops them
 * the same way when anyone but root writes into such a file). Where E already holds R's content
 * (a chmod only), E's bits stay.
 */
export function writtenMode(mode: number | null, replacesContent: boolean): number | null {
  return mode === null || !replacesContent ? mode : rFileMode(mode);
}

/**
 * The bits R's new directory has while R's entries go into it: R's, plus write and search for
 * its owner — R may have made it read-only after filling it, and zync-apply need not run as
 * root. It gets R's own bits once the session is applied (dirsToFinish).
 */
export function workingDirMode(mode: number): number {
  return mode | 0o700;
}

/**
 * R's directories the session made that still hold their working bits where R's differ
 * (`modeOnE`: the bits E's directory has now, by entryKey; missing: not a directory now), deepest
 * first so that a parent made unsearchable does not lock its children out. A directory whose
 * bits E changed since is left as E has it.
 */
export function dirsToFinish(
  entries: readonly StagedEntry[],
  modeOnE: ReadonlyMap<string, number>,
): { entry: StagedEntry; mode: number }[] {
  return entries
    .filter((e) => e.kind === 'dir' && e.operation !== 'delete' && e.apply_state === 'applied' && e.resolution === 'upstream' && e.mode !== null)
    .filter((e) => workingDirMode(e.mode!) !== e.mode && modeOnE.get(entryKey(e)) === workingDirMode(e.mode!))
    .sort((a, b) => depth(b.path) - depth(a.path))
    .map((entry) => ({ entry, mode: entry.mode! }));
}

/**
 * How an entry whose version E already holds is recorded: taken upstream when an earlier run of
 * this apply put it there (killed after writing, before recording: the entry was left
 * 'applying', with no conflict copy), so that R's directory made that way still gets R's own
 * bits (dirsToFinish); otherwise E had it already.
 */
export function inPlaceResolution(entry: Pick<StagedEntry, 'apply_state' | 'copy_path'>): 'upstream' | 'unchanged' {
  return entry.apply_state === 'applying' && entry.copy_path === null ? 'upstream' : 'unchanged';
}

/** The step when E already holds R's content: nothing, or the bits modeFor gave. */
function inPlaceStep(item: Pick<PlannedEntry, 'entry' | 'e_mode' | 'mode'>): Step {
  return item.entry.kind === 'file' && item.mode !== null && item.e_mode !== null && item.mode !== item.e_mode ? { kind: 'mode' } : { kind: 'unchanged' };
}

export function stepFor(
  item: Pick<PlannedEntry, 'entry' | 'e_checksum' | 'e_mode' | 'mode'> & { e_dir_empty?: boolean; blocked?: Blocked | null },
  decision: Decision,
): Step {
  // Only a file on E is backed up; a directory is never replaced, only removed when empty.
  const backup = item.e_checksum !== null && item.e_checksum !== DIR_TOKEN;
  const blocked = item.blocked ?? null;
  if (blocked) {
    // A link is never replaced, whatever was asked for (--force included).
    if (decision !== 'upstream' || blocked.kind !== 'file') return { kind: 'keep_e', reason: 'blocked' };
    return { kind: 'write', backup: false, replace_above: blocked.path };
  }
  if (decision === 'keep_e') return { kind: 'keep_e' };
  if (decision === 'keep_both') return decisionsFor(item.entry, item.e_checksum).includes('keep_both') ? { kind: 'copy' } : { kind: 'keep_e' };
  // R's version asked for (--force): E's files in a directory are never removed for it.
  if (fileOverDir(item.entry, item.e_checksum) && !item.e_dir_empty) return { kind: 'keep_e', reason: 'dir_holds_files' };
  if (item.entry.operation === 'delete') return item.e_checksum === null ? { kind: 'unchanged' } : { kind: 'delete', backup };
  return item.e_checksum === tokensOf(item.entry).upstream_checksum ? inPlaceStep(item) : { kind: 'write', backup };
}

/**
 * A directory R made (or made over a file it had received) whose conflict was resolved by
 * keeping E's version: what R put below it cannot be applied.
 */
export function keepsROut(entry: Pick<StagedEntry, 'kind' | 'operation'>, resolution: StagedEntry['resolution']): boolean {
  return entry.kind === 'dir' && entry.operation !== 'delete' && resolution === 'kept_e';
}

/** Directories of R's where an earlier run kept E's version (entryKeys). */
export function keptDirsOf(entries: readonly StagedEntry[]): Set<string> {
  return new Set(entries.filter((e) => e.apply_state === 'applied' && keepsROut(e, e.resolution)).map(entryKey));
}

/**
 * The path of the outermost directory above `entry` in `keptDirs` (entryKeys; see keepsROut), or
 * null. Outermost: an entry skipped below it (a directory R made inside) is recorded as kept too,
 * and a later run must still name the directory the person chose E's version for.
 */
export function keptAbove(entry: Pick<StagedEntry, 'base_dir' | 'path'>, keptDirs: ReadonlySet<string>): string | null {
  const parts = entry.path.split('/');
  for (let i = 1; i < parts.length; i++) {
    const path = parts.slice(0, i).join('/');
    if (keptDirs.has(entryKey({ base_dir: entry.base_dir, path }))) return path;
  }
  return null;
}

/** The entries below a directory entry not applied yet: what keeping E's version there skips. */
export function pendingBelow(entries: readonly StagedEntry[], dir: Pick<StagedEntry, 'base_dir' | 'path'>): number {
  const prefix = `${dir.path}/`;
  return entries.filter((e) => e.apply_state !== 'applied' && e.base_dir === dir.base_dir && e.path.startsWith(prefix)).length;
}

/**
 * Whether what blocks the path on E makes the entry a conflict: not for R's deletion below E's
 * file or link (nothing of R's is there to delete), nor where R makes that very directory itself
 * (`rDirs`, entryKeys of directories R made, not applied yet: that entry is the conflict, and
 * once it is resolved nothing blocks this one or it is skipped).
 */
export function effectiveBlock(
  entry: Pick<StagedEntry, 'base_dir' | 'path' | 'operation'>,
  blocked: Blocked | null | undefined,
  rDirs: ReadonlySet<string> = new Set(),
): Blocked | null {
  if (!blocked) return null;
  if (blocked.path === entry.path) return blocked;
  if (entry.operation === 'delete' || rDirs.has(entryKey({ base_dir: entry.base_dir, path: blocked.path }))) return null;
  return blocked;
}

/**
 * Which of R's other sessions put E's content (`eToken`) at the path: the latest one staged after
 * this session (whose version this older one must not replace), else one staged before it (so E's
 * content is R's own, not an edit of E's); null: none did.
 */
export function rVersionOf(eToken: string | null, versions: readonly RVersion[]): { staging_id: string; earlier: boolean } | null {
  const holds = (v: RVersion) => entryTokens({ kind: v.kind, delete: v.operation === 'delete', checksum: v.checksum, base_checksum: null }).upstream_checksum === eToken;
  const later = versions.filter((v) => !v.earlier && holds(v)).at(-1);
  if (later) return { staging_id: later.staging_id, earlier: false };
  const earlier = versions.filter((v) => v.earlier && holds(v)).at(-1);
  return earlier ? { staging_id: earlier.staging_id, earlier: true } : null;
}

/** R's other sessions' versions of the entries' paths, by entryKey (StagingStore.otherRVersions). */
export function rVersionsByPath(versions: readonly RVersion[]): Map<string, RVersion[]> {
  const out = new Map<string, RVersion[]>();
  for (const v of versions) out.set(entryKey(v), [...(out.get(entryKey(v)) ?? []), v]);
  return out;
}

/** Directories R made that are not applied yet (entryKeys): see effectiveBlock. */
export function pendingRDirsOf(entries: readonly StagedEntry[]): Set<string> {
  return new Set(entries.filter((e) => e.apply_state !== 'applied' && e.kind === 'dir' && e.operation !== 'delete').map(entryKey));
}

/**
 * E's content as an entry is classified against: what E holds, except where a run of this apply
 * was killed between removing E's file (backed up) and making R's directory at its path. The
 * empty path is then this apply's own doing, not a deletion of E's: the entry is classified
 * against the file it removed, as before the kill, so the next run completes it (with no one to
 * ask, too) instead of calling it a conflict.
 */
export function classifiedToken(entry: Pick<StagedEntry, 'kind' | 'operation' | 'apply_state'>, e: ECurrent): string | null {
  const madeDirOverFile = entry.kind === 'dir' && entry.operation !== 'delete' && entry.apply_state === 'applying';
  return madeDirOverFile && e.token === null && !e.blocked && e.removed_by_apply ? e.removed_by_apply : e.token;
}

/**
 * One entry against what E holds now. With `force`, a conflict takes R's version. Below a
 * directory of R's where E's version was kept (`keptDirs`), the entry is skipped.
 */
export function planEntry(
  entry: StagedEntry,
  e: ECurrent,
  options: { force: boolean; keptDirs?: ReadonlySet<string>; rDirs?: ReadonlySet<string>; rVersions?: ReadonlyMap<string, readonly RVersion[]> },
): PlannedEntry {
  const kept = options.keptDirs ? keptAbove(entry, options.keptDirs) : null;
  const blocked = effectiveBlock(entry, e.blocked, options.rDirs);
  const tokens = tokensOf(entry);
  const eToken = classifiedToken(entry, e);
  const r_version = blocked === null && eToken !== tokens.upstream_checksum ? rVersionOf(eToken, options.rVersions?.get(entryKey(entry)) ?? []) : null;
  // R's earlier session put E's content there: R edited from that, not from an edit of E's.
  const base_checksum = r_version?.earlier ? eToken : tokens.base_checksum;
  const c = classifyStagedEntry({ base_checksum, upstream_checksum: tokens.upstream_checksum, e_checksum: eToken });
  const m = modeFor(entry, e.mode);
  const conflict = blocked !== null || c.conflict || m.conflict;
  const item: PlannedEntry = {
    entry,
    e_checksum: eToken,
    e_mode: e.mode,
    e_dir_empty: e.token === DIR_TOKEN && e.dir_empty === true,
    blocked,
    r_version,
    mode: writtenMode(m.mode, eToken !== tokens.upstream_checksum),
    conflict,
    mode_conflict: blocked === null && m.conflict,
    e_changed_since_base: blocked !== null || c.e_changed_since_base,
    step: null,
  };
  if (kept !== null) return { ...item, blocked: null, r_version: null, conflict: false, mode_conflict: false, step: { kind: 'skip', kept } };
  if (r_version && !r_version.earlier) return { ...item, conflict: false, mode_conflict: false, step: { kind: 'superseded', by: r_version.staging_id } };
  if (conflict && !options.force) return item;
  item.step = blocked === null && c.already_applied ? inPlaceStep(item) : stepFor(item, 'upstream');
  return item;
}

/**
 * Plans the entries not applied yet. `current` maps entries (by entryKey) to what E holds now
 * (missing: absent); entries already applied are counted in `done` and left out.
 */
export function planApply(
  entries: readonly StagedEntry[],
  current: ReadonlyMap<string, ECurrent>,
  options: { force: boolean; rVersions?: ReadonlyMap<string, readonly RVersion[]> },
): ApplyPlan {
  const kept_dirs = keptDirsOf(entries);
  const rDirs = pendingRDirsOf(entries);
  const plan: ApplyPlan = { items: [], done: 0, conflicts: 0, kept_dirs };
  for (const entry of orderEntries(entries)) {
    if (entry.apply_state === 'applied') {
      plan.done++;
      continue;
    }
    const item = planEntry(entry, current.get(entryKey(entry)) ?? ABSENT, { ...options, keptDirs: kept_dirs, rDirs });
    if (item.conflict) plan.conflicts++;
    plan.items.push(item);
  }
  return plan;
}

const ABSENT: ECurrent = { token: null, mode: null };

const depth = (path: string) => path.split('/').length;

/**
 * The order entries are applied in: directories R made (parents first), then files in arrival
 * order, then directories R removed (children first, after the files in them were deleted).
 */
export function orderEntries<T extends Pick<StagedEntry, 'kind' | 'operation' | 'path' | 'entry_no'>>(entries: readonly T[]): T[] {
  const rank = (e: T) => (e.kind === 'file' ? 1 : e.operation === 'delete' ? 2 : 0);
  return [...entries].sort((a, b) => {
    if (rank(a) !== rank(b)) return rank(a) - rank(b);
    if (rank(a) === 0 && depth(a.path) !== depth(b.path)) return depth(a.path) - depth(b.path);
    if (rank(a) === 2 && depth(a.path) !== depth(b.path)) return depth(b.path) - depth(a.path);
    return a.entry_no - b.entry_no;
  });
}

/** --non-interactive without --force changes nothing when any entry conflicts. */
export function checkNonInteractive(plan: ApplyPlan, stagingId: string, options: { force: boolean; db: string | null }): ZyncError | null {
  if (options.force || plan.conflicts === 0) return null;
  const first = plan.items.find((i) => i.conflict)!.entry;
  return new ZyncError(
    'SESSION_NOT_APPLIABLE',
    `Session ${stagingId} has ${plan.conflicts === 1 ? '1 conflict' : `${plan.conflicts} conflicts`} (first: ${first.base_dir}/${first.path}); nothing was changed — run ${applyCommand(options.db, 'apply', stagingId)} in a terminal to resolve ${plan.conflicts === 1 ? 'it' : 'them'}, or add --force to take R's versions (E's files are backed up; a directory of E's that holds files, and a symbolic link, are kept).`,
  );
}

export function entryKey(entry: Pick<StagedEntry, 'base_dir' | 'path'>): string {
  return `${entry.base_dir}\u0000${entry.path}`;
}
