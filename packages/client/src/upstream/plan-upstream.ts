// What R sends upstream: R's local files and directories compared with what R last received from
// E. Pure, in two steps so that only suspects are hashed. First, one directory at a time
// (compareDirectory: R's listing of it beside what R received for its children), findSuspects
// (stat only: which files may have changed, which received files are gone) and findDirChanges
// (directories made or removed on R); received directories missing from a listing have their
// recorded subtrees compared as gone. Then planUpstream (with the hashes: adds, modifications and
// deletions, minus what a pending staging session already holds unchanged). Only what changed is
// kept between directories, never the tree.
// Must not do I/O: the scan, the hashing and the stores are the caller's.

import { ZyncError, type ChangeOperation, type EntryKind } from '@zync/common';
import { revertOf, type UndoneInput } from './plan-reverts.js';
import { ctimeMovedPast } from '../core/local-edits.js';
import { carriesNoChmod, chmodOnR, withOwnBitsWhereModeless } from '../core/file-modes.js';

/** A regular file found on R (ignored paths, temp files and conflict copies already left out). */
export interface LocalFile {
  base_dir: string;
  path: string;
  size: number;
  mtime: number;
  mode: number;
  ino: number;
  /** Absent: not known (then not compared). */
  ctime?: number;
}

/** What R last received from E for a path that R holds as a file. */
export interface ReceivedFile {
  base_dir: string;
  path: string;
  /** E's content as received. */
  checksum: string;
  /** E's permission bits, as R applied them. */
  mode: number;
  /** The bits R's file had once R wrote it, less R's kept chmod (see RecordedEntry); absent or null: `mode`. */
  local_mode?: number | null;
  /** R's stat right after writing it (null when unknown: always hash). */
  local_size: number | null;
  local_mtime: number | null;
  local_ino: number | null;
  /** A bound on the file's ctime once R wrote it (see RecordedEntry); absent or null: not checked. */
  local_ctime_max?: number | null;
}

/** What R received at a path, as the client store records it. */
export interface ReceivedEntry extends Omit<ReceivedFile, 'checksum'> {
  kind: EntryKind;
  /** null for a directory; a file recorded without one counts as never received. */
  checksum: string | null;
}

/** A directory, on R's disk or as R last received it. */
export interface DirPath {
  base_dir: string;
  path: string;
  /** Permission bits, for a directory found on R's disk (a new one goes upstream with them). */
  mode?: number;
}

/** An entry sent in a staging session that is still waiting on E (complete, not applied). */
export interface StagedRecord {
  base_dir: string;
  path: string;
  staging_id: string;
  kind: EntryKind;
  operation: ChangeOperation;
  /** What was sent (null: a deletion). */
  checksum: string | null;
  base_checksum: string | null;
  /** R's permission bits as sent (null: a deletion, a directory, or staged before modes were kept). */
  mode: number | null;
  /** The bits R had received, `mode` was weighed against on E (null or absent: not a modify, or staged before they were kept). */
  base_mode?: number | null;
}

export interface HashedFile extends LocalFile {
  checksum: string;
}

export interface UpstreamEntry {
  base_dir: string;
  path: string;
  kind: EntryKind;
  operation: ChangeOperation;
  /** R's content (null for a delete). */
  checksum: string | null;
  size: number;
  /** The file R last received at this path (null: none; a directory made over it carries it too). */
  base_checksum: string | null;
  mode?: number;
  /** The permission bits of the file R received (a modify only): E keeps its own chmod if R made none. */
  base_mode?: number;
  mtime?: number;
}

export interface UpstreamPlan {
  entries: UpstreamEntry[];
  /** Changes left out because a pending session already holds exactly them. */
  already_staged: { base_dir: string; path: string; staging_id: string }[];
  /** Entries of `entries` that undo what R staged in `staging_id` and then undid on R (revertOf). */
  reverted: { base_dir: string; path: string; staging_id: string }[];
  /**
   * Received directories R replaced with a file: E cannot stage a file over its directory yet,
   * so nothing at or below such a path is sent (`changes` of them); the rest of the plan goes.
   * Also a file R put where it had staged a directory (`staged_in`: the sessions holding what
   * was below it): its undoes below the file and the file cannot go in one session.
   */
  withheld: { base_dir: string; path: string; changes: number; staged_in?: string[] }[];
}

export const fileKey = (baseDir: string, path: string): string => `${baseDir}\u0000${path}`;

/**
 * Stat-level comparison. A local file is a suspect when R never received it, its size, mtime
 * or inode differs from R's stat after writing it, or its permission bits differ from those it
 * had then (a chmod on R changes none of the others); a received file with no local file (and not ignored
 * now) is deleted on R. `isIgnored` covers paths the scan did not look at.
 */
export function findSuspects(
  local: readonly LocalFile[],
  received: ReadonlyMap<string, ReceivedFile>,
  isIgnored: (baseDir: string, path: string) => boolean,
): { toHash: LocalFile[]; deleted: ReceivedFile[] } {
  const toHash: LocalFile[] = [];
  const present = new Set<string>();
  for (const file of local) {
    const key = fileKey(file.base_dir, file.path);
    present.add(key);
    const got = received.get(key);
    const unchanged =
      got !== undefined &&
      got.local_size === file.size &&
      got.local_mtime === file.mtime &&
      got.local_ino === file.ino &&
      !ctimeMovedPast(got.local_ctime_max, file.ctime) &&
      chmodOnR(got, file.mode) === null;
    if (!unchanged) toHash.push(file);
  }
  const deleted: ReceivedFile[] = [];
  for (const [key, got] of received) {
    if (!present.has(key) && !isIgnored(got.base_dir, got.path)) deleted.push(got);
  }
  return { toHash, deleted };
}

/**
 * Directories made on R (present, never received), removed on R (received, gone, not ignored
 * now), and replaced on R by a file of the same name (received, now a file).
 */
export function findDirChanges(
  localDirs: readonly DirPath[],
  receivedDirs: ReadonlyMap<string, DirPath>,
  localFiles: ReadonlySet<string>,
  isIgnored: (baseDir: string, path: string, isDir: boolean) => boolean,
): { added: DirPath[]; removed: DirPath[]; replacedByFile: DirPath[] } {
  const present = new Set<string>();
  const added: DirPath[] = [];
  for (const dir of localDirs) {
    const key = fileKey(dir.base_dir, dir.path);
    present.add(key);
    if (!receivedDirs.has(key)) added.push(dir);
  }
  const removed: DirPath[] = [];
  const replacedByFile: DirPath[] = [];
  for (const [key, dir] of receivedDirs) {
    if (present.has(key) || isIgnored(dir.base_dir, dir.path, true)) continue;
    if (localFiles.has(key)) replacedByFile.push(dir);
    else removed.push(dir);
  }
  return { added, removed, replacedByFile };
}

/** A directory made on R, as its own listing showed it (for hollowDirs); subdirectories by fileKey. */
export interface NewDirListing {
  files: number;
  ignored: number;
  unreadable: boolean;
  subdirs: readonly string[];
}

/**
 * The directories made on R (by fileKey) that hold nothing R sends: only names the rules leave
 * out (conflict copies, zync temp files, ignored names), here or in subdirectories like them.
 * They are leftovers, not R's work: sent, they would come back on E empty (a directory a pull kept
 * for R's conflict copy after E renamed it). A directory with nothing in it is R's user's own
 * empty directory, and is sent; so is one that could not be read (what it holds is unknown).
 * `listings` in walk order, parents first.
 */
export function hollowDirs(listings: ReadonlyMap<string, NewDirListing>): Set<string> {
  const sends = new Map<string, boolean>();
  for (const [key, l] of [...listings].reverse()) {
    sends.set(key, l.unreadable || l.files > 0 || (l.subdirs.length === 0 && l.ignored === 0) || l.subdirs.some((d) => sends.get(d) ?? true));
  }
  return new Set([...sends].filter(([, s]) => !s).map(([key]) => key));
}

/** What a comparison keeps: only what changed, for hashing and then planUpstream. */
export interface FoundChanges {
  toHash: LocalFile[];
  deleted: ReceivedFile[];
  dirs: { added: DirPath[]; removed: DirPath[]; replacedByFile: DirPath[] };
  /** The received files planUpstream looks up: those at a suspect's path or a new directory's. */
  received: ReceivedFile[];
}

/**
 * Compares one directory as R lists it (its synced files and subdirectories) with what R received
 * for that directory's children. Received directories missing from the listing come back as
 * `gone`: nothing below them is on R, so the caller compares their recorded subtrees next, as
 * listings with nothing in them (each path deleted or removed unless ignored now). `isIgnored`
 * covers paths the listing left out.
 */
export function compareDirectory(
  local: { files: readonly LocalFile[]; dirs: readonly DirPath[] },
  received: Iterable<ReceivedEntry>,
  isIgnored: (baseDir: string, path: string, isDir: boolean) => boolean,
  /** false: the root keeps no permission bits (vfat), see withOwnBitsWhereModeless. */
  keepsModes = true,
): FoundChanges & { gone: DirPath[] } {
  const receivedFiles = new Map<string, ReceivedFile>();
  const receivedDirs = new Map<string, DirPath>();
  const shown = keepsModes ? null : new Map(local.files.map((f) => [fileKey(f.base_dir, f.path), f.mode]));
  for (const e of received) {
    const key = fileKey(e.base_dir, e.path);
    if (e.kind === 'dir') receivedDirs.set(key, { base_dir: e.base_dir, path: e.path });
    else if (e.checksum !== null) {
      const { base_dir, path, checksum, mode, local_mode, local_size, local_mtime, local_ino, local_ctime_max } = e;
      const file = { base_dir, path, checksum, mode, local_mode, local_size, local_mtime, local_ino, local_ctime_max };
      const bits = shown?.get(key);
      receivedFiles.set(key, bits === undefined ? file : withOwnBitsWhereModeless(file, bits, false));
    }
  }
  const { toHash, deleted } = findSuspects(local.files, receivedFiles, (baseDir, path) => isIgnored(baseDir, path, false));
  const dirs = findDirChanges(local.dirs, receivedDirs, new Set(local.files.map((f) => fileKey(f.base_dir, f.path))), isIgnored);
  const localDirs = new Set(local.dirs.map((d) => fileKey(d.base_dir, d.path)));
  const gone = [...receivedDirs].filter(([key]) => !localDirs.has(key)).map(([, dir]) => dir);
  const looked = [...toHash, ...dirs.added].map((e) => receivedFiles.get(fileKey(e.base_dir, e.path)));
  return { toHash, deleted, dirs, received: looked.filter((f) => f !== undefined), gone };
}

/**
 * Turns hashed suspects, deletions and directory changes into upstream entries, in a stable order,
 * one per path. A directory made where R had received a file carries that file's checksum as its
 * base, and the file's deletion is left out.
 */
export function planUpstream(input: {
  hashed: readonly HashedFile[];
  deleted: readonly ReceivedFile[];
  /** What R received at the hashed files' and added directories' paths (others may be left out). */
  received: ReadonlyMap<string, ReceivedFile>;
  staged: ReadonlyMap<string, StagedRecord>;
  dirs?: { added: readonly DirPath[]; removed: readonly DirPath[]; replacedByFile?: readonly DirPath[] };
  /** Staged records at paths where R's scan found no change, with R's disk and store there. */
  undone?: readonly UndoneInput[];
}): UpstreamPlan {
  let candidates: UpstreamEntry[] = [];
  for (const file of input.hashed) {
    const got = input.received.get(fileKey(file.base_dir, file.path));
    const chmodded = got ? chmodOnR(got, file.mode) : null;
    if (got && got.checksum === file.checksum && chmodded === null) continue; // touched, not edited
    // Same content with other permission bits (a chmod on R) is a modify too: it carries R's mode.
    // An edit without one carries E's bits: those R's disk shows may be its own (vfat), not R's.
    candidates.push({
      base_dir: file.base_dir,
      path: file.path,
      kind: 'file',
      operation: got ? 'modify' : 'add',
      checksum: file.checksum,
      size: file.size,
      base_checksum: got?.checksum ?? null,
      mode: got && chmodded === null ? got.mode : file.mode,
      ...(got ? { base_mode: got.mode } : {}),
      mtime: file.mtime,
    });
  }
  // A received file R replaced with a directory is one entry, the directory's add from the file
  // as its base: a deletion beside it would be a second entry for the path (the daemon refuses
  // that), and the base lets E tell its file R replaced from one E changed meanwhile.
  const dirAdded = new Set((input.dirs?.added ?? []).map((d) => fileKey(d.base_dir, d.path)));
  for (const got of input.deleted) {
    if (dirAdded.has(fileKey(got.base_dir, got.path))) continue;
    candidates.push({
      base_dir: got.base_dir,
      path: got.path,
      kind: 'file',
      operation: 'delete',
      checksum: null,
      size: 0,
      base_checksum: got.checksum,
    });
  }
  for (const dir of input.dirs?.added ?? []) {
    const replaced = input.received.get(fileKey(dir.base_dir, dir.path));
    candidates.push({
      base_dir: dir.base_dir,
      path: dir.path,
      kind: 'dir',
      operation: 'add',
      checksum: null,
      size: 0,
      base_checksum: replaced?.checksum ?? null,
      // A private directory made on R stays private on E (and so on R, which then takes E's mode).
      ...(dir.mode === undefined ? {} : { mode: dir.mode }),
    });
  }
  for (const dir of input.dirs?.removed ?? []) {
    candidates.push({ base_dir: dir.base_dir, path: dir.path, kind: 'dir', operation: 'delete', checksum: null, size: 0, base_checksum: null });
  }
  const plan: UpstreamPlan = { entries: [], already_staged: [], reverted: [], withheld: [] };
  for (const dir of input.dirs?.replacedByFile ?? []) {
    const below = (e: UpstreamEntry) => e.base_dir === dir.base_dir && (e.path === dir.path || e.path.startsWith(`${dir.path}/`));
    const held = candidates.filter(below);
    if (held.length === 0) continue;
    plan.withheld.push({ base_dir: dir.base_dir, path: dir.path, changes: held.length });
    // Not splice(0, n, ...kept): a plan may hold more entries than a call takes arguments.
    candidates = candidates.filter((e) => !below(e));
  }
  // A record below a directory held back is left alone like the rest there.
  const changed = new Set(candidates.map((e) => fileKey(e.base_dir, e.path)));
  const held = (key: string) => plan.withheld.some((w) => key === fileKey(w.base_dir, w.path) || key.startsWith(fileKey(w.base_dir, `${w.path}/`)));
  for (const u of input.undone ?? []) {
    const key = fileKey(u.record.base_dir, u.record.path);
    // Only records still in force (a discarded session's are dropped from `staged` first).
    if (changed.has(key) || held(key) || input.staged.get(key)?.staging_id !== u.record.staging_id) continue;
    const entry = revertOf(u);
    if (!entry) continue;
    candidates.push(entry);
    changed.add(key);
    plan.reverted.push({ base_dir: entry.base_dir, path: entry.path, staging_id: u.record.staging_id });
  }
  candidates = withholdFilesOverUndoes(candidates, plan);
  for (const entry of candidates) {
    const staged = input.staged.get(fileKey(entry.base_dir, entry.path));
    const same =
      staged !== undefined &&
      staged.kind === entry.kind &&
      staged.operation === entry.operation &&
      staged.checksum === entry.checksum &&
      staged.base_checksum === entry.base_checksum &&
      sameBitsOnE(staged, entry);
    if (same) {
      plan.already_staged.push({ base_dir: entry.base_dir, path: entry.path, staging_id: staged.staging_id });
    } else {
      plan.entries.push(entry);
    }
  }
  const order = (a: { base_dir: string; path: string }, b: { base_dir: string; path: string }) =>
    a.base_dir === b.base_dir ? (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) : a.base_dir < b.base_dir ? -1 : 1;
  plan.entries.sort(order);
  plan.already_staged.sort(order);
  plan.reverted.sort(order);
  plan.withheld.sort(order);
  return plan;
}

/**
 * Whether the staged entry leaves E's file the bits this one would: neither carries a chmod of
 * R's (its bits are those R had received: E keeps its own either way), or both carry one with the
 * same bits. The first is R's file that took E's chmod at a pull while the edit waited staged
 * (core/plan-pull.ts): the session already holds it, and sending it again would stage the same
 * edit twice. Equal bits alone are not enough: R's chmod back to the bits it staged, after taking
 * E's, is a chmod the session does not carry (E would keep its own). Without the bits R had
 * received (staged by an older zync, or not a modify), the bits sent decide.
 */
function sameBitsOnE(staged: StagedRecord, entry: UpstreamEntry): boolean {
  const known = entry.operation === 'modify' && staged.operation === 'modify' && staged.base_mode != null && entry.base_mode !== undefined;
  if (!known) return staged.mode === (entry.mode ?? null);
  const [stagedNone, entryNone] = [carriesNoChmod(staged), carriesNoChmod(entry)];
  return stagedNone === entryNone && (entryNone || staged.mode === entry.mode);
}

/**
 * A file R sends with entries below it: R replaced a directory it had staged (and not received)
 * with a file, and the undoes of what that session holds below it (deletions, revertOf) go with
 * the file. The daemon refuses such a session whole (PATH_CLASH), and the file alone, applied
 * before the waiting session, would have that session's entries land below it. So the file and
 * everything below it are held back, as for a received directory replaced by a file, until the
 * waiting session is applied (R then pulls E's directory) or discarded (the file then goes
 * alone). Returns the candidates left; fills plan.withheld and trims plan.reverted.
 */
function withholdFilesOverUndoes(candidates: UpstreamEntry[], plan: UpstreamPlan): UpstreamEntry[] {
  // Only an undo can lie below a file R holds: without one, nothing to look for (a plan may be huge).
  if (plan.reverted.length === 0) return candidates;
  const files = new Set(candidates.filter((e) => e.kind === 'file' && e.operation !== 'delete').map((e) => fileKey(e.base_dir, e.path)));
  if (files.size === 0) return candidates;
  const clashing = new Map<string, { base_dir: string; path: string }>();
  for (const e of candidates) {
    for (let cut = e.path.indexOf('/'); cut > 0; cut = e.path.indexOf('/', cut + 1)) {
      const above = fileKey(e.base_dir, e.path.slice(0, cut));
      if (files.has(above)) {
        clashing.set(above, { base_dir: e.base_dir, path: e.path.slice(0, cut) });
        break;
      }
    }
  }
  if (clashing.size === 0) return candidates;
  const heldBy = (e: { base_dir: string; path: string }) => {
    for (let cut = e.path.length; cut > 0; cut = e.path.lastIndexOf('/', cut - 1)) {
      const key = fileKey(e.base_dir, e.path.slice(0, cut));
      if (clashing.has(key)) return key;
    }
    return null;
  };
  const held = new Map<string, { changes: number; staged_in: Set<string> }>();
  for (const e of candidates) {
    const key = heldBy(e);
    if (key === null) continue;
    const h = held.get(key) ?? { changes: 0, staged_in: new Set<string>() };
    h.changes++;
    held.set(key, h);
  }
  for (const r of plan.reverted) {
    const key = heldBy(r);
    if (key !== null) held.get(key)?.staged_in.add(r.staging_id);
  }
  for (const [key, h] of held) {
    const at = clashing.get(key)!;
    plan.withheld.push({ base_dir: at.base_dir, path: at.path, changes: h.changes, staged_in: [...h.staged_in].sort() });
  }
  plan.reverted = plan.reverted.filter((r) => heldBy(r) === null);
  return candidates.filter((e) => heldBy(e) === null);
}

/** The summary of a plan's entries: `2 added, 1 modified, 0 deleted[, 1 directory created, ...]`. */
export function describeCounts(entries: readonly { kind: EntryKind; operation: ChangeOperation }[]): string {
  const count = (kind: EntryKind, op: ChangeOperation) => entries.filter((e) => e.kind === kind && e.operation === op).length;
  const dirs = (n: number, what: string) => (n === 0 ? [] : [`${n} ${n === 1 ? 'directory' : 'directories'} ${what}`]);
  return [
    `${count('file', 'add')} added`,
    `${count('file', 'modify')} modified`,
    `${count('file', 'delete')} deleted`,
    ...dirs(count('dir', 'add'), 'created'),
    ...dirs(count('dir', 'delete'), 'removed'),
  ].join(', ');
}

/**
 * Refuses to plan against roots that cannot be the ones R synced: a base dir bound to another
 * local root, or a root that is empty although R received files into it (a wrong --dirs, an
 * unmounted disk) — which would otherwise go upstream as the deletion of everything.
 */
export function checkRoots(
  roots: readonly { name: string; root: string; bound: string | undefined; localEntries: number; receivedFiles: number; unreadable?: string | null }[],
): ZyncError | null {
  for (const r of roots) {
    if (r.bound !== undefined && r.bound !== r.root) {
      return new ZyncError('BAD_ARGUMENT', `"${r.name}" is synced into ${r.bound} on R, not ${r.root}; pass the same --dirs as when syncing, or, if the directory was moved there, pull once with these --dirs first (R's edits and deletions in it stay R's when it moved whole). Nothing was sent.`);
    }
    if (r.unreadable) {
      return new ZyncError('ROOT_UNAVAILABLE', `${r.root} ("${r.name}") cannot be read on R (${r.unreadable}); nothing is sent upstream (check its permissions).`);
    }
    if (r.localEntries === 0 && r.receivedFiles > 0) {
      return new ZyncError(
        'ROOT_UNAVAILABLE',
        `${r.root} ("${r.name}") is empty although R received ${r.receivedFiles} files into it; refusing to send their deletion upstream (check --dirs and the disk).`,
      );
    }
  }
  return null;
}
