// Executes a staged session on E's disk, entry by entry (order: apply-plan.ts): E's file is hashed
// (the conflict re-checked against E now), a conflict is shown as a diff and decided by the
// person (or by --force), E's previous file is backed up (durably: content and directory entries
// fsynced before E's file is touched), R's content is written atomically (or E's file removed),
// and the change is recorded in the change log together with the entry's applied state, in one
// transaction — so R receives it as an ordinary change, and an entry is never applied twice. An
// entry is marked 'applying' before E's disk is touched; a later run removes the temp files a
// killed run left (leftovers.ts), finds E already holding R's content and only records it. The
// session becomes 'applied' when every entry is resolved; quitting at a prompt stops before the
// entry asked about (ApplyOutcome.quit), and a re-run continues there. Directories R made are
// created; directories R removed are removed only when empty (anything left in them is E's,
// and is kept); likewise a directory E made where R sends a file is replaced only when it is empty.
// Where E's version of a directory R made is kept, the entries R put below it are skipped
// (keptAbove), and the summary says so. Where E's tree blocks an entry's path (blockOf: a file
// where R needs a directory, a symbolic link) that is looked at before anything is read through
// the path: E's file is replaced only when R's version is taken (backed up first), a link never.
// Before anything is written, the roots are checked (checkRootsAvailable) and the staged content
// too. Decisions come from apply-plan.ts; prompts from prompts.ts.
import { createReadStream } from 'node:fs';
import { chmod, chown, constants, copyFile, lchown, lstat, mkdir, open, opendir, readFile, rename, rm, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import * as nodePath from 'node:path';
import * as posixPath from 'node:path/posix';
import type { ChalkInstance } from 'chalk';
import {
  AtomicFileWriter,
  conflictCopyPath,
  errnoOf,
  fromFsError,
  hashFile,
  inertLine,
  isZyncError,
  fsyncPath,
  resolveInRoot,
  tempPathFor,
  ZyncError,
  type DirSpec,
} from '@zync/common';
import {
  applyDiskFullError,
  backupRootFor,
  checkRoot,
  contentToken,
  findBlock,
  readCurrentEntry,
  stagingRootFor,
  type ChangeInput,
  type CurrentDir,
  type CurrentEntry,
  type CurrentFile,
  type DaemonStore,
  type RVersion,
  type StagedEntry,
  type StagingStore,
} from '@zync/daemon';
import {
  checkAppliable,
  checkNonInteractive,
  decisionsFor,
  dirsToFinish,
  entryKey,
  inPlaceResolution,
  keepsROut,
  keptAbove,
  pendingBelow,
  pendingRDirsOf,
  planApply,
  planEntry,
  rFileMode,
  rVersionsByPath,
  stepFor,
  workingDirMode,
  type Blocked,
  type ECurrent,
  type PlannedEntry,
  type Step,
} from './apply-plan.js';
import { applyCommand } from './command-hints.js';
import { dirsToSync } from './durable-dirs.js';
import { formatBytes, MAX_DIFF_BYTES, renderDiff, type DiffSide } from './diff-view.js';
import { blockedNote, conflictHeadline, decisionLabels, describeBlocked, emptyTally, formatSummary, skippedNote, type ApplyTally } from './format.js';
import { removeTempFilesBelow, removeTempFilesFor } from './leftovers.js';
import type { ConflictAnswer, ConflictQuestion } from './prompts.js';

export interface ApplyContext {
  daemon: DaemonStore;
  staging: StagingStore;
  stateDir: string;
  /** The --db given, or null for the default: hints name it (applyCommand). */
  db: string | null;
  dirs: readonly DirSpec[];
  chalk: ChalkInstance;
  print: (text: string) => void;
  /** null: no one to ask (--non-interactive, or no terminal). */
  ask: ((q: ConflictQuestion) => Promise<ConflictAnswer>) | null;
  force: boolean;
  /**
   * Aborted (reason: the signal's name) by Ctrl-C or SIGTERM: the run ends before its next entry,
   * the one under way finished, as after a quit at a prompt.
   */
  stop?: AbortSignal;
  /**
   * Taken before anything is written into E's tree or the change log, given back while a prompt
   * waits for the person (write-turn.ts): another session may be applied meanwhile. What was
   * looked at before the prompt is checked again before it is written over (ChangedMeanwhile).
   * With no one to ask (`ask` null) it is held from the first look at E to the end.
   * Absent: this run is the only writer.
   */
  writeTurn?: { take(): Promise<boolean>; give(): void };
  now?: () => number;
  /**
   * Who what zync-apply makes in the state directory (backups) must belong to: the database's
   * owner when root runs zync-apply on another user's database, since the daemon, as that user,
   * removes expired backups and could not remove root's. Null or absent: left as made.
   */
  stateOwner?: { uid: number; gid: number } | null;
  /**
   * Run as root: what is written into E's tree takes the owner and group of the file it replaces,
   * else of the directory it goes into, as the daemon's user or the tree's owner made them; root's
   * would leave a private file (0600) unreadable to the daemon and E's user unable to edit it.
   */
  keepOwners?: boolean;
}

export interface ApplyOutcome {
  finished: boolean;
  tally: ApplyTally;
  /** What to print; after a quit, without its first sentence, which is `quit`'s message. */
  summary: string;
  /**
   * The person quit at a prompt (finished is false): not a success, so the binary exits with it
   * (QUIT), and a script can tell an applied session from one still waiting. Null otherwise.
   */
  quit: ZyncError | null;
}

/** E's file changed between our look at it and the write: look again. */
class ChangedMeanwhile extends Error {}

/**
 * resolveInRoot when about to write: a symbolic link E put on the path since it was looked at (a
 * person may take minutes to decide) is a change of E's, looked at again — then a conflict only
 * E's version resolves — not a refused path that stops the run.
 */
async function resolveToWrite(root: string, relPath: string): Promise<string> {
  try {
    return await resolveInRoot(root, relPath);
  } catch (err) {
    if (isZyncError(err) && err.code === 'UNSAFE_PATH') throw new ChangedMeanwhile();
    throw err;
  }
}

const MAX_ATTEMPTS = 3;

/** What E holds at a path; for a directory, also whether it is empty (R's file may replace only an empty one). */
export type EEntry = CurrentFile | (CurrentDir & { empty: boolean });

async function isEmptyDir(abs: string): Promise<boolean> {
  const dir = await opendir(abs);
  try {
    return (await dir.read()) === null;
  } finally {
    await dir.close();
  }
}

/**
 * The directory at abs, opened without following a symbolic link (its bits are then set through
 * the descriptor, never on what a link points to); null when abs is no longer a directory.
 */
async function openDir(abs: string): Promise<FileHandle | null> {
  try {
    return await open(abs, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * mkdir -p: returns the directories it made, innermost first. Their entries in their parents
 * must be made durable with what goes into them (fsync each one's parent), or a power cut can
 * take a file recorded as applied with the directory it is in.
 */
async function makeParents(dir: string): Promise<string[]> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return [];
  const made: string[] = [];
  for (let d = dir; made.length === 0 || made.at(-1) !== first; d = nodePath.dirname(d)) {
    if (nodePath.dirname(d) === d) break; // not below `first` after all: stop at the file system's root
    made.push(d);
  }
  return made;
}

/** What blocks an entry's path on E (Blocked); for a file, what it holds (to back it up). */
export interface EBlocked extends Blocked {
  file: CurrentFile | null;
}

/** What E holds at an entry's path now, or what blocks the path (then `current` is null). */
export interface ELook {
  current: EEntry | null;
  blocked: EBlocked | null;
  /** See ECurrent.removed_by_apply (classifiedToken). */
  removedByApply?: string | null;
}

/**
 * What blocks relPath on E (findBlock), with E's file hashed when it is one (to back it up).
 * Looked at before anything is read through the path, so a link is reported, not refused as an
 * unsafe path, and never followed.
 */
async function blockOf(root: string, relPath: string): Promise<EBlocked | null> {
  const block = await findBlock(root, relPath);
  if (block?.kind !== 'file') return block && { ...block, file: null };
  // Labelled race: E may replace the file between the look and the hash (then the look at the
  // path itself sees what it became); ensureUnchanged checks it again before it is removed.
  const file = await readCurrentEntry(root, block.path);
  return file?.kind === 'file' ? { ...block, file } : null;
}

/**
 * The backup of E's file at the entry's own path (`<backups>/<id>/<base_dir>/<path>`, or a `.N`
 * beside it), not of an ancestor's file that R's entry needed a directory in place of.
 */
function backsUpOwnPath(e: Pick<StagedEntry, 'base_dir' | 'path' | 'backup'>): boolean {
  if (e.backup === null) return false;
  const own = nodePath.sep + nodePath.join(e.base_dir, ...e.path.split('/'));
  const at = e.backup.lastIndexOf(own);
  return at >= 0 && /^(\.\d+)?$/.test(e.backup.slice(at + own.length));
}

/** What E holds at an entry's path now. */
async function lookAt(root: string, e: StagedEntry): Promise<ELook> {
  const blocked = await blockOf(root, e.path);
  if (blocked) return { current: null, blocked };
  const current = await readCurrentEntry(root, e.path);
  // A run killed between removing E's file there and making R's directory (classifiedToken).
  const removedByApply =
    current === null && e.kind === 'dir' && e.apply_state === 'applying' && backsUpOwnPath(e)
      ? ((await hashFile(e.backup!).catch(() => null))?.checksum ?? null)
      : null;
  return { current: current?.kind === 'dir' ? { ...current, empty: await isEmptyDir(current.abs) } : current, blocked: null, removedByApply };
}

/** E's current content for every entry not applied yet (E's state now, hashed). */
export async function readCurrentStates(
  entries: readonly StagedEntry[],
  rootOf: (baseDir: string) => string,
  stop?: AbortSignal,
): Promise<Map<string, ELook>> {
  const out = new Map<string, ELook>();
  for (const e of entries) {
    // Stopped (Ctrl-C): the caller applies nothing, so the rest need not be hashed.
    if (stop?.aborted) break;
    if (e.apply_state === 'applied') continue;
    out.set(entryKey(e), await lookAt(rootOf(e.base_dir), e));
  }
  return out;
}

/** What the plan needs to know of E's entry. */
export function eCurrentOf(look: ELook | null): ECurrent {
  const current = look?.current ?? null;
  return {
    token: contentToken(current),
    mode: current?.kind === 'file' ? current.mode : null,
    dir_empty: current?.kind === 'dir' && current.empty,
    blocked: look?.blocked ? { path: look.blocked.path, kind: look.blocked.kind } : null,
    removed_by_apply: look?.removedByApply ?? null,
  };
}

export function rootResolver(dirs: readonly DirSpec[]): (baseDir: string) => string {
  const roots = new Map(dirs.map((d) => [d.name, d.root]));
  return (baseDir) => {
    const root = roots.get(baseDir);
    if (root === undefined) {
      throw new ZyncError('UNKNOWN_BASE_DIR', `The session has entries for "${baseDir}", which the daemon's directory mapping does not include.`);
    }
    return root;
  };
}

/**
 * Refuses (ROOT_UNAVAILABLE) when a root the session's pending entries go into is missing, or is
 * empty while the log records many entries for it (checkRoot: an unmounted disk). Every entry
 * would look deleted on E, and R's files would land on the mount point instead of the disk.
 */
export async function checkRootsAvailable(
  daemon: Pick<DaemonStore, 'liveCount'>,
  entries: readonly StagedEntry[],
  rootOf: (baseDir: string) => string,
): Promise<void> {
  for (const baseDir of new Set(entries.filter((e) => e.apply_state !== 'applied').map((e) => e.base_dir))) {
    const root = rootOf(baseDir);
    const present = (await stat(root).catch(() => null))?.isDirectory() === true;
    const recordedLive = daemon.liveCount(baseDir);
    const verdict = checkRoot({ base_dir: baseDir, root, rootPresent: present, scannedEntries: present && (await isEmptyDir(root)) ? 0 : null, recordedLive });
    if (verdict.status === 'ok') continue;
    const what = `E's root "${baseDir}" (${root})`;
    throw new ZyncError(
      'ROOT_UNAVAILABLE',
      verdict.status === 'vanished'
        ? `${what} is missing or not a directory; nothing was changed — restore or mount it, then run zync-apply again.`
        : `${what} is empty, but ${recordedLive} entries are recorded for it (an unmounted disk?); nothing was changed — mount it, then run zync-apply again.`,
    );
  }
}

/** A conflict that involves a directory has no diff: say what each side holds. */
function describeDirConflict(e: StagedEntry, current: EEntry | null): string {
  const eSide =
    current === null
      ? 'nothing'
      : current.kind === 'dir'
        ? e.kind === 'file' // whether R's file may replace it
          ? current.empty
            ? 'an empty directory'
            : 'a directory with files in it'
          : 'a directory'
        : `a file (${formatBytes(current.size)}, sha256 ${current.checksum.slice(0, 16)}…)`;
  const rSide = e.kind === 'dir' ? (e.operation === 'delete' ? 'removed the directory' : 'made a directory here') : 'sent a file';
  return `E holds ${eSide} here; R ${rSide}.`;
}

/** Loads both sides for a diff, each only when small enough. */
async function diffSides(ctx: ApplyContext, item: PlannedEntry, current: CurrentFile | null): Promise<[DiffSide, DiffSide]> {
  const e = item.entry;
  const what = `${e.base_dir}/${e.path}`;
  const eSide: DiffSide = {
    label: `E: ${what}`,
    present: current !== null,
    checksum: current?.checksum ?? null,
    size: current?.size ?? 0,
    content: current && current.size <= MAX_DIFF_BYTES ? await readFile(current.abs) : current ? null : Buffer.alloc(0),
  };
  const blob = e.blob ? nodePath.join(stagingRootFor(ctx.stateDir), e.staging_id, e.blob) : null;
  const upSide: DiffSide = {
    label: `upstream: ${what}`,
    present: e.operation !== 'delete',
    checksum: e.checksum,
    size: e.size,
    content: blob && e.size <= MAX_DIFF_BYTES ? await readFile(blob) : blob ? null : Buffer.alloc(0),
  };
  return [eSide, upSide];
}

/**
 * One sentence for a failure on one entry: what failed, that what was applied before it stays
 * applied, and what to do. A ZyncError keeps its code (DISK_FULL: exit 7). `dbPath`: the daemon's
 * database, whose disk SQLite's own "disk is full" names.
 */
function describeFailure(err: unknown, what: string, stagingId: string, db: string | null, dbPath: string): unknown {
  const again = applyCommand(db, 'apply', stagingId);
  // SQLite's, not the root's: the entry is unrecorded, whatever it did on E (a file written or
  // removed, its backup or conflict copy made). The entry stays 'applying' or pending, which a
  // rerun resumes: what it finds already done on E it records as it stands ('unchanged').
  if (errnoOf(err) === 'SQLITE_FULL') {
    return applyDiskFullError(err, `record ${what} in the daemon's state database ${dbPath}, so the apply stopped there (the entries before it were applied, and the rerun records what was done for it)`, dbPath, again);
  }
  const mapped = fromFsError(err, `applying ${what}`);
  if (isZyncError(mapped)) {
    const detail = mapped.message.replace(/\.$/, '');
    const fix = mapped.code === 'DISK_FULL' ? 'free space' : 'fix this';
    return new ZyncError(
      mapped.code,
      `Could not apply ${what}: ${detail.charAt(0).toLowerCase()}${detail.slice(1)}; the entries before it were applied — ${fix} and run ${again} again.`,
      { cause: err },
    );
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) return err;
  // Node's fs messages start with the code already ("ENOTDIR: not a directory, ...").
  const message = (err as Error).message;
  const detail = message.startsWith(`${code}:`) ? message : `${code}: ${message}`;
  return new ZyncError(
    'INTERNAL',
    `Could not apply ${what} (${detail}); the entries before it were applied — fix this and run ${again} again.`,
    { cause: err },
  );
}

export async function applySession(ctx: ApplyContext, stagingId: string): Promise<ApplyOutcome> {
  const now = ctx.now ?? Date.now;
  const session = ctx.staging.getSession(stagingId);
  const refused = checkAppliable(session, stagingId, ctx.db);
  if (refused) throw refused;
  const rootOf = rootResolver(ctx.dirs);
  const entries = ctx.staging.listEntries(stagingId);
  await checkRootsAvailable(ctx.daemon, entries, rootOf);
  const blobDir = nodePath.join(stagingRootFor(ctx.stateDir), stagingId);
  const backupDir = nodePath.join(backupRootFor(ctx.stateDir), stagingId);

  // An earlier run killed mid-write left temp files beside the targets it was on (entries still
  // 'applying': the mark is written before any temp file) and maybe a half-copied backup.
  const unfinished: string[] = [];
  for (const e of entries.filter((x) => x.apply_state === 'applying')) {
    const root = rootOf(e.base_dir);
    const copyRel = e.copy_path?.startsWith(`${e.base_dir}/`) ? e.copy_path.slice(e.base_dir.length + 1) : null;
    for (const rel of copyRel ? [e.path, copyRel] : [e.path]) {
      const abs = await resolveInRoot(root, rel, { allowFinalSymlink: true }).catch(() => null); // unsafe now: refused below
      if (abs) unfinished.push(abs);
    }
  }
  const turn = ctx.writeTurn ?? { take: async () => true, give: () => undefined };
  /** R's other sessions' versions of the entries' paths (superseded, or R's own content on E). */
  let rVersions = new Map<string, RVersion[]>();
  let held = false;
  /**
   * Takes the write turn. Whenever it was given up meanwhile, R's other sessions are read again:
   * another run may have applied R's later session, whose content on E must not pass for an edit
   * of E's (nor be replaced by this older session's).
   */
  const takeTurn = async (): Promise<boolean> => {
    if (held) return true;
    if (!(await turn.take())) return false;
    held = true;
    rVersions = rVersionsByPath(ctx.staging.otherRVersions(stagingId));
    return true;
  };
  const giveTurn = () => {
    turn.give();
    held = false;
  };
  // In turn: another run's temp file beside the same target is never taken for a leftover.
  const leftovers = (await takeTurn()) ? (await removeTempFilesFor(unfinished)) + (await removeTempFilesBelow(backupDir)) : 0;
  // With no one to ask, the turn is kept to the end: the look below, on which a conflict refuses
  // the whole session, then holds until the last entry is written (no other session goes in
  // between). A person's run gives it up while E and the staged content are read, not written.
  if (ctx.ask) giveTurn();
  if (leftovers > 0) ctx.print(`Removed ${leftovers} temp file(s) left by an interrupted apply of ${stagingId}.`);

  // Where E's log stands before E's files are looked at: R takes E's entries up to it as older
  // than E's decision on its edits (UPSTREAM_STATUS's applied_from), and waits for the later ones.
  // Not for a run stopped already (Ctrl-C while it waited for the turn): it looks at nothing.
  if (!ctx.stop?.aborted) ctx.staging.transaction(() => ctx.staging.noteApplyStart(stagingId, ctx.daemon.lastSequence()));
  // Look at everything first: without someone to ask, a conflict refuses the whole session
  // before anything changes.
  const states = await readCurrentStates(entries, rootOf, ctx.stop);
  if (!held) rVersions = rVersionsByPath(ctx.staging.otherRVersions(stagingId));
  const plan = planApply(entries, new Map([...states].map(([k, v]) => [k, eCurrentOf(v)])), { force: ctx.force, rVersions });
  // Stopped while E was looked at: the plan is partial, and the run below stops before its
  // first entry without refusing on it.
  if (!ctx.ask && !ctx.stop?.aborted) {
    const nonInteractive = checkNonInteractive(plan, stagingId, { force: ctx.force, db: ctx.db });
    if (nonInteractive) throw nonInteractive;
  }
  // Staged content gone, cut short or damaged (a tidied state directory, a disk error) would stop
  // the run half way, for good, at the entry's checksum check: refuse before anything is written.
  // Hashed, not only sized: a flipped byte keeps the size. (E's files are hashed for the plan
  // anyway; R's edits are usually far smaller.)
  for (const { entry: e } of plan.items) {
    if (e.blob === null) continue;
    const blob = nodePath.join(blobDir, e.blob);
    const staged = await hashFile(blob, ctx.stop).catch(() => null);
    // Stopped mid-hash: the run below stops before its first entry; the content is not damaged.
    if (ctx.stop?.aborted) break;
    if (staged?.size !== e.size || staged.checksum !== e.checksum) {
      throw new ZyncError(
        'SESSION_NOT_APPLIABLE',
        `Session ${stagingId}'s staged content for ${e.base_dir}/${e.path} is missing or damaged (${blob}); nothing was changed, and this session cannot be applied — R still holds its edits: discard it with ${applyCommand(ctx.db, 'discard', stagingId)}, and R sends them again at its next --update-upstream.`,
      );
    }
  }

  const tally = emptyTally();
  const copies: string[] = [];
  const notes: string[] = [];
  let backedUp = false;
  let conflictNo = 0;
  /** The conflicts planned, plus those that arose at a prompt (E changed a file meanwhile): "Conflict N of M" never has N > M. */
  let conflictsTotal = plan.conflicts;
  let remaining = plan.items.length;
  /** Directories of R's where E's version was kept, by this run or an earlier one (entryKeys). */
  const keptDirs = new Set(plan.kept_dirs);
  const rDirs = pendingRDirsOf(entries);
  /** Entries skipped below each of them, by what they are called ("docs/notes"). */
  const skippedBelow = new Map<string, number>();

  const giveToStateOwner = async (made: string) => {
    if (ctx.stateOwner) await chown(made, ctx.stateOwner.uid, ctx.stateOwner.gid);
  };

  /** The owner a new file or directory at target takes (keepOwners): the file it replaces, else its directory's. */
  const ownerFor = async (target: string) => {
    const replaced = await lstat(target).catch(() => null);
    return replaced?.isFile() ? replaced : lstat(nodePath.dirname(target));
  };
  /** Directories makeParents made (innermost first) take their parents' owners, outermost first. */
  const keepParentOwners = async (made: readonly string[]) => {
    if (!ctx.keepOwners) return;
    for (const dir of [...made].reverse()) {
      const owner = await lstat(nodePath.dirname(dir));
      await lchown(dir, owner.uid, owner.gid);
    }
  };

  const backupPathFor = (e: Pick<StagedEntry, 'base_dir' | 'path'>) => nodePath.join(backupDir, e.base_dir, ...e.path.split('/'));

  /** Backup directories whose own entry this run has fsynced (durable-dirs.ts). */
  const durableBackupDirs = new Set<string>();
  const syncBackupDirs = async (dest: string) => {
    const { fsync, durable } = dirsToSync(nodePath.dirname(backupRootFor(ctx.stateDir)), nodePath.dirname(dest), durableBackupDirs);
    for (const dir of fsync) await fsyncPath(dir);
    for (const dir of durable) durableBackupDirs.add(dir);
  };

  /**
   * Copies E's file aside. A resumed run reuses a backup holding the same content; if E's file
   * changed since an earlier attempt backed it up, the new content gets its own backup (.1, .2 ...).
   * Returns only once the backup is durable, content and directory entries: E's file is replaced
   * or removed next, and a power cut must not leave E's edit gone and its backup empty or missing.
   */
  const backup = async (e: Pick<StagedEntry, 'base_dir' | 'path'>, current: CurrentFile): Promise<string> => {
    const first = backupPathFor(e);
    for (const dir of await makeParents(nodePath.dirname(first))) await giveToStateOwner(dir);
    let dest = first;
    for (let n = 1; ; n++) {
      try {
        await lstat(dest);
      } catch {
        break; // free
      }
      if ((await hashFile(dest)).checksum === current.checksum) {
        // A killed run (or an older zync) may have left it without its fsyncs: make sure now.
        await fsyncPath(dest);
        await syncBackupDirs(dest);
        return dest;
      }
      dest = `${first}.${n}`;
    }
    const temp = tempPathFor(dest);
    try {
      await copyFile(current.abs, temp, constants.COPYFILE_FICLONE);
      await giveToStateOwner(temp);
      await fsyncPath(temp);
      await rename(temp, dest);
    } catch (err) {
      await unlink(temp).catch(() => undefined); // a half copy only takes space a full disk lacks
      throw fromFsError(err, `backing up E's file to ${dest}`); // the state directory's disk, not E's root
    }
    await syncBackupDirs(dest);
    backedUp = true;
    return dest;
  };

  /**
   * Removes E's empty directory that R's file replaces, just before the rename: rmdir refuses one
   * that is not empty (E put something in it meanwhile), so E's files are never removed.
   */
  const removeEmptyDir = async (current: CurrentDir) => {
    const info = await lstat(current.abs).catch(() => null);
    if (!info?.isDirectory() || info.ino !== current.ino) throw new ChangedMeanwhile();
    try {
      await rmdir(current.abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') throw new ChangedMeanwhile();
      throw err;
    }
  };

  /**
   * Backs up and removes E's file that blocks the entry's path (Blocked, kind 'file'), so that
   * R's directory can be made there; returns the backup. The entry is marked 'applying' first.
   */
  const replaceFileAbove = async (e: StagedEntry, blocked: EBlocked | null): Promise<string> => {
    if (blocked?.kind !== 'file' || blocked.file === null) throw new ChangedMeanwhile();
    const saved = await backup({ base_dir: e.base_dir, path: blocked.path }, blocked.file);
    ctx.staging.markEntryApplying(e.staging_id, e.base_dir, e.path, saved);
    await ensureUnchanged(blocked.file.abs, blocked.file);
    await unlink(blocked.file.abs);
    await fsyncPath(nodePath.dirname(blocked.file.abs));
    return saved;
  };

  /** Refuses to go on if E's file is not what we hashed (labelled race: a write may still land between this check and the rename). */
  const ensureUnchanged = async (abs: string, current: CurrentFile | null) => {
    let info;
    try {
      info = await lstat(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        if (current === null) return;
        throw new ChangedMeanwhile();
      }
      throw err;
    }
    if (!current || !info.isFile() || info.size !== current.size || info.mtimeMs !== current.mtime || info.ino !== current.ino) {
      throw new ChangedMeanwhile();
    }
  };

  /** Change inputs for the parent directories of path (existing ones only touch their rows). */
  const parentDirInputs = async (root: string, e: StagedEntry) => {
    const inputs = [];
    const parts = e.path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const rel = parts.slice(0, i).join('/');
      const info = await lstat(nodePath.join(root, ...parts.slice(0, i)));
      inputs.push({
        operation: 'add' as const,
        kind: 'dir' as const,
        base_dir: e.base_dir,
        path: rel,
        checksum: null,
        size: 0,
        mtime: info.mtimeMs,
        mode: info.mode & 0o7777,
        ino: info.ino,
      });
    }
    return inputs;
  };

  /**
   * Streams the staged blob into a writer for target and commits it (checksum verified) with
   * `mode`. `beforeRename` (the check that E's file is still what was looked at) runs after the
   * content is verified and fsynced, just before the rename: an edit E saves while a large file
   * is flushed is seen, not overwritten. `expectNothing`: nothing was at target (linkIntoPlace).
   */
  const writeBlob = async (e: StagedEntry, target: string, mode: number | null, beforeRename: () => Promise<void>, expectNothing: boolean) => {
    if (!e.blob || e.checksum === null) throw new ZyncError('INTERNAL', `Entry ${e.base_dir}/${e.path} has no staged content.`);
    const owner = ctx.keepOwners ? await ownerFor(target) : null;
    const writer = await AtomicFileWriter.create(target);
    try {
      if (owner) await lchown(writer.tempPath, owner.uid, owner.gid);
      for await (const chunk of createReadStream(nodePath.join(blobDir, e.blob), { highWaterMark: 1024 * 1024 })) {
        await writer.write(chunk as Buffer);
      }
    } catch (err) {
      await writer.abort();
      throw err;
    }
    // commit removes the temp file itself when it fails (beforeRename's ChangedMeanwhile included).
    await writer.commit({ expectedChecksum: e.checksum, mode: mode ?? 0o644, ...(e.mtime === null ? {} : { mtime: e.mtime }), beforeRename, expectNothing });
  };

  /** Makes R's new directory (replacing E's file there, backed up, when that was decided). */
  const makeDir = async (e: StagedEntry, root: string, current: CurrentEntry | null, above: string | null) => {
    const abs = await resolveToWrite(root, e.path);
    let saved: string | null = above;
    if (current?.kind === 'file') {
      saved = await backup(e, current);
      ctx.staging.markEntryApplying(e.staging_id, e.base_dir, e.path, saved);
      await ensureUnchanged(abs, current);
      await unlink(abs);
    } else if (above === null) {
      ctx.staging.markEntryApplying(e.staging_id, e.base_dir, e.path, null);
    }
    const made = await makeParents(nodePath.dirname(abs)); // parents E removed since R made them
    await keepParentOwners(made);
    try {
      await mkdir(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // E made one meanwhile, or a link: openDir says
    }
    // Not mkdir -p and chmod by path, which follow a symbolic link E put there to wherever it points.
    const dir = await openDir(abs);
    if (!dir) throw new ChangedMeanwhile();
    let info;
    try {
      if (ctx.keepOwners) {
        const owner = await lstat(nodePath.dirname(abs));
        await dir.chown(owner.uid, owner.gid);
      }
      if (e.mode !== null) await dir.chmod(workingDirMode(e.mode)); // R's own bits once the session is applied
      info = await dir.stat();
    } finally {
      await dir.close();
    }
    await resolveToWrite(root, e.path); // labelled race: a parent swapped for a link since the first look is refused here
    await fsyncPath(nodePath.dirname(abs));
    for (const dir of made) await fsyncPath(nodePath.dirname(dir)); // their own entries
    const inputs: ChangeInput[] = [
      ...(await parentDirInputs(root, e)),
      { operation: 'add', kind: 'dir', base_dir: e.base_dir, path: e.path, checksum: null, size: 0, mtime: info.mtimeMs, mode: info.mode & 0o7777, ino: info.ino },
    ];
    ctx.staging.transaction(() => {
      ctx.daemon.applyChanges(inputs, now());
      ctx.staging.markEntryApplied(e.staging_id, e.base_dir, e.path, { resolution: 'upstream', backup: saved, copy_path: null, now: now() });
    });
    tally.dirs_created++;
  };

  /** Removes E's directory R removed, only when it is empty: what is left in it is E's. */
  const removeDir = async (e: StagedEntry, current: CurrentEntry) => {
    ctx.staging.markEntryApplying(e.staging_id, e.base_dir, e.path, null);
    try {
      await rmdir(current.abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      const info = await lstat(current.abs).catch(() => null);
      if (!info?.isDirectory()) throw new ChangedMeanwhile();
      // Logged again, though unchanged: nothing else in the log brings it back to R (what keeps it
      // may be files R never gets, ignored ones), and R's pull of it supersedes R's removal there.
      const kept: ChangeInput = { operation: 'add', kind: 'dir', base_dir: e.base_dir, path: e.path, checksum: null, size: 0, mtime: info.mtimeMs, mode: info.mode & 0o7777, ino: info.ino, relog: true };
      ctx.staging.transaction(() => {
        ctx.daemon.applyChanges([kept], now());
        ctx.staging.markEntryApplied(e.staging_id, e.base_dir, e.path, { resolution: 'kept_e', backup: null, copy_path: null, now: now() });
      });
      notes.push(`Kept E's directory ${e.base_dir}/${e.path} (R removed it): it still holds files R does not have.`);
      tally.kept_e++;
      return;
    }
    await fsyncPath(nodePath.dirname(current.abs));
    ctx.staging.transaction(() => {
      ctx.daemon.applyChanges(
        [{ operation: 'delete', kind: 'dir', base_dir: e.base_dir, path: e.path, checksum: null, size: 0, mtime: 0, mode: 0 }],
        now(),
      );
      ctx.staging.markEntryApplied(e.staging_id, e.base_dir, e.path, { resolution: 'upstream', backup: null, copy_path: null, now: now() });
    });
    tally.dirs_removed++;
  };

  const execute = async (item: PlannedEntry, step: Step, current: EEntry | null, blocked: EBlocked | null) => {
    const e = item.entry;
    const root = rootOf(e.base_dir);
    const done = (resolution: 'upstream' | 'kept_e' | 'kept_both' | 'unchanged', extra: { backup?: string | null; copy_path?: string | null } = {}) => ({
      resolution,
      backup: extra.backup ?? null,
      copy_path: extra.copy_path ?? null,
      now: now(),
    });
    switch (step.kind) {
      case 'keep_e':
        ctx.staging.markEntryApplied(e.staging_id, e.base_dir, e.path, done('kept_e'));
        if (keepsROut(e, 'kept_e')) keptDirs.add(entryKey(e));
        if (step.reason === 'dir_holds_files') notes.push(`Kept E's directory ${e.base_dir}/${e.path}: it holds files, so R's file was not written there.`);
        if (step.reason === 'blocked' && blocked) notes.push(blockedNote(e, blocked));
        tally.kept_e++;
        return;
      case 'superseded':
        ctx.staging.markEntryApplied(e.staging_id, e.base_dir, e.path, done('kept_e'));
        notes.push(`Left ${e.base_dir}/${e.path} as R's later session ${step.by} made it.`);
        tally.kept_e++;
        return;
      case 'skip': {
        ctx.staging.markEntryApplied(e.staging_id, e.base_dir, e.path, done('kept_e'));
        const kept = `${e.base_dir}/${step.kept}`; // escaped by formatSummary, as every note
        skippedBelow.set(kept, (skippedBelow.get(kept) ?? 0) + 1);
        tally.skipped++;
        return;
      }
      case 'unchanged': {
        // Record E's state as it is (a no-op when the log already has it; after a crash
        // between write and record, this is the record).
        const input: ChangeInput =
          current === null
            ? { operation: 'delete', kind: e.kind, base_dir: e.base_dir, path: e.path, checksum: null, size: 0, mtime: 0, mode: 0 }
            : current.kind === 'dir'
              ? { operation: 'add', kind: 'dir', base_dir: e.base_dir, path: e.path, checksum: null, size: 0, mtime: current.mtime, mode: current.mode, ino: current.ino }
              : { operation: 'modify', kind: 'file', base_dir: e.base_dir, path: e.path, checksum: current.checksum, size: current.size, mtime: current.mtime, mode: current.mode, ino: current.ino };
        ctx.staging.transaction(() => {
          ctx.daemon.applyChanges([input], now());
          ctx.staging.markEntryApplied(e.staging_id, e.base_dir, e.path, done(inPlaceResolution(e)));
        });
        tally.unchanged++;
        return;
      }
      case 'copy': {
        const abs = await resolveToWrite(root, e.path);
        // A run killed after writing the copy but before recording it named it first: reuse it.
        const earlier = e.apply_state === 'applying' && e.copy_path?.startsWith(`${e.base_dir}/`) ? e.copy_path.slice(e.base_dir.length + 1) : null;
        if (earlier !== null) {
          const earlierAbs = await resolveToWrite(root, earlier);
          if ((await hashFile(earlierAbs).catch(() => null))?.checksum === e.checksum) {
            ctx.staging.markEntryApplied(e.staging_id, e.base_dir, e.path, done('kept_both', { copy_path: e.copy_path }));
            copies.push(earlierAbs);
            tally.kept_both++;
            return;
          }
        }
        let copyRel: string | null = null;
        for (let attempt = 0; attempt < 100 && copyRel === null; attempt++) {
          const candidate = conflictCopyPath(e.path, new Date(now()), 'upstream', attempt);
          try {
            await lstat(nodePath.join(nodePath.dirname(abs), posixPath.basename(candidate)));
          } catch {
            copyRel = candidate;
          }
        }
        if (copyRel === null) throw new ZyncError('INTERNAL', `No free conflict copy name for ${e.base_dir}/${e.path}.`);
        ctx.staging.markEntryApplying(e.staging_id, e.base_dir, e.path, null, `${e.base_dir}/${copyRel}`);
        await keepParentOwners(await makeParents(nodePath.dirname(abs)));
        const copyAbs = nodePath.join(nodePath.dirname(abs), posixPath.basename(copyRel));
        await writeBlob(e, copyAbs, e.mode === null ? null : rFileMode(e.mode), () => ensureUnchanged(copyAbs, null), true);
        await fsyncPath(nodePath.dirname(abs));
        ctx.staging.markEntryApplied(e.staging_id, e.base_dir, e.path, done('kept_both', { copy_path: `${e.base_dir}/${copyRel}` }));
        copies.push(nodePath.join(root, ...copyRel.split('/')));
        tally.kept_both++;
        return;
      }
      case 'mode': {
        // chmod is atomic: no temp file, no backup (the content stays E's, which is R's).
        if (current?.kind !== 'file' || item.mode === null) throw new ChangedMeanwhile();
        await ensureUnchanged(current.abs, current);
        await chmod(current.abs, item.mode);
        await fsyncPath(current.abs); // the new mode is durable before it is logged
        const info = await lstat(current.abs);
        ctx.staging.transaction(() => {
          ctx.daemon.applyChanges(
            [{ operation: 'modify', kind: 'file', base_dir: e.base_dir, path: e.path, checksum: current.checksum, size: info.size, mtime: info.mtimeMs, mode: info.mode & 0o7777, ino: info.ino }],
            now(),
          );
          ctx.staging.markEntryApplied(e.staging_id, e.base_dir, e.path, done('upstream'));
        });
        tally.modes++;
        return;
      }
      case 'write': {
        const above = step.replace_above === undefined ? null : await replaceFileAbove(e, blocked);
        if (e.kind === 'dir') return makeDir(e, root, current, above);
        const abs = await resolveToWrite(root, e.path);
        // E's directory there is empty (the plan writes over no other): nothing to back up.
        const eFile = current?.kind === 'file' ? current : null;
        const eDir = current?.kind === 'dir' ? current : null;
        const saved = eFile ? await backup(e, eFile) : above;
        ctx.staging.markEntryApplying(e.staging_id, e.base_dir, e.path, saved);
        const made = await makeParents(nodePath.dirname(abs));
        await keepParentOwners(made);
        await resolveToWrite(root, e.path); // the parents just made are real directories
        await writeBlob(e, abs, item.mode, () => (eDir ? removeEmptyDir(eDir) : ensureUnchanged(abs, eFile)), current === null);
        await fsyncPath(nodePath.dirname(abs));
        for (const dir of made) await fsyncPath(nodePath.dirname(dir)); // their own entries
        const info = await lstat(abs);
        const dirs = await parentDirInputs(root, e);
        ctx.staging.transaction(() => {
          ctx.daemon.applyChanges(
            [
              ...dirs,
              {
                operation: eFile ? 'modify' : 'add',
                kind: 'file',
                base_dir: e.base_dir,
                path: e.path,
                checksum: e.checksum,
                size: info.size,
                mtime: info.mtimeMs,
                mode: info.mode & 0o7777,
                ino: info.ino,
              },
            ],
            now(),
          );
          ctx.staging.markEntryApplied(e.staging_id, e.base_dir, e.path, done('upstream', { backup: saved }));
        });
        tally.written++;
        return;
      }
      case 'delete': {
        if (!current) throw new ChangedMeanwhile();
        if (current.kind === 'dir') return removeDir(e, current);
        const saved = await backup(e, current);
        ctx.staging.markEntryApplying(e.staging_id, e.base_dir, e.path, saved);
        await ensureUnchanged(current.abs, current);
        await unlink(current.abs);
        await fsyncPath(nodePath.dirname(current.abs));
        ctx.staging.transaction(() => {
          ctx.daemon.applyChanges(
            [{ operation: 'delete', kind: 'file', base_dir: e.base_dir, path: e.path, checksum: null, size: 0, mtime: 0, mode: 0 }],
            now(),
          );
          ctx.staging.markEntryApplied(e.staging_id, e.base_dir, e.path, done('upstream', { backup: saved }));
        });
        tally.deleted++;
        return;
      }
    }
  };

  /**
   * Gives R's directories made by this run or an earlier one (killed before it got here) R's own
   * bits, which workingDirMode widened while R's entries went in, and logs them.
   */
  const finishDirModes = async () => {
    const applied = ctx.staging.listEntries(stagingId);
    const modeOnE = new Map<string, number>();
    for (const e of applied) {
      if (e.kind !== 'dir' || e.resolution !== 'upstream') continue;
      const info = await lstat(await resolveInRoot(rootOf(e.base_dir), e.path)).catch(() => null);
      if (info?.isDirectory()) modeOnE.set(entryKey(e), info.mode & 0o7777);
    }
    for (const { entry: e, mode } of dirsToFinish(applied, modeOnE)) {
      const dir = await openDir(await resolveInRoot(rootOf(e.base_dir), e.path));
      if (!dir) continue; // no longer a directory (E replaced it): nothing of R's to finish
      let info;
      try {
        await dir.chmod(mode);
        await dir.sync();
        info = await dir.stat();
      } finally {
        await dir.close();
      }
      ctx.daemon.applyChanges(
        [{ operation: 'add', kind: 'dir', base_dir: e.base_dir, path: e.path, checksum: null, size: 0, mtime: info.mtimeMs, mode: info.mode & 0o7777, ino: info.ino }],
        now(),
      );
    }
  };

  /**
   * E's files where E's version was kept over R's (keep E's, keep both), to be logged again with
   * the session's completion, in one transaction: R learns that its edit was not taken only from
   * an entry it pulls once E says the session is applied. Without one, R's edit — made on the
   * content E still holds, with a chmod where E made another — would stand on R for good.
   */
  const keptFiles = async (): Promise<ChangeInput[]> => {
    const out: ChangeInput[] = [];
    for (const e of ctx.staging.listEntries(stagingId)) {
      if (e.kind !== 'file' || (e.resolution !== 'kept_e' && e.resolution !== 'kept_both')) continue;
      const root = rootOf(e.base_dir);
      if (await findBlock(root, e.path)) continue; // no file of E's at the path (a link, a file above)
      const current = await readCurrentEntry(root, e.path);
      if (current?.kind !== 'file') continue; // E's deletion or directory is logged already
      out.push({ operation: 'modify', kind: 'file', base_dir: e.base_dir, path: e.path, checksum: current.checksum, size: current.size, mtime: current.mtime, mode: current.mode, ino: current.ino, relog: true });
    }
    return out;
  };

  /** Resolves one entry; returns false when the person chose to quit. */
  const resolveEntry = async (planned: PlannedEntry): Promise<boolean> => {
    const entry = planned.entry;
    const what = inertLine(`${entry.base_dir}/${entry.path}`); // printed, asked about, put in errors
    let counted = false;
    let changed = false;
    // Below a directory where E's version was kept nothing is looked at: it is skipped.
    const lookNow = async () => (keptAbove(entry, keptDirs) === null ? await lookAt(rootOf(entry.base_dir), entry) : null);
    attempts: for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (!(await takeTurn())) return false; // stopped while another run wrote
      const look = await lookNow();
      const current = look?.current ?? null;
      const item = planEntry(entry, eCurrentOf(look), { force: ctx.force, keptDirs, rDirs, rVersions });
      // Said once looked at again: what R's later session wrote meanwhile (another run) is no change of E's.
      if (changed && item.step?.kind !== 'superseded') ctx.print(`E's ${what} changed while it was being applied; looking at it again.`);
      changed = false;
      let step = item.step;
      if (step === null) {
        if (!ctx.ask) {
          throw new ZyncError(
            'SESSION_NOT_APPLIABLE',
            `E's ${what} changed during the apply and now conflicts; the entries before it were applied — run ${applyCommand(ctx.db, 'apply', stagingId)} again.`,
          );
        }
        if (!counted) {
          conflictNo++;
          if (!planned.conflict) conflictsTotal++;
        }
        counted = true;
        let showDiff = true;
        while (step === null) {
          if (showDiff) {
            ctx.print('');
            ctx.print(ctx.chalk.bold.yellow(`Conflict ${conflictNo} of ${conflictsTotal}: ${what} — ${conflictHeadline(entry, item.e_checksum, item.e_mode, item.blocked)}`));
            ctx.print(
              item.blocked
                ? describeBlocked(item.blocked)
                : entry.kind === 'dir' || current?.kind === 'dir'
                  ? describeDirConflict(entry, current)
                  : renderDiff(...(await diffSides(ctx, item, current)), ctx.chalk),
            );
          }
          // No one waits on a person: other runs write meanwhile, and execute() checks that E's
          // file is still what was looked at (ChangedMeanwhile: looked at and asked again).
          giveTurn();
          const answer = await ctx.ask({
            what,
            decisions: decisionsFor(entry, item.e_checksum, item.e_dir_empty, item.blocked),
            labels: decisionLabels(entry, item.e_checksum, { dirEmpty: item.e_dir_empty, below: pendingBelow(entries, entry), blocked: item.blocked }),
          });
          if (answer === 'quit') return false;
          if (!(await takeTurn())) return false;
          if (answer === 'diff') {
            // What E holds now, not at the look above: another run, or E itself, may have changed
            // it while the person read. A change is looked at as one found at the write is (said,
            // planned again: asked again if still a conflict), but a look the person asked for
            // is no failed attempt.
            const now = await lookNow();
            if (JSON.stringify(eCurrentOf(now)) === JSON.stringify(eCurrentOf(look))) {
              showDiff = true;
              continue;
            }
            changed = true;
            attempt--;
            continue attempts;
          }
          step = stepFor(item, answer);
        }
      }
      try {
        await execute(item, step, current, look?.blocked ?? null);
        remaining--;
        // A conflict planned with a step was settled by --force, not by a person; say so when R's version went in.
        if (item.conflict && item.step !== null && (step.kind === 'write' || step.kind === 'delete' || step.kind === 'mode')) tally.forced++;
        return true;
      } catch (err) {
        if (!(err instanceof ChangedMeanwhile)) throw describeFailure(err, what, stagingId, ctx.db, ctx.daemon.path);
        changed = true;
      }
    }
    throw new ZyncError('FILE_CHANGED', `E's ${what} keeps changing; nothing was written for it — run ${applyCommand(ctx.db, 'apply', stagingId)} again once it is quiet.`);
  };

  let finished = true;
  for (const item of plan.items) {
    if (ctx.stop?.aborted || !(await resolveEntry(item))) {
      finished = false;
      break;
    }
  }
  for (const [kept, n] of skippedBelow) notes.push(skippedNote(kept, n));
  if (finished && !(await takeTurn())) finished = false;
  if (finished) await finishDirModes();
  if (finished) {
    const kept = await keptFiles();
    ctx.staging.transaction(() => {
      ctx.daemon.applyChanges(kept, now());
      ctx.staging.markSessionApplied(stagingId, now());
    });
    await rm(blobDir, { recursive: true, force: true });
  }
  const [head, ...details] = formatSummary({
    staging_id: stagingId,
    db: ctx.db,
    tally,
    finished,
    stopped_by: ctx.stop?.aborted ? String(ctx.stop.reason) : undefined,
    remaining,
    applied_before: plan.done,
    backupDir: backedUp || entries.some((e) => e.backup) ? backupDir : null,
    copies,
    notes,
  });
  if (finished) return { finished, tally, summary: [head, ...details].join('\n'), quit: null };
  return { finished, tally, summary: details.join('\n'), quit: new ZyncError('QUIT', head) };
}
