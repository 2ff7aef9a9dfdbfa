// Applies one collapsed batch of log entries to R's disk: inspects each path (stat, and a hash
// where the planner needs one), plans with planPull, and executes the plan phase by phase with
// bounded concurrency — small files in GET_FILES batches (small-files.ts), larger ones streamed
// and pipelined on the one connection, copies from content R already holds (small ones the way
// small downloads go, copy-sources.ts), deletions, directories. Every file lands through a temp
// file beside the target, SHA-256 verified and made durable before it is renamed
// (AtomicFileWriter fsyncs each; a group of small files shares one barrier); just before each
// rename or delete the disk is checked again and anything that differs from what was planned on
// is kept as a conflict copy. Returns what to record and which sequences failed; it never records or
// acknowledges itself (the pull engine does, after the directory barrier). Directories get E's
// mode at the very end, once nothing more is written in them (core/dir-modes.ts); directories the
// batch had to open for writing get their own mode back then, whatever happened meanwhile (after a
// kill -9 first, at the next start: opened-dirs.ts).
import { constants as fsConstants, createReadStream, linkSync, unlinkSync } from 'node:fs';
import { chmod, copyFile, open, rmdir, unlink, utimes } from 'node:fs/promises';
import * as posixPath from 'node:path/posix';
import * as nodePath from 'node:path';
import {
  AtomicFileWriter,
  TEMP_PREFIX,
  ZyncError,
  chmodUnsupported,
  fromFsError,
  isConflictCopy,
  isSafeRelativePath,
  isZyncError,
  tempPathFor,
  toFileTime,
  type ChangeEntry,
  type GetFileHeader,
  type Logger,
} from '@zync/common';
import { runPool } from './bounded-pool.js';
import { fetchSmallFiles, splitSmallFiles, type SmallFileContext } from './small-files.js';
import type { Connection, FetchedFile } from './connection.js';
import { readUnchangedFile } from './copy-sources.js';
import { takeBuffer } from './batch-buffers.js';
import { planDirModes, type DirModeTarget } from './core/dir-modes.js';
import { heldSources, isInHoldingArea } from './core/held-files.js';
import type { HoldingArea } from './holding-area.js';
import { adoptPlacement, knownLocalChecksum, needsLocalHash, placementBaseBits } from './core/local-edits.js';
import { localBitsAfterWrite, withOwnBitsWhereModeless } from './core/file-modes.js';
import { ChangedOnR, isRoutineFailure, type Failure } from './core/failure-causes.js';
import { PHASES, fetchedModes, planEntry, planPull, type ClearDir, type PlanInput, type PullAction, type StagedAtPath } from './core/plan-pull.js';
import { entryKeyString, type EntryKey, type KeptDir, type LocalState, type PartialDownload, type Placement, type RecordedEntry } from './core/types.js';
import { lstatState, sameLocalState, withChecksum, type LocalTree } from './local-tree.js';

/** The store lookups a batch needs (read-only; recording happens after the barrier). */
export interface RecordLookup {
  getEntry(baseDir: string, path: string): RecordedEntry | undefined;
  /** By `${base_dir}\0${path}` (entryKeyString). */
  getEntries(keys: readonly EntryKey[]): Map<string, RecordedEntry>;
  findByChecksums(checksums: readonly string[]): Map<string, RecordedEntry[]>;
  /** E's contents an unrecorded batch may have placed at these paths, by entryKeyString. */
  placements(keys: readonly EntryKey[]): Map<string, Placement[]>;
}

/** Large downloads cut short, kept to resume (the client store). */
export interface PartialDownloads {
  partials(): PartialDownload[];
  getPartial(baseDir: string, path: string): PartialDownload | undefined;
  putPartial(partial: PartialDownload): void;
  dropPartial(baseDir: string, path: string): void;
}

/**
 * R's copies made and hashed again at once for files E appended to: each reads the whole file
 * through a 1 MiB buffer (AtomicFileWriter.resume), so a batch of many grown logs stays bounded.
 */
const COPIES_TO_EXTEND_AT_ONCE = 2;

/** Downloads at least this large keep what they received when cut short, and resume after it. */
export const RESUMABLE_BYTES = 8 * 1024 * 1024;

export interface BatchOptions {
  /** Only downloads go through the connection. */
  connection: Pick<Connection, 'getFile' | 'getFiles'>;
  tree: LocalTree;
  records: RecordLookup;
  /**
   * false: the placement notes could only repeat this batch's own last contents (no killed run
   * left any, the page replaced none), so records.placements is not asked.
   */
  checkPlacements?: boolean;
  /** In a resync, per base_dir: the sequence R had applied E's log to before it (ClientStore.passedThrough). */
  passedThrough?: ReadonlyMap<string, number>;
  /**
   * In a resync, the base_dirs R's records cannot be placed in E's log for (another log, or one
   * restored from an older backup: ClientStore.resyncAgainstForgottenLog): see core/local-edits.ts mayAdoptUnordered.
   */
  unorderedDirs?: ReadonlySet<string>;
  /** Paths (entryKeyString) where the page shows E making a directory, superseded ones included. */
  madeDirs?: ReadonlySet<string>;
  /** What R staged upstream at these paths, by entryKeyString, oldest session first (none: nothing staged). */
  staged?: (keys: readonly EntryKey[]) => ReadonlyMap<string, readonly StagedAtPath[]>;
  partials: PartialDownloads;
  /**
   * Where files R deletes for E's deletions are held, unchanged, to be copied from by later
   * passes (core/held-files.ts). Without it, they are unlinked.
   */
  holding?: Pick<HoldingArea, 'hold' | 'contents' | 'holdsAny' | 'empty'> | undefined;
  /** base_dirs the daemon serves (entries for served dirs R does not sync are skipped quietly). */
  daemonDirs: ReadonlySet<string>;
  generation: number;
  /**
   * In a full resync, the roots that were there when the pass began (those it did not hold):
   * below one still there, a received path with nothing at it is R's deletion (core/plan-pull.ts,
   * keptDeletion). Not a root missing then: its files are gone with it, not deleted by R.
   */
  resyncedRoots?: ReadonlySet<string>;
  logger: Logger;
  /** Downloads in flight at once on the connection. */
  maxDownloads: number;
  /** Stops starting new work (SIGINT/SIGTERM); what is not done is reported as failed. */
  signal?: AbortSignal | undefined;
  /**
   * Later pages of E's log follow in this pass: a deletion not paired with an add here may be a
   * move whose add is there (core/late-moves.ts), so it is said as "deleted or moved".
   */
  moreToCome?: boolean;
  now?: () => Date;
  /**
   * Failures (failureKey) already warned of and still failing: said again at debug only, as each
   * retry meets them again. One warned of here is added.
   */
  warnedFailures?: Set<string>;
  /** Base dirs whose root was said to keep no permission bits: said once per run. One found here is added. */
  modelessRoots?: Set<string>;
  /**
   * Whether a base dir's root keeps permission bits (root-modes.ts), asked only where a file's own
   * bits are not known. Absent: every root does.
   */
  keepsModes?: (baseDir: string) => Promise<boolean>;
  /**
   * For a file to fetch that did not fit on R's disk before: why it waits for room (DISK_FULL),
   * or null to fetch it now (core/room-waits.ts). Absent: every file is fetched.
   */
  waitsForRoom?: (entry: ChangeEntry, abs: string) => ZyncError | null;
}

/** A failure as the retries meet it again: the same entry, failing the same way. */
export function failureKey(problem: Pick<Problem, 'base_dir' | 'path' | 'code'>): string {
  return `${problem.base_dir}\0${problem.path}\0${problem.code}`;
}

export interface ConflictReport {
  base_dir: string;
  path: string;
  /** Where R's version was kept (relative to the root). */
  copy: string;
  reason: string;
  /** The copy is R's directory (E put a file where it was), not a file. */
  dir?: true;
  /** The copy is R's file where E has a directory now: there is no file of E's to move it over. */
  eDir?: true;
  /** A deletion that may be a move a later page completes: the content R received (core/late-moves.ts). */
  unpairedContent?: string;
}

/** What a conflict copy holds, for the advice on it (runner.ts conflictNotes). */
type CopyKind = 'file' | 'dir' | 'file-where-e-dir';

export interface Problem extends Failure {
  base_dir: string;
  path: string;
  sequence: number;
  /**
   * Not attempted: R's disk was found full earlier in the round, or the file waits for room
   * (BatchOptions.waitsForRoom). Only a file tried is known not to fit.
   */
  untried?: 'after-disk-full' | 'waiting-for-room';
}

export interface BatchStats {
  downloaded: number;
  /** Of those, downloads resumed where a cut-short one stopped. */
  resumed: number;
  /** Of those, files E appended to that R extended from its own copy (core/appended.ts). */
  extended: number;
  copied: number;
  /** Bytes that crossed the wire: a resumed download counts only what came after its offset. */
  bytes: number;
  deleted: number;
  dirsCreated: number;
  dirsDeleted: number;
  attributes: number;
}

export interface BatchResult {
  upserts: RecordedEntry[];
  removals: EntryKey[];
  /** Entries whose effect is not on disk: their sequences must be pulled again. */
  failed: Problem[];
  /** Entries skipped for good (unsafe path, unknown base_dir): acknowledged, reported. */
  skipped: Problem[];
  conflicts: ConflictReport[];
  /** Directories E deleted that were kept: they still hold R's files (see core/kept-dirs.ts). */
  keptDirs: KeptDir[];
  /**
   * Paths E could not serve (NOT_FOUND): nothing of this entry reached R, and what a stopped run
   * may have placed there waits for E's later entry for the path (ClientStore.commitBatch).
   */
  unserved: EntryKey[];
  /** Of those, the records kept as they were (seen in this generation): written, not received. */
  confirmed: RecordedEntry[];
  stats: BatchStats;
}

/** Errors after which trying the same entry again later can succeed. */
function describe(err: unknown): Failure {
  const mapped = fromFsError(err, 'writing to R'); // ENOSPC from mkdir, rename, ... is DISK_FULL too
  if (mapped instanceof ChangedOnR) return { code: mapped.code, message: mapped.message, onR: true };
  if (isZyncError(mapped)) return { code: mapped.code, message: mapped.message };
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'INTERNAL';
  return { code, message: err instanceof Error ? err.message : String(err) };
}

/** What E did, for a file of E's that meets a non-empty directory on R (kept as a conflict copy). */
const CLEAR_DIR_REASON: Record<ClearDir, string> = {
  'e-replaced-dir': 'E replaced the directory with a file',
  'e-added-file': 'E added a file where R made a directory',
  'e-changed-file': 'E changed the file R had replaced with a directory',
};

/**
 * Failures that will not go away by retrying, so the entry is acknowledged anyway: the path
 * itself is refused, or the daemon no longer has the file (NOT_FOUND: a later delete in the log
 * supersedes the entry).
 */
const PERMANENT = new Set(['UNSAFE_PATH', 'UNKNOWN_BASE_DIR', 'NOT_FOUND']);

export async function applyBatch(entries: readonly ChangeEntry[], options: BatchOptions): Promise<BatchResult> {
  // Held files take space a plain unlink would have freed: when R's disk is full with some held,
  // they are released and what failed for it is tried again at once, so the disk is full only
  // if it would be without them (and a failure the retry clears is not warned of). So is it when
  // the batch's deletions, run after the failed download, freed space. Once: no loop. A failure
  // said at debug and not retried (no deletion went through) is still the pass's DISK_FULL.
  const result = await applyRounds(entries, options, true);
  // A file waiting for room is not tried again for the batch's deletions (the next pass looks at
  // the room there is): under churn each pass would say so. Held files are released for it.
  const holds = options.holding?.holdsAny() === true;
  const full = new Set(result.failed.filter((p) => p.code === 'DISK_FULL' && (p.untried !== 'waiting-for-room' || holds)).map(retryKey));
  if (full.size === 0 || options.signal?.aborted === true) return result;
  const released = options.holding?.holdsAny() === true ? await options.holding.empty().catch(() => 0) : 0;
  if (released === 0 && result.stats.deleted === 0) return result;
  options.logger.info(`R's disk is full: released ${released} held file(s), ${result.stats.deleted} deleted; trying ${full.size} change(s) again`);
  const again = await applyRounds(
    entries.filter((entry) => full.has(retryKey(entry))),
    options,
    false,
  );
  return mergeResults({ ...result, failed: result.failed.filter((p) => !full.has(retryKey(p))) }, again);
}

const retryKey = (entry: Pick<ChangeEntry, 'base_dir' | 'path' | 'sequence'>) => `${entry.sequence}\0${entry.base_dir}\0${entry.path}`;

async function applyRounds(entries: readonly ChangeEntry[], options: BatchOptions, releasing: boolean): Promise<BatchResult> {
  // Said at debug where applyBatch retries (it warns then if the retry fails too).
  const deletes = entries.some((entry) => entry.kind === 'file' && entry.operation === 'delete');
  const quietDiskFull = () => releasing && (deletes || options.holding?.holdsAny() === true);
  const first = await applyRound(entries, options, true, quietDiskFull);
  if (first.belowSymlink.length === 0) return first.result;
  // Entries refused because a directory above them is a symlink on R get one more round: E's
  // directory may just have replaced that link (kept as a conflict copy) in the first round.
  // Below a link that is still there they are refused again, for good — never written through.
  const second = await applyRound(first.belowSymlink, options, false, quietDiskFull);
  return mergeResults(first.result, second.result);
}

function mergeResults(a: BatchResult, b: BatchResult): BatchResult {
  const stats = { ...a.stats };
  for (const key of Object.keys(stats) as (keyof BatchStats)[]) stats[key] += b.stats[key];
  return {
    upserts: [...a.upserts, ...b.upserts],
    removals: [...a.removals, ...b.removals],
    failed: [...a.failed, ...b.failed],
    skipped: [...a.skipped, ...b.skipped],
    conflicts: [...a.conflicts, ...b.conflicts],
    keptDirs: [...a.keptDirs, ...b.keptDirs],
    unserved: [...a.unserved, ...b.unserved],
    confirmed: [...a.confirmed, ...b.confirmed],
    stats,
  };
}

async function applyRound(
  entries: readonly ChangeEntry[],
  options: BatchOptions,
  deferBelowSymlink: boolean,
  /** true: DISK_FULL is said at debug only, as applyBatch retries it after releasing held files or deleting. */
  quietDiskFull: () => boolean = () => false,
): Promise<{ result: BatchResult; belowSymlink: ChangeEntry[] }> {
  const { connection, tree, records, partials, logger, generation } = options;
  const belowSymlink: ChangeEntry[] = [];
  const now = options.now ?? (() => new Date());
  const result: BatchResult = {
    upserts: [],
    removals: [],
    failed: [],
    skipped: [],
    conflicts: [],
    keptDirs: [],
    unserved: [],
    confirmed: [],
    stats: { downloaded: 0, resumed: 0, extended: 0, copied: 0, bytes: 0, deleted: 0, dirsCreated: 0, dirsDeleted: 0, attributes: 0 },
  };
  const aborted = () => options.signal?.aborted === true;
  /**
   * Set by the first DISK_FULL: no further file is fetched in this round (deletions still run and
   * free space, or are held: applyBatch then releases what is held and retries).
   */
  let diskFull = false;
  /** Entries that failed or were skipped: their directory's mode is not set at the end. */
  const unapplied = new Set<ChangeEntry>();
  const problem = (entry: ChangeEntry, err: unknown): Problem => ({
    base_dir: entry.base_dir,
    path: entry.path,
    sequence: entry.sequence,
    ...describe(err),
  });
  const fail = (entry: ChangeEntry, err: unknown) => {
    unapplied.add(entry);
    putBackAside(entry);
    const p = problem(entry, err);
    if (p.code === 'NOT_FOUND') {
      logger.debug(`skipping ${entry.base_dir}/${entry.path}: the daemon no longer has it`);
      result.skipped.push(p);
      // Gone on E, or E may not read it: R's copy stays as recorded, and a resync's sweep must not
      // take it for a file E no longer has. If it is gone, its deletion comes later in the log
      // (a tombstone outlives a pass by days). Not an upsert: that would drop the placement notes
      // at the path, and the file there may be E's content a stopped run placed and E has since
      // deleted, which only E's later entry tells from R's edit.
      result.unserved.push({ base_dir: entry.base_dir, path: entry.path });
      const recorded = records.getEntry(entry.base_dir, entry.path);
      if (recorded) result.confirmed.push({ ...recorded, seen_gen: generation });
    } else if (PERMANENT.has(p.code)) {
      logger.error({ code: p.code }, `skipping ${entry.base_dir}/${entry.path}: ${p.message}`);
      result.skipped.push(p);
    } else {
      // Stopping (a signal): the pass ends here and says so once; no warning per cut-off file.
      if (aborted()) logger.debug({ code: p.code }, `stopped before ${entry.base_dir}/${entry.path} was applied: ${p.message}`);
      // E ended the connection for its token (rotated): said once for the run, not per file.
      else if (p.code === 'UNAUTHORIZED') logger.debug({ code: p.code }, `could not apply ${entry.base_dir}/${entry.path}: ${p.message}`);
      else if (p.code === 'DISK_FULL' && quietDiskFull()) logger.debug({ code: p.code }, `could not apply ${entry.base_dir}/${entry.path} (tried again after releasing held files or deleting): ${p.message}`);
      // The pass says a full disk once, naming the first file (runner.ts): a warning per file tried
      // at once (a disk filling up with small files) would say it dozens of times.
      else if (p.code === 'DISK_FULL') logger.debug({ code: p.code }, `could not apply ${entry.base_dir}/${entry.path} (will retry; the pass says R's disk is full): ${p.message}`);
      // Changed on E while read: E is busy with it, and the retry fetches its newer state. Under
      // churn (a build, a checkout) a warning each would flood the log; the pass says how many
      // and why (core/failure-causes.ts). A changed-on-R one is warned of below.
      else if (isRoutineFailure(p)) logger.debug({ code: p.code }, `${entry.base_dir}/${entry.path} changed on E under its download, retried with E's newer state: ${p.message}`);
      // A failure that lasts (a root that cannot be made, no permission) meets every
      // retry, within a pass and at each pass after it: warned of once, while it lasts.
      else if (options.warnedFailures?.has(failureKey(p))) logger.debug({ code: p.code }, `could not apply ${entry.base_dir}/${entry.path} (will retry): ${p.message}`);
      else {
        options.warnedFailures?.add(failureKey(p));
        logger.warn({ code: p.code }, `could not apply ${entry.base_dir}/${entry.path} (will retry): ${p.message}`);
      }
      result.failed.push(p);
      if (p.code === 'DISK_FULL') diskFull = true;
    }
  };
  /**
   * The files guard() moved to a conflict copy name just before E's file was to be renamed into
   * their place, by entryKeyString, until that file is recorded. When the rename (or anything
   * before the record) fails — the root moved away meanwhile, say — the path would be left empty
   * with R's record of it standing: read as R's deletion, sent upstream. So the file goes back
   * (link, never over something new there) and its conflict is unsaid; if it cannot, its record
   * is dropped, and the next pass fetches E's file with R's kept beside it.
   */
  const asideCopies = new Map<string, { abs: string; copyAbs: string; copy: string }>();
  const putBackAside = (entry: ChangeEntry) => {
    const key = entryKeyString(entry);
    const aside = asideCopies.get(key);
    if (aside === undefined) return;
    asideCopies.delete(key);
    const where = `${entry.base_dir}/${entry.path}`;
    try {
      linkSync(aside.copyAbs, aside.abs);
      unlinkSync(aside.copyAbs);
      const at = result.conflicts.findIndex((c) => c.base_dir === entry.base_dir && c.path === entry.path && c.copy === aside.copy);
      if (at >= 0) result.conflicts.splice(at, 1);
      logger.info(`put R's file back at ${where} from ${entry.base_dir}/${aside.copy}: E's file could not be placed there`);
    } catch {
      if (records.getEntry(entry.base_dir, entry.path) !== undefined) result.removals.push({ base_dir: entry.base_dir, path: entry.path });
      logger.info(`R's file at ${where} stays as ${entry.base_dir}/${aside.copy} (E's file could not be placed there): R's record of the path is dropped, and E's file is fetched again`);
    }
  };
  const conflict = (entry: EntryKey, copy: string, reason: string, edit = 'edited on R', kind: CopyKind = 'file', unpairedContent?: string) => {
    const what = kind === 'dir' ? { dir: true as const } : kind === 'file-where-e-dir' ? { eDir: true as const } : {};
    result.conflicts.push({ base_dir: entry.base_dir, path: entry.path, copy, reason, ...what, ...(unpairedContent === undefined ? {} : { unpairedContent }) });
    logger.warn(`conflict: ${entry.base_dir}/${entry.path} was ${edit} and ${reason}; R's version is kept as ${entry.base_dir}/${copy}`);
  };
  /** One line where R's deletion gave way to E's later change (no copy: R had deleted it). */
  const restored = (action: FetchAction) => {
    const { entry } = action;
    if (action.restored === 'content') logger.warn(`restored ${entry.base_dir}/${entry.path}: deleted on R, changed on E — E's version is back`);
    else if (action.restored === 'mode') logger.warn(`restored ${entry.base_dir}/${entry.path}: deleted on R, chmodded on E (${(entry.mode & 0o7777).toString(8)}) — E's version is back`);
  };
  /** One line where E's chmod replaced a different one R made (no copy keeps R's bits). */
  const modeReplaced = (entry: ChangeEntry, replacedBits: number | undefined) => {
    if (replacedBits === undefined) return;
    const [r, e] = [replacedBits.toString(8), (entry.mode & 0o7777).toString(8)];
    logger.warn(`permissions: ${entry.base_dir}/${entry.path} was chmodded on R (${r}) and on E (${e}); it has E's ${e} now`);
  };
  /**
   * A file that does not show the bits R gave it: its root keeps no Unix modes (vfat). Said once;
   * its files keep the bits it gives them, and those count as no chmod of R's (localBitsAfterWrite).
   */
  const noteModeless = (entry: ChangeEntry, wrote: number, got: number): void => {
    const modeless = options.modelessRoots ?? new Set<string>();
    if ((wrote & 0o777) === (got & 0o777) || modeless.has(entry.base_dir)) return;
    modeless.add(entry.base_dir);
    logger.warn(
      `permissions: R's root for "${entry.base_dir}" does not keep permission bits (${entry.path} shows ${(got & 0o777).toString(8)} where zync set ${(wrote & 0o777).toString(8)}); its files keep the bits it gives them, and these are not sent upstream as chmods`,
    );
  };
  /** `wrote`: the bits R gave the file (R's own chmod kept over E's), where not E's recorded ones. */
  const record = (entry: ChangeEntry, local: LocalState, header?: Pick<GetFileHeader, 'checksum' | 'size' | 'mtime' | 'mode'>, wrote?: number): void => {
    asideCopies.delete(entryKeyString(entry));
    const isFile = entry.kind === 'file' && local.kind === 'file';
    const mode = header?.mode ?? entry.mode;
    if (isFile) noteModeless(entry, wrote ?? mode, local.mode);
    result.upserts.push({
      base_dir: entry.base_dir,
      path: entry.path,
      kind: entry.kind,
      checksum: entry.kind === 'file' ? (header?.checksum ?? entry.checksum) : null,
      size: header?.size ?? entry.size,
      mtime: header?.mtime ?? entry.mtime,
      mode,
      local_size: isFile ? local.size : null,
      local_mtime: isFile ? local.mtime : null,
      local_ino: isFile ? local.ino : null,
      // Recorded after R's own write (rename, chmod, utimes): a later write moves the ctime past
      // this (+1: Date.now() drops the fraction of a millisecond the ctime keeps).
      local_ctime_max: isFile ? Date.now() + 1 : null,
      local_mode: local.kind === 'file' && isFile ? localBitsAfterWrite(wrote ?? mode, local.mode, mode) : null,
      sequence: entry.sequence,
      seen_gen: generation,
    });
  };

  // ---- inspect: what R recorded and what its disk holds, per path ----
  const started = Date.now();
  const timings: Record<string, number> = {};
  tree.resetCache();
  const inputs: PlanInput[] = [];
  const paths = new Map<ChangeEntry, string>();
  const recordedByKey = records.getEntries(entries);
  const placedByKey = options.checkPlacements === false ? new Map<string, Placement[]>() : records.placements(entries);
  const stagedByKey = options.staged?.(entries) ?? new Map<string, readonly StagedAtPath[]>();
  const toHash: PlanInput[] = [];
  const accepted: ChangeEntry[] = [];
  for (const entry of entries) {
    if (!tree.has(entry.base_dir)) {
      if (!options.daemonDirs.has(entry.base_dir)) {
        fail(entry, new ZyncError('UNKNOWN_BASE_DIR', `The daemon sent a change for "${entry.base_dir}", which it does not serve.`));
      }
      continue;
    }
    const name = posixPath.basename(entry.path);
    if (name.startsWith(TEMP_PREFIX) || isConflictCopy(entry.path) || isInHoldingArea(entry.path)) {
      fail(entry, new ZyncError('UNSAFE_PATH', `Refused path ${JSON.stringify(entry.path)}: zync's own temp and conflict copy names are never synced.`));
      continue;
    }
    accepted.push(entry);
  }
  try {
    tree.openAncestors(accepted);
  } catch (err) {
    // Their notes could not be written (a full disk): nothing of the batch is applied.
    for (const entry of accepted.splice(0)) fail(entry, err);
  }
  const rootsThere = new Map<string, boolean>();
  const rootThere = (baseDir: string): boolean => {
    if (options.resyncedRoots?.has(baseDir) !== true) return false;
    if (!rootsThere.has(baseDir)) rootsThere.set(baseDir, lstatState(tree.root(baseDir)).kind === 'dir');
    return rootsThere.get(baseDir)!;
  };
  for (const entry of accepted) {
    try {
      const abs = tree.resolve(entry.base_dir, entry.path);
      const recorded = recordedByKey.get(entryKeyString(entry));
      const input: PlanInput = {
        entry,
        recorded,
        local: tree.inspect(abs),
        eMadeDir: options.madeDirs?.has(entryKeyString(entry)) ?? false,
        replayed: entry.sequence <= (options.passedThrough?.get(entry.base_dir) ?? 0),
        staged: stagedByKey.get(entryKeyString(entry)),
        resyncing: rootThere(entry.base_dir),
      };
      // One more lstat, only where R staged something and holds nothing: was the file deleted alone?
      if (input.staged && input.local.kind === 'absent') input.inDir = tree.inspect(nodePath.dirname(abs)).kind === 'dir';
      paths.set(entry, abs);
      // A file a killed run may have placed is hashed, to tell E's content from R's.
      const placed = placedByKey.has(entryKeyString(entry)) && knownLocalChecksum(recorded, input.local) === undefined;
      if (placed || needsLocalHash(entry, recorded, input.local)) toHash.push(input);
      else inputs.push(input);
    } catch (err) {
      // A well-formed path that resolve() refuses lies below a symbolic link on R.
      if (deferBelowSymlink && isZyncError(err) && err.code === 'UNSAFE_PATH' && isSafeRelativePath(entry.path)) belowSymlink.push(entry);
      else fail(entry, err);
    }
  }
  // Hashing R's files (only where its edits must be told apart from E's content) reads them
  // whole: a few at a time, so reads overlap.
  await runPool(toHash, 8, async (input) => {
    try {
      inputs.push({ ...input, local: await withChecksum(paths.get(input.entry)!, input.local) });
    } catch (err) {
      fail(input.entry, err);
    }
  });

  for (const input of inputs) {
    const placed = placedByKey.get(entryKeyString(input.entry));
    if (!placed) continue;
    const stagedContents = (input.staged ?? []).map((s) => (s.kind === 'file' && s.operation !== 'delete' ? s.checksum : null));
    const baseBits = placementBaseBits(input.local, input.entry.operation === 'delete' ? null : input.entry.mode, stagedContents, placed);
    const { entry } = input;
    const unordered = options.unorderedDirs?.has(entry.base_dir) === true ? { current: entry.operation === 'delete' ? null : entry.checksum } : undefined;
    input.recorded = adoptPlacement(input.recorded, input.local, placed, baseBits, () => unrecorded(entry), options.passedThrough?.get(entry.base_dir) ?? 0, unordered);
    const { local } = input;
    if (unordered && local.kind === 'file' && input.recorded?.kind !== 'file' && placed.some((p) => p.checksum === local.checksum)) input.heldByEBefore = true;
  }
  // Files whose own bits R does not know (recorded by an older zync, adopted just above): on a
  // root that keeps none, the bits they show (withOwnBitsWhereModeless).
  const unknownBits = inputs.filter((input) => input.recorded?.kind === 'file' && input.recorded.local_mode == null && input.local.kind === 'file');
  if (unknownBits.length > 0 && options.keepsModes) {
    const keeps = new Map<string, boolean>();
    for (const baseDir of new Set(unknownBits.map((input) => input.entry.base_dir))) keeps.set(baseDir, await options.keepsModes(baseDir));
    for (const input of unknownBits) {
      if (input.recorded && input.local.kind === 'file') input.recorded = withOwnBitsWhereModeless(input.recorded, input.local.mode, keeps.get(input.entry.base_dir)!);
    }
  }

  // The ctime bound each file's record holds (after R's own write), for the last-moment checks:
  // a ctime that moved within it is that write seen late, not R's edit (sameLocalState).
  const ctimeBounds = new Map(inputs.flatMap(({ entry, recorded }) => (recorded?.kind === 'file' && recorded.local_ctime_max != null ? [[entryKeyString(entry), recorded.local_ctime_max] as const] : [])));
  const boundOf = (entry: EntryKey): number | undefined => ctimeBounds.get(entryKeyString(entry));

  // Content R already holds intact under another path: a rename on E becomes a local copy.
  const sources = new Map<string, EntryKey>();
  const wanted = inputs
    .filter(({ entry, local }) => entry.kind === 'file' && entry.operation !== 'delete' && entry.checksum !== null && entry.size > 0 && local.kind !== 'file')
    .map(({ entry }) => entry.checksum!);
  const holders = wanted.length > 0 ? records.findByChecksums(wanted) : new Map<string, RecordedEntry[]>();
  for (const { entry, local } of inputs) {
    if (entry.kind !== 'file' || entry.operation === 'delete' || entry.checksum === null || entry.size === 0) continue;
    if (local.kind === 'file' || sources.has(entry.checksum)) continue;
    for (const candidate of holders.get(entry.checksum) ?? []) {
      if (!tree.has(candidate.base_dir)) continue;
      if (candidate.base_dir === entry.base_dir && candidate.path === entry.path) continue;
      sources.set(entry.checksum, { base_dir: candidate.base_dir, path: candidate.path });
      break;
    }
  }
  // Else content R deleted a pass ago, held (a checkout, npm ci: E deletes first, creates after).
  const unsourced = wanted.filter((checksum) => !sources.has(checksum));
  if (unsourced.length > 0 && options.holding) {
    // Any root's (a copy, not a move), but one held off its disk this pass.
    const held = new Map([...options.holding.contents()].filter(([baseDir]) => tree.has(baseDir)));
    for (const [checksum, source] of heldSources(unsourced, held)) sources.set(checksum, source);
  }

  timings.inspect = Date.now() - started;
  let plan: ReturnType<typeof planPull>;
  try {
    plan = planPull(inputs, sources);
  } catch {
    // A path the planner refuses (a broken invariant) fails alone: failing the whole batch
    // would hold back every other path on every pass, and R would never converge.
    const plannable = inputs.filter((input) => {
      try {
        planEntry(input, sources);
        return true;
      } catch (err) {
        fail(input.entry, err);
        return false;
      }
    });
    plan = planPull(plannable, sources);
  }

  // A file that did not fit before is not fetched again while R's disk still has no room for it:
  // each attempt would move it whole across the tunnel for nothing. Said once, when it first failed.
  const waitsForRoom = options.waitsForRoom;
  if (waitsForRoom) {
    for (const phase of ['copy', 'download'] as const) {
      plan[phase] = plan[phase].filter((action) => {
        const why = action.type === 'fetch' ? waitsForRoom(action.entry, paths.get(action.entry)!) : null;
        if (why === null) return true;
        unapplied.add(action.entry);
        logger.debug({ code: why.code }, `${action.entry.base_dir}/${action.entry.path} waits for room on R's disk: ${why.message}`);
        result.failed.push({ ...problem(action.entry, why), untried: 'waiting-for-room' });
        return false;
      });
    }
  }

  // ---- execute ----
  const absOf = (entry: ChangeEntry) => paths.get(entry)!;
  /** Makes a file's missing parent directories, each with the bits R last received for it. */
  const ensureParent = (abs: string) =>
    tree.ensureParent(abs, (baseDir, path) => {
      const recorded = records.getEntry(baseDir, path);
      return recorded?.kind === 'dir' ? recorded.mode & 0o7777 : null;
    });

  /** Keeps whatever is at abs as a conflict copy when it is not what the plan saw. */
  const guard = async (entry: ChangeEntry, abs: string, expected: LocalState, keepCopy: boolean, reason: string) => {
    const current = lstatState(abs);
    if (current.kind === 'absent') return;
    if (keepCopy || !sameLocalState(current, expected, boundOf(entry))) {
      if (current.kind === 'dir') throw new ChangedOnR(`${entry.base_dir}/${entry.path} became a directory on R meanwhile.`);
      const copy = await tree.keepConflictCopy(entry.base_dir, entry.path, abs, now());
      asideCopies.set(entryKeyString(entry), { abs, copyAbs: nodePath.join(nodePath.dirname(abs), nodePath.basename(copy)), copy });
      // A resync serves E's files as they are, not as changes: where R has no record of the path
      // (its first pull, or a root whose records were dropped), E did not "add" anything over R's.
      const unrecorded = options.resyncedRoots?.has(entry.base_dir) === true && records.getEntry(entry.base_dir, entry.path) === undefined;
      if (unrecorded) conflict(entry, copy, 'E holds other content there', "R's own (R has no record of receiving it from E)");
      // R never received a file there: both sides made one (E's entry may say modify: E saved it twice).
      else if (recordedByKey.get(entryKeyString(entry))?.kind !== 'file' && entry.operation !== 'delete') conflict(entry, copy, 'E added one', 'made on R');
      else conflict(entry, copy, reason);
    }
  };

  /**
   * Copy sources whose ctime our own read moved (on a FUSE root, bindfs, a read makes the kernel
   * fetch the attributes afresh, with the backing file system's ctime): from, to. A source E
   * deleted (a rename on E) is deleted after the copy, and would otherwise look edited by then,
   * and be kept as a conflict copy.
   */
  const movedByOurRead = new Map<string, { from: number; to: number }>();
  /** After reading a copy source: `before`, its state just before the read. */
  const noteRead = (sourceAbs: string, before: LocalState): void => {
    const after = lstatState(sourceAbs);
    if (before.kind === 'file' && after.kind === 'file' && before.ctime !== undefined && after.ctime !== undefined && before.ctime !== after.ctime) {
      if (sameLocalState(after, { ...before, ctime: after.ctime })) movedByOurRead.set(sourceAbs, { from: before.ctime, to: after.ctime });
    }
  };
  /** sameLocalState, where the plan's state saw the file before a copy of ours read it. */
  const sameButOurRead = (entry: EntryKey, abs: string, current: LocalState, planned: LocalState): boolean => {
    if (sameLocalState(current, planned, boundOf(entry))) return true;
    const moved = movedByOurRead.get(abs);
    return moved !== undefined && planned.kind === 'file' && planned.ctime === moved.from && sameLocalState(current, { ...planned, ctime: moved.to });
  };

  const copyLocal = async (action: FetchAction, abs: string, expected: LocalState): Promise<boolean> => {
    const source = action.source!;
    const { entry } = action;
    let writer: AtomicFileWriter | null = null;
    try {
      const sourceAbs = tree.resolve(source.base_dir, source.path);
      const recorded = isInHoldingArea(source.path) ? null : records.getEntry(source.base_dir, source.path);
      const state = lstatState(sourceAbs);
      if (recorded === undefined || state.kind !== 'file' || state.size !== entry.size) return false;
      if (recorded !== null && (recorded.local_size !== state.size || recorded.local_mtime !== state.mtime)) return false;
      ensureParent(abs);
      writer = await AtomicFileWriter.create(abs);
      for await (const chunk of createReadStream(sourceAbs, { highWaterMark: 1024 * 1024 })) await writer.write(chunk as Buffer);
      noteRead(sourceAbs, state);
      const { file } = await writer.commit({
        expectedChecksum: entry.checksum ?? undefined,
        mode: fetchedModes(action, entry.mode).write,
        mtime: entry.mtime,
        beforeRename: () => guard(entry, abs, expected, action.keepCopy, `E ${entry.operation === 'add' ? 'added' : 'modified'} it`),
        expectNothing: expected.kind === 'absent',
      });
      writer = null;
      // What was renamed into place, as for a download: an lstat now could take an edit made
      // on R meanwhile for zync's own copy.
      record(entry, { kind: 'file', ...file }, undefined, action.keepBits);
      modeReplaced(entry, action.replacedBits);
      restored(action);
      tree.touch(abs);
      result.stats.copied++;
      return true;
    } catch (err) {
      await writer?.abort();
      logger.debug({ err: describe(err).message }, `local copy for ${entry.base_dir}/${entry.path} failed; downloading instead`);
      return false;
    }
  };

  /**
   * Ends the kept partial downloads at or below a path that is deleted or replaced: their temp
   * files would keep a directory from being removed, or end up inside a conflict copy.
   */
  let kept: PartialDownload[] | null = null;
  const discardPartials = async (baseDir: string, path: string): Promise<void> => {
    kept ??= partials.partials();
    for (const partial of kept.filter((p) => p.base_dir === baseDir && (p.path === path || p.path.startsWith(`${path}/`)))) {
      await unlink(partial.temp_path).catch(() => undefined);
      partials.dropPartial(partial.base_dir, partial.path);
      kept = kept.filter((p) => p !== partial);
    }
  };

  /** The temp file a cut-short download of this very content left, reopened; else null (and it is dropped). */
  const resumePartial = async (entry: ChangeEntry, abs: string): Promise<{ writer: AtomicFileWriter; partial: PartialDownload } | null> => {
    const partial = partials.getPartial(entry.base_dir, entry.path);
    if (!partial) return null;
    if (partial.checksum === entry.checksum && partial.size === entry.size) {
      try {
        const writer = await AtomicFileWriter.resume(abs, partial.temp_path);
        if (writer.bytesWritten <= partial.size) return { writer, partial };
        await writer.abort();
      } catch (err) {
        logger.debug({ err: describe(err).message }, `cannot resume ${entry.base_dir}/${entry.path}; downloading it whole`);
      }
    }
    await unlink(partial.temp_path).catch(() => undefined);
    partials.dropPartial(entry.base_dir, entry.path);
    return null;
  };

  let copiesToExtend = 0;
  const copyWaiters: (() => void)[] = [];
  /**
   * A temp file beside the target holding R's own copy of the file (cloned where the file system
   * can), for a download that asks E only for what follows it (core/appended.ts); null when it
   * cannot be made as planned (R's file changed size since, no space): downloaded whole then.
   */
  const copyToExtend = async (entry: ChangeEntry, abs: string, size: number): Promise<AtomicFileWriter | null> => {
    while (copiesToExtend >= COPIES_TO_EXTEND_AT_ONCE) await new Promise<void>((resolve) => copyWaiters.push(resolve));
    copiesToExtend++;
    const tempPath = tempPathFor(abs);
    try {
      await copyFile(abs, tempPath, fsConstants.COPYFILE_EXCL | fsConstants.COPYFILE_FICLONE);
      // The copy has R's bits, maybe read-only; the commit gives the file its own.
      await chmod(tempPath, 0o600);
      const writer = await AtomicFileWriter.resume(abs, tempPath);
      if (writer.bytesWritten === size) return writer;
      await writer.abort();
    } catch (err) {
      await unlink(tempPath).catch(() => undefined);
      logger.debug({ err: describe(err).message }, `cannot extend R's copy of ${entry.base_dir}/${entry.path}; downloading it whole`);
    } finally {
      copiesToExtend--;
      copyWaiters.shift()?.();
    }
    return null;
  };

  /** `whole`: not from R's own copy (it was not E's start after all). */
  const download = async (action: FetchAction, abs: string, expected: LocalState, whole = false): Promise<void> => {
    const { entry } = action;
    let writer: AtomicFileWriter | null = null;
    /** A partial_downloads row exists for this path (to drop once the download is settled). */
    let recorded = false;
    /** The writer starts with R's own copy, not with bytes E sent. */
    let extending = false;
    /** E's bytes follow R's own (the daemon served from the offset asked). */
    let extended = false;
    /** Bytes E sent for this file, once all arrived. */
    let crossed = 0;
    try {
      ensureParent(abs);
      const resumed = await resumePartial(entry, abs);
      writer = resumed?.writer ?? null;
      recorded = resumed !== null;
      if (writer === null && !whole && action.appendFrom !== undefined) {
        writer = await copyToExtend(entry, abs, action.appendFrom);
        extending = writer !== null;
      }
      const offset = writer?.bytesWritten ?? 0;
      if (extending) logger.debug(`fetching ${entry.base_dir}/${entry.path} after the ${offset} bytes R holds`);
      else if (offset > 0) logger.info(`resuming ${entry.base_dir}/${entry.path} after ${offset} of ${entry.size} bytes`);
      const transfer = await connection.getFile(
        entry.base_dir,
        entry.path,
        {
          open: async (header) => {
            if (writer && (header.offset ?? 0) === 0 && writer.bytesWritten > 0) await writer.restart();
            else if (resumed && offset > 0 && header.checksum !== resumed.partial.checksum) {
              // The daemon resumed after bytes of another version: they cannot be completed.
              throw new ZyncError('FILE_CHANGED', `${entry.base_dir}/${entry.path} changed on E since its download was cut short.`);
            }
            extended = extending && (header.offset ?? 0) > 0;
            writer ??= await AtomicFileWriter.create(abs, { expectedSize: header.size });
            if (header.size >= RESUMABLE_BYTES) {
              partials.putPartial({ base_dir: entry.base_dir, path: entry.path, checksum: header.checksum, size: header.size, temp_path: writer.tempPath });
              recorded = true;
            }
          },
          write: (chunk) => writer!.write(chunk),
        },
        offset,
      );
      const { header, trailer } = transfer;
      crossed = header.size - (header.offset ?? 0);
      if (trailer.checksum !== header.checksum) {
        throw new ZyncError('CHECKSUM_MISMATCH', `The daemon's trailer for ${entry.base_dir}/${entry.path} does not match its header.`);
      }
      const w: AtomicFileWriter = writer!;
      writer = null; // commit removes its temp file itself on failure
      const modes = fetchedModes(action, header.mode);
      try {
        const { file } = await w.commit({
          expectedChecksum: trailer.checksum,
          mode: modes.write,
          mtime: header.mtime,
          beforeRename: () => guard(entry, abs, expected, action.keepCopy, `E ${entry.operation === 'add' ? 'added' : 'modified'} it`),
          expectNothing: expected.kind === 'absent',
        });
        // What was renamed into place (an lstat now could see a later local edit as zync's).
        record(entry, { kind: 'file', ...file }, { ...header, mode: modes.record }, modes.write);
        modeReplaced(entry, action.replacedBits);
        restored(action);
      } finally {
        if (recorded) partials.dropPartial(entry.base_dir, entry.path);
      }
      tree.touch(abs);
      result.stats.downloaded++;
      const from = header.offset ?? 0;
      if (extended) result.stats.extended++;
      else if (from > 0) result.stats.resumed++;
      result.stats.bytes += header.size - from;
    } catch (err) {
      const w = writer as AtomicFileWriter | null;
      // Cut short by a lost connection, or by the daemon ending it for a rotated token (the only
      // UNAUTHORIZED an open connection gets): what arrived stays for the next attempt, this
      // run's or the next run's. A client that is stopping leaves no temp file behind.
      const cutShort = isZyncError(err) && (err.code === 'CONNECTION_FAILED' || err.code === 'UNAUTHORIZED') && !aborted();
      const kept = w !== null && recorded && cutShort ? await w.keep() : 0;
      if (kept === 0) {
        await w?.abort();
        if (recorded) partials.dropPartial(entry.base_dir, entry.path);
      } else {
        logger.info(`kept ${kept} bytes of ${entry.base_dir}/${entry.path} to resume`);
      }
      // R's copy was not E's start: E rewrote the file, not only appended to it. Never placed (the
      // whole was verified), it is fetched whole at once, not extended again by the next attempt.
      if (extended && isZyncError(err) && err.code === 'CHECKSUM_MISMATCH' && !aborted()) {
        logger.info(`${entry.base_dir}/${entry.path} changed on E before the bytes R holds; downloading it whole`);
        result.stats.bytes += crossed;
        await download(action, abs, expected, true);
        return;
      }
      fail(entry, err);
    }
  };

  const fetch = async (action: FetchAction): Promise<void> => {
    const { entry } = action;
    const abs = absOf(entry);
    let expected = action.local;
    if (action.clearDir) {
      try {
        await discardPartials(entry.base_dir, entry.path);
        await rmdir(abs);
        tree.forgetDir(abs);
        tree.touch(abs);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') {
          const copy = await tree.keepConflictCopy(entry.base_dir, entry.path, abs, now());
          tree.forgetDir(abs);
          conflict(entry, copy, CLEAR_DIR_REASON[action.clearDir], undefined, 'dir');
        } else if (code !== 'ENOENT') {
          fail(entry, err);
          return;
        }
      }
      expected = { kind: 'absent' };
    }
    if (action.source && (await copyLocal(action, abs, expected))) return;
    await download(action, abs, expected);
  };

  const execute = async (action: PullAction): Promise<void> => {
    const { entry } = action;
    if (aborted()) {
      fail(entry, new ZyncError('CONNECTION_FAILED', 'Stopped before this change was applied.'));
      return;
    }
    if (diskFull && action.type === 'fetch') {
      result.failed.push({ ...problem(entry, new ZyncError('DISK_FULL', `Not fetched: R's disk is full.`)), untried: 'after-disk-full' });
      return;
    }
    const abs = absOf(entry);
    try {
      switch (action.type) {
        case 'fetch':
          await fetch(action);
          return;
        case 'mkdir': {
          const current = lstatState(abs);
          if (current.kind !== 'absent' && current.kind !== 'dir') {
            if (action.moveAside === 'remove' && sameLocalState(current, action.local, boundOf(entry))) {
              await unlink(abs);
              tree.touch(abs);
            } else {
              const copy = await tree.keepConflictCopy(entry.base_dir, entry.path, abs, now());
              conflict(entry, copy, 'E made it a directory', undefined, 'file-where-e-dir');
            }
          }
          if (current.kind !== 'dir') {
            ensureParent(abs);
            tree.makeDir(abs);
            result.stats.dirsCreated++;
          }
          return; // recorded by its set-dir-mode, at the end of the batch
        }
        case 'set-attributes': {
          const current = lstatState(abs);
          if (!sameLocalState(current, action.local, boundOf(entry))) throw new ChangedOnR(`${entry.base_dir}/${entry.path} changed on R meanwhile.`);
          await chmod(abs, action.keepBits ?? entry.mode & 0o7777).catch(keepsNoModes);
          await utimes(abs, toFileTime(entry.mtime), toFileTime(entry.mtime));
          const handle = await open(abs, 'r');
          let info;
          try {
            const set = await handle.stat();
            await handle.sync();
            // The file just changed, through its handle: a file renamed over it since is R's edit, not ours.
            info = await handle.stat();
            // Written in place meanwhile (the fsync takes milliseconds): R's edit, which a record of
            // this stat would take for E's content. Known race: a write of the same size between the
            // check above and the utimes is not seen (a few microseconds).
            if (set.mtimeMs !== info.mtimeMs || set.ctimeMs !== info.ctimeMs || info.size !== entry.size) {
              throw new ChangedOnR(`${entry.base_dir}/${entry.path} changed on R meanwhile.`);
            }
          } finally {
            await handle.close();
          }
          record(entry, { kind: 'file', size: info.size, mtime: info.mtimeMs, ino: info.ino, mode: info.mode & 0o7777 }, undefined, action.keepBits);
          modeReplaced(entry, action.replacedBits);
          result.stats.attributes++;
          return;
        }
        case 'record': {
          if (action.keepBase) {
            const recorded = records.getEntry(entry.base_dir, entry.path);
            // R's file shows E's bits now (as its disk keeps them): no chmod of R's.
            let localMode = action.receivedBits === true && action.local.kind === 'file' ? action.local.mode & 0o7777 : undefined;
            if (action.bits !== undefined) {
              // E's chmod on R's content edit. The recorded stat stays: R's edit is found by its hash.
              localMode = await chmodInPlace(abs, action.local, boundOf(entry), action.bits, `${entry.base_dir}/${entry.path}`);
              modeReplaced(entry, action.replacedBits);
            }
            const eBits = localMode === undefined ? {} : { mode: entry.mode, local_mode: localMode };
            if (recorded) result.upserts.push({ ...recorded, ...eBits, sequence: entry.sequence, seen_gen: generation });
            if (action.local.kind === 'absent') {
              logger.info(`keeping R's deletion of ${entry.base_dir}/${entry.path}: E still has it as R received it; the next --update-upstream sends the deletion`);
            } else {
              logger.info(`keeping R's edit of ${entry.base_dir}/${entry.path}: E's content is still the one R started from`);
            }
          } else {
            record(entry, action.local, undefined, action.keepBits);
          }
          return;
        }
        case 'record-staged': {
          const where = `${entry.base_dir}/${entry.path}`;
          // R's state since goes upstream next time, unless a later session already holds it.
          const next = action.stagedIn === undefined ? 'goes upstream next time' : `is staged on E in ${action.stagedIn}, waiting for zync-apply`;
          if (entry.operation === 'delete') {
            result.removals.push({ base_dir: entry.base_dir, path: entry.path });
            if (action.local.kind === 'file') logger.info(`E applied R's staged deletion of ${where}; the file R has there since stays and ${next}`);
          } else {
            // E's chmod, on R's later content: R made none since it staged the edit.
            if (action.bits !== undefined) await chmodInPlace(abs, action.local, boundOf(entry), action.bits, where);
            // No local stat: R's file is not E's content, so the next look hashes it and finds R's edit.
            record(entry, { kind: 'absent' });
            logger.info(
              action.local.kind === 'absent'
                ? `E applied R's staged edit of ${where}; R deleted it since, and the deletion ${next}`
                : `E applied R's staged edit of ${where}; R's version since stays and ${next}`,
            );
          }
          return;
        }
        case 'forget':
          result.removals.push({ base_dir: entry.base_dir, path: entry.path });
          return;
        case 'await-apply': {
          // Seen (a resync keeps it), otherwise as it was: the apply's own entry decides.
          const recorded = records.getEntry(entry.base_dir, entry.path);
          if (recorded) result.upserts.push({ ...recorded, seen_gen: generation });
          logger.debug(`${entry.base_dir}/${entry.path}: E's entry predates its apply of ${action.staging_id ?? 'R\'s session'}; waiting for the apply's own entry`);
          return;
        }
        case 'delete-file': {
          await discardPartials(entry.base_dir, entry.path);
          const current = lstatState(abs);
          if (current.kind === 'file') {
            const same = sameButOurRead(entry, abs, current, action.local);
            // R's chmod carried to E's new name only if that file arrived: else the copy keeps it.
            const carried = action.carriedTo !== undefined && !unapplied.has(action.carriedTo);
            if (action.keepCopy || !same || (action.carriedTo !== undefined && !carried)) {
              const copy = await tree.keepConflictCopy(entry.base_dir, entry.path, abs, now());
              const chmodded = same ? action.chmodded : undefined;
              // A move whose add falls in a later page cannot be told here: said as such, and the
              // pull says where once that page comes (core/late-moves.ts).
              const unpaired = options.moreToCome === true && !action.movedTo ? action.unpairedContent : undefined;
              const what = action.movedTo
                ? `E moved it to ${action.movedTo.base_dir}/${action.movedTo.path}`
                : options.moreToCome
                  ? "E deleted it (or moved it: a later page of E's log may say where)"
                  : 'E deleted it';
              conflict(entry, copy, what, chmodded === undefined ? undefined : `chmodded on R (${chmodded.toString(8)})`, 'file', unpaired);
            } else {
              // Known race: an edit landing between this lstat and the unlink (or the move into the
              // holding area, never synced) is lost; the window is a few microseconds and there is
              // no portable compare-and-unlink.
              const heldAt = action.received === undefined ? null : await options.holding?.hold(entry.base_dir, abs, action.received, current.size);
              if (heldAt) tree.touch(heldAt);
              else await unlink(abs);
              tree.touch(abs);
              result.stats.deleted++;
              if (carried && action.chmodded !== undefined) {
                const to = `${action.carriedTo!.base_dir}/${action.carriedTo!.path}`;
                logger.info(
                  `permissions: ${entry.base_dir}/${entry.path} was chmodded on R (${action.chmodded.toString(8)}) and renamed on E to ${to}, which keeps R's ${action.chmodded.toString(8)}; the next --update-upstream sends it`,
                );
              }
            }
          }
          result.removals.push({ base_dir: entry.base_dir, path: entry.path });
          return;
        }
        case 'delete-dir': {
          try {
            await discardPartials(entry.base_dir, entry.path);
            await rmdir(abs);
            tree.forgetDir(abs);
            tree.touch(abs);
            result.stats.dirsDeleted++;
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code === 'ENOTEMPTY' || code === 'EEXIST') {
              const what = action.movedTo ? `moved on E to ${action.movedTo.base_dir}/${action.movedTo.path}` : options.moreToCome ? 'deleted or moved on E' : 'deleted on E';
              logger.info(`kept directory ${entry.base_dir}/${entry.path}, ${what}: it still holds files that did not come from E`);
              result.keptDirs.push({ base_dir: entry.base_dir, path: entry.path, ...(action.movedTo ? { movedTo: action.movedTo } : {}) });
            } else if (code !== 'ENOENT' && code !== 'ENOTDIR') {
              throw err;
            }
          }
          result.removals.push({ base_dir: entry.base_dir, path: entry.path });
          return;
        }
      }
    } catch (err) {
      fail(entry, err);
    }
  };

  const smallFiles: SmallFileContext<FetchAction> = {
    fetchBatch: (batch) => connection.getFiles(batch[0]!.entry.base_dir, batch.map((action) => action.entry.path)),
    tree: { ensureParent },
    absOf,
    expectsNothing: (action) => action.local.kind === 'absent',
    modeFor: (action, served) => fetchedModes(action, served).write,
    guard: (action, abs) => guard(action.entry, abs, action.local, action.keepCopy, `E ${action.entry.operation === 'add' ? 'added' : 'modified'} it`),
    placed: (action, abs, file, attributes) => {
      record(action.entry, { kind: 'file', ...file }, { ...attributes, mode: fetchedModes(action, attributes.mode).record }, fetchedModes(action, attributes.mode).write);
      modeReplaced(action.entry, action.replacedBits);
      restored(action);
      tree.touch(abs);
      result.stats.downloaded++;
      result.stats.bytes += attributes.size;
    },
    fail: (action, err) => fail(action.entry, err),
    stopReason: () =>
      aborted()
        ? new ZyncError('CONNECTION_FAILED', 'Stopped before this change was applied.')
        : diskFull
          ? new ZyncError('DISK_FULL', `Not fetched: R's disk is full.`)
          : null,
    notFetched: (entry, reason) => result.failed.push({ ...problem(entry, reason), untried: 'after-disk-full' }),
  };

  /**
   * Small copies, written and made durable as small downloads are; a copy that cannot be made
   * (its source changed since the plan, say) goes into `missed`, to be downloaded instead.
   */
  const smallCopies = (missed: FetchAction[]): SmallFileContext<FetchAction> => ({
    ...smallFiles,
    fetchBatch: async (batch) => readSources(batch),
    placed: (action, abs, file) => {
      record(action.entry, { kind: 'file', ...file }, undefined, action.keepBits);
      modeReplaced(action.entry, action.replacedBits);
      restored(action);
      tree.touch(abs);
      result.stats.copied++;
    },
    fail: (action, err) => {
      logger.debug({ err: describe(err).message }, `local copy for ${action.entry.base_dir}/${action.entry.path} failed; downloading instead`);
      missed.push(action);
    },
  });
  /**
   * A batch of copies' contents, as a GET_FILES answer gives them: read into one buffer that moves
   * to the temp-file writer without a copy (batch-buffers.ts). E's checksum is checked there.
   */
  const readSources = (batch: readonly FetchAction[]): FetchedFile[] => {
    const data = takeBuffer(batch.reduce((total, action) => total + action.entry.size, 0));
    let offset = 0;
    return batch.map((action) => {
      const { entry } = action;
      const source = action.source!;
      const into = data.subarray(offset, (offset += entry.size));
      const unusable = (error: string): FetchedFile => ({ path: entry.path, status: 'error', code: 'FILE_CHANGED', error });
      if (entry.checksum === null) return unusable('no checksum to check a copy against');
      let sourceAbs: string;
      try {
        sourceAbs = tree.resolve(source.base_dir, source.path);
      } catch (err) {
        return unusable(describe(err).message);
      }
      // A held file has no record: its name is its content's checksum, checked as it is written.
      const recorded = isInHoldingArea(source.path) ? null : records.getEntry(source.base_dir, source.path);
      const before = lstatState(sourceAbs);
      const read = recorded !== undefined && readUnchangedFile(sourceAbs, recorded, into);
      noteRead(sourceAbs, before);
      if (!read) return unusable(`${source.base_dir}/${source.path} is no longer what R received`);
      return { path: entry.path, status: 'ok', checksum: entry.checksum, size: entry.size, mtime: entry.mtime, mode: entry.mode, content: into };
    });
  };

  const concurrency: Record<(typeof PHASES)[number], number> = {
    mkdir: 16,
    copy: 16,
    download: options.maxDownloads,
    attributes: 16,
    'delete-files': 32,
    'delete-dirs': 16,
    'replace-dirs': 1,
    'dir-modes': 16,
  };
  type DirModeAction = Extract<PullAction, { type: 'set-dir-mode' }>;
  /**
   * Gives a directory `mode` through a descriptor (O_NOFOLLOW: a link put in its place is never
   * followed). The directory barrier opens each touched directory to fsync it, which a mode
   * without owner read and search forbids for the directory and everything below it: those are
   * made durable here, while they can still be opened. Returns false when no directory is there.
   */
  const chmodDir = async (abs: string, mode: number): Promise<boolean> => {
    const before = lstatState(abs);
    if (before.kind !== 'dir') return false;
    // A directory its owner may not read (E's 0000, say) cannot be opened: it is opened by path
    // first. Known race: a link put in its place since the lstat gets this chmod.
    if ((before.mode & 0o500) !== 0o500) await chmod(abs, before.mode | 0o700);
    let handle;
    try {
      handle = await open(abs, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY | fsConstants.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return false;
      throw err;
    }
    try {
      const same = ((await handle.stat()).mode & 0o7777) === mode;
      const closesBarrier = (mode & 0o500) !== 0o500;
      if (closesBarrier) await tree.syncTouchedWithin(abs);
      if (!same) await handle.chmod(mode).catch(keepsNoModes);
      if (closesBarrier) await handle.sync();
      else if (!same) tree.touchDir(abs);
      return true;
    } finally {
      await handle.close();
    }
  };
  /** Directories this batch gave a mode (or found gone): an opened one among them is open no more. */
  const givenModes = new Set<string>();
  /** One chmod that ends the batch: E's mode for an entry, or the mode an opened directory had. */
  const settleDirMode = async ({ path: abs, mode, from: action }: DirModeTarget<DirModeAction>): Promise<void> => {
    if (action === null) {
      // Gone, or no longer a directory (replaced in the batch): nothing to give back.
      await chmodDir(abs, mode).then(
        () => givenModes.add(abs),
        (err: unknown) => logger.warn(`could not give ${abs} back its mode ${mode.toString(8)}: ${describe(err).message}`),
      );
      return;
    }
    const { entry } = action;
    // A directory this batch made is there already: stopping now would leave it owner-only and
    // unrecorded, for --update-upstream to send back to E as R's new directory.
    if (aborted() && !action.made) {
      fail(entry, new ZyncError('CONNECTION_FAILED', 'Stopped before this change was applied.'));
      return;
    }
    try {
      const isDir = await chmodDir(abs, mode);
      givenModes.add(abs);
      if (!isDir) throw new ChangedOnR(`${entry.base_dir}/${entry.path} is no longer a directory on R.`);
      if (action.finishes) result.stats.dirsCreated++;
      else if (!action.made) result.stats.attributes++;
      record(entry, { kind: 'dir', mode });
    } catch (err) {
      fail(entry, err);
    }
  };
  const settleDirModes = async (): Promise<void> => {
    const targets: DirModeTarget<DirModeAction>[] = [];
    for (const action of plan['dir-modes']) {
      if (action.type !== 'set-dir-mode' || unapplied.has(action.entry)) continue;
      targets.push({ path: absOf(action.entry), depth: action.entry.path.split('/').length, mode: action.entry.mode & 0o7777, from: action });
    }
    const opened = tree.takeOpened();
    for (const { abs, mode, depth } of opened) targets.push({ path: abs, depth, mode, from: null });
    // Directories R had removed, made again for a file of E's inside them: E's mode as R last
    // received it (owner-only, as made, when R never received the directory).
    const settled = new Set(targets.map((t) => t.path));
    for (const { baseDir, path, abs } of tree.takeRemade()) {
      const recorded = settled.has(abs) ? undefined : records.getEntry(baseDir, path);
      if (recorded?.kind === 'dir') targets.push({ path: abs, depth: path.split('/').length, mode: recorded.mode & 0o7777, from: null });
    }
    for (const level of planDirModes(targets)) await runPool(level, concurrency.attributes, settleDirMode);
    // One left open (a stop came first, a chmod failed) keeps its note: the next start gives it back.
    tree.gaveBack(opened.filter((dir) => givenModes.has(dir.abs)));
  };

  /**
   * A file R put where E still has a directory (R replaced it), in the way of E's changes inside
   * that directory: R's file is kept beside it as a conflict copy, as R's edit of a file E then
   * changed would be, and E's directory comes back. Left alone when an entry of this batch is
   * about that very path: its own action decides (and avoids a needless copy). One lstat per
   * parent directory of the batch's new entries.
   */
  const moveAsideBlockingFiles = async (): Promise<void> => {
    const ownEntries = new Set(entries.map((entry) => paths.get(entry)).filter((abs) => abs !== undefined));
    const byParent = new Map<string, ReturnType<LocalTree['blockingAncestor']>>();
    for (const phase of ['mkdir', 'copy', 'download'] as const) {
      for (const action of plan[phase]) {
        if (action.type !== 'fetch' && action.type !== 'mkdir') continue;
        const abs = absOf(action.entry);
        const parent = nodePath.dirname(abs);
        if (!byParent.has(parent)) byParent.set(parent, tree.blockingAncestor(abs));
      }
    }
    const blockers = new Map([...byParent.values()].flatMap((b) => (b === null || ownEntries.has(b.abs) ? [] : [[b.abs, b] as const])));
    for (const blocker of blockers.values()) {
      try {
        const copy = await tree.keepConflictCopy(blocker.baseDir, blocker.path, blocker.abs, now());
        conflict({ base_dir: blocker.baseDir, path: blocker.path }, copy, 'E still has a directory there, with changes inside', undefined, 'file-where-e-dir');
      } catch (err) {
        logger.warn(`could not move ${blocker.baseDir}/${blocker.path} aside for E's directory: ${describe(err).message}`);
      }
    }
  };

  try {
    await moveAsideBlockingFiles();
    for (const phase of PHASES) {
      if (phase === 'dir-modes' || plan[phase].length === 0) continue;
      const phaseStarted = Date.now();
      // Directory phases come sorted by depth (parents first to create, children first to
      // remove); each depth level runs concurrently, levels one after the other.
      if (phase === 'copy') {
        const { batches, single } = splitSmallFiles(plan.copy.filter(isFetch));
        const missed: FetchAction[] = [];
        await Promise.all([fetchSmallFiles(batches, smallCopies(missed)), runPool(single, concurrency.copy, execute)]);
        plan.download.push(...missed.map((action) => ({ ...action, source: null })));
        timings[phase] = Date.now() - phaseStarted;
        continue;
      }
      if (phase === 'download') {
        // Small files in GET_FILES batches, the others streamed one GET_FILE each, side by side.
        const { batches, single } = splitSmallFiles(plan.download.filter(isFetch));
        await Promise.all([fetchSmallFiles(batches, smallFiles), runPool(interleaveByDir(single), concurrency.download, execute)]);
        timings[phase] = Date.now() - phaseStarted;
        continue;
      }
      const levels = phase === 'mkdir' || phase === 'delete-dirs' ? groupByDepth(plan[phase]) : [plan[phase]];
      for (const level of levels) await runPool(level, concurrency[phase], execute);
      timings[phase] = Date.now() - phaseStarted;
    }
  } finally {
    // Also after a failure: a directory opened for the batch must not stay open.
    const settleStarted = Date.now();
    await settleDirModes();
    timings['dir-modes'] = Date.now() - settleStarted;
  }
  logger.debug({ entries: entries.length, ms: timings }, 'batch applied');
  return { result, belowSymlink };
}

/**
 * Gives R's file at abs other permission bits, durably, unless it changed since the plan saw it
 * (`ctimeBound`: its record's, see sameLocalState).
 * Returns the bits it has then (a root without Unix modes keeps its own).
 */
async function chmodInPlace(abs: string, expected: LocalState, ctimeBound: number | undefined, bits: number, where: string): Promise<number> {
  if (!sameLocalState(lstatState(abs), expected, ctimeBound)) throw new ChangedOnR(`${where} changed on R meanwhile.`);
  await chmod(abs, bits).catch(keepsNoModes);
  const handle = await open(abs, 'r');
  try {
    await handle.sync();
    return (await handle.stat()).mode & 0o7777;
  } finally {
    await handle.close();
  }
}

/** A chmod a root without Unix modes refuses (fusefat: ENOSYS) leaves the bits it has; others throw. */
function keepsNoModes(err: unknown): void {
  if (!chmodUnsupported(err)) throw err;
}

/** A record with nothing received yet, for adoptPlacement to fill in. */
function unrecorded(entry: ChangeEntry): RecordedEntry {
  const { base_dir, path } = entry;
  return { base_dir, path, kind: 'file', checksum: null, size: 0, mtime: 0, mode: 0, local_size: null, local_mtime: null, local_ino: null, sequence: 0, seen_gen: 0 };
}

type FetchAction = Extract<PullAction, { type: 'fetch' }>;
const isFetch = (action: PullAction): action is FetchAction => action.type === 'fetch';

/**
 * The actions reordered round-robin across their parent directories. Concurrent creates and
 * renames in one directory serialise on its lock in the kernel; spread over many directories
 * they proceed in parallel. The order within a directory is kept.
 */
export function interleaveByDir(actions: readonly PullAction[]): PullAction[] {
  const byDir = new Map<string, PullAction[]>();
  for (const action of actions) {
    const dir = `${action.entry.base_dir}\0${posixPath.dirname(action.entry.path)}`;
    let list = byDir.get(dir);
    if (!list) byDir.set(dir, (list = []));
    list.push(action);
  }
  if (byDir.size <= 1) return [...actions];
  const lists = [...byDir.values()];
  const out: PullAction[] = [];
  for (let i = 0; out.length < actions.length; i++) for (const list of lists) if (i < list.length) out.push(list[i]!);
  return out;
}

/** Consecutive runs of actions at the same path depth (the input is sorted by depth). */
function groupByDepth(actions: readonly PullAction[]): PullAction[][] {
  const levels: PullAction[][] = [];
  let depth = -1;
  for (const action of actions) {
    const d = action.entry.path.split('/').length;
    if (d !== depth) {
      levels.push([]);
      depth = d;
    }
    levels[levels.length - 1]!.push(action);
  }
  return levels;
}
