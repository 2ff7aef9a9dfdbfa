// R's local roots as the pull engine sees them: safe resolution of wire paths (checkRelativePath
// + resolveInRoot, with the verified parent directories cached per batch so 10,000 files do not
// cost 10,000 ancestor walks), lstat into LocalState, hashing, conflict-copy names that are
// free, the set of directories a batch touched (made durable at the barrier), directories opened
// for their owner while a batch writes in them (core/dir-modes.ts; noted in the client store
// before each is opened, so a restart after kill -9 can give its mode back: opened-dirs.ts), and
// the sweep of temp files a crash left behind. It decides nothing about what to write.
import { chmodSync, lstatSync, mkdirSync, statSync, statfsSync } from 'node:fs';
import { readdir, rename, unlink } from 'node:fs/promises';
import * as nodePath from 'node:path';
import * as posixPath from 'node:path/posix';
import type { Disk } from './core/root-disks.js';
import { freeBytesFor, type Room } from './core/room-waits.js';
import type { GoneRoot } from './core/vanished-roots.js';
import {
  TEMP_PREFIX,
  ZyncError,
  checkRelativePath,
  conflictCopyPath,
  hashFile,
  isSafeRelativePath,
  isZyncError,
  realRootSync,
  resolveInRootSync,
  type DirSpec,
} from '@zync/common';
import { MADE_DIR_MODE, OWNER_RWX, openedMode } from './core/dir-modes.js';
import { ctimesAgree } from './core/local-edits.js';
import type { EntryKey, LocalState, OpenedDir } from './core/types.js';
import { makeDurable } from './durability.js';

/** Where the directories opened for a batch are noted (the client store). */
export interface OpenedDirNotes {
  /** Durable when it returns: called before the chmods that open the directories. */
  noteOpenedDirs(dirs: readonly OpenedDir[]): void;
  dropOpenedDirs(dirs: readonly EntryKey[]): void;
}

export class LocalTree {
  private readonly roots: Map<string, string>;
  private readonly notes: OpenedDirNotes;
  /** Parent directories (absolute) verified to be real directories inside their root. */
  private readonly verifiedDirs = new Set<string>();
  /** Real paths of the roots, resolved once per batch. */
  private readonly realRoots = new Map<string, string>();
  /** Parent directories found missing when first resolved in this batch (inspection only). */
  private readonly missingDirs = new Set<string>();
  /** Directories known to exist (created or checked by ensureParent in this batch). */
  private readonly existingDirs = new Set<string>();
  /** Directories whose entries changed in this batch: fsynced once at the barrier. */
  private readonly touchedDirs = new Set<string>();
  /** Ancestors (absolute) looked at by openAncestors in this batch. */
  private readonly checkedAncestors = new Set<string>();
  /** Directories opened for their owner in this batch: their mode before, wire path and depth below the root. */
  private readonly opened = new Map<string, { baseDir: string; path: string; mode: number; depth: number }>();
  /** Opened directories given their mode back, whose notes go once that is durable (the barrier). */
  private readonly givenBack: EntryKey[] = [];
  /** Directories ensureParent had to make (R had removed them): they get E's mode at the batch's end. */
  private readonly remade: { baseDir: string; path: string; abs: string }[] = [];

  /** Roots left alone this pass (core/root-disks.ts: their disk seems not mounted). */
  private held: ReadonlySet<string> = new Set();

  constructor(dirs: readonly DirSpec[], notes: OpenedDirNotes) {
    this.roots = new Map(dirs.map((d) => [d.name, d.root]));
    this.notes = notes;
  }

  /** Each root with the disk it is on or would be made on (diskOf); one not to be looked at is left out. */
  rootDisks(): (DirSpec & Disk)[] {
    return [...this.roots].flatMap(([name, root]) => {
      const disk = diskOf(root);
      return disk === undefined ? [] : [{ name, root, ...disk }];
    });
  }

  /** Leaves these roots alone until the next call: has() says no for them, as for a root not synced. */
  hold(names: Iterable<string>): void {
    this.held = new Set(names);
  }

  /**
   * The roots not there as directories (one lstat each): gone (R removed or moved them, or the
   * disk they were on), or a link or a file in their place (core/vanished-roots.ts GoneRoot).
   */
  goneRoots(): GoneRoot[] {
    return [...this.roots].flatMap(([name, root]) => {
      const info = lstatSync(root, { throwIfNoEntry: false });
      if (info === undefined) return [{ name, root }];
      if (info.isDirectory()) return [];
      return [{ name, root, inTheWay: info.isSymbolicLink() ? ('symlink' as const) : ('other' as const) }];
    });
  }

  private isRoot(abs: string): boolean {
    for (const root of this.roots.values()) if (root === abs) return true;
    return false;
  }

  has(baseDir: string): boolean {
    return this.roots.has(baseDir) && !this.held.has(baseDir);
  }

  root(baseDir: string): string {
    const root = this.roots.get(baseDir);
    if (root === undefined) throw new ZyncError('UNKNOWN_BASE_DIR', `No local directory for "${baseDir}".`);
    return root;
  }

  /**
   * The absolute path for a wire path, refusing unsafe paths (UNSAFE_PATH) and paths below a
   * symbolic link. The final component is not followed (callers lstat it). Synchronous, like
   * every per-file check here: an lstat takes microseconds, a thread-pool round trip far more.
   */
  resolve(baseDir: string, relPath: string): string {
    const root = this.root(baseDir);
    checkRelativePath(relPath);
    const parentRel = posixPath.dirname(relPath);
    const abs = nodePath.join(root, ...relPath.split('/'));
    if (parentRel === '.') return abs;
    const parentAbs = nodePath.dirname(abs);
    if (!this.verifiedDirs.has(parentAbs)) {
      let realRoot = this.realRoots.get(root);
      if (realRoot === undefined) this.realRoots.set(root, (realRoot = realRootSync(root)));
      resolveInRootSync(realRoot, parentRel, { allowFinalSymlink: false });
      if (lstatState(parentAbs).kind === 'absent') this.missingDirs.add(parentAbs);
      this.verifiedDirs.add(parentAbs);
    }
    return abs;
  }

  /**
   * What the disk holds at a resolved path, without a system call when its parent directory was
   * missing when first resolved (an initial sync into an empty root). For inspection before any
   * change in the batch; later checks lstat directly.
   */
  inspect(abs: string): LocalState {
    if (this.missingDirs.has(nodePath.dirname(abs))) return { kind: 'absent' };
    const opened = this.opened.get(abs);
    if (opened !== undefined) return { kind: 'dir', mode: opened.mode };
    return lstatState(abs);
  }

  /**
   * Gives the owner read, write and search permission on every directory above the batch's wire
   * paths that lacks it (one left 0500 or 0000 by E's mode, say), so the batch can write, rename
   * and delete below them; takeOpened says which, to give their modes back. Each ancestor is
   * looked at once per batch, top-down, a depth at a time (what lies below a directory can be
   * looked at once it is open), and only real directories are changed: a path's walk stops at
   * anything else (resolve refuses what lies below a link), and at a directory this user may not
   * chmod (the write below it fails as it would have). Each depth's directories are noted, with
   * their modes, in one go before any of them is opened: their modes must outlive a kill -9
   * before the batch gives them back. Unsafe paths and unknown base dirs are passed over (resolve
   * refuses them). Known race: a link put in an ancestor's place between its lstat and its chmod
   * gets the chmod.
   */
  openAncestors(targets: readonly EntryKey[]): void {
    let walks = targets.flatMap(({ base_dir: baseDir, path }) => {
      const root = this.roots.get(baseDir);
      return root === undefined || !isSafeRelativePath(path) ? [] : [{ baseDir, root, parts: path.split('/') }];
    });
    for (let depth = 1; walks.length > 0; depth++) {
      walks = walks.filter((walk) => depth < walk.parts.length);
      const at = (walk: (typeof walks)[number]) => nodePath.join(walk.root, ...walk.parts.slice(0, depth));
      const stops = new Set<string>();
      const toOpen = new Map<string, { baseDir: string; path: string; mode: number; open: number }>();
      for (const walk of walks) {
        const abs = at(walk);
        if (this.checkedAncestors.has(abs)) continue;
        this.checkedAncestors.add(abs);
        let info;
        try {
          info = lstatSync(abs, { throwIfNoEntry: false });
        } catch {
          info = undefined;
        }
        if (info === undefined || !info.isDirectory()) {
          stops.add(abs);
          continue;
        }
        const mode = info.mode & 0o7777;
        const open = openedMode(mode);
        if (open !== null) toOpen.set(abs, { baseDir: walk.baseDir, path: walk.parts.slice(0, depth).join('/'), mode, open });
      }
      if (toOpen.size > 0) {
        this.notes.noteOpenedDirs([...toOpen.values()].map(({ baseDir, path, mode }) => ({ base_dir: baseDir, path, mode })));
        // A drop still pending from a batch that stopped before its barrier is not this note's.
        const noted = new Set([...toOpen.values()].map(({ baseDir, path }) => `${baseDir}\0${path}`));
        for (let i = this.givenBack.length - 1; i >= 0; i--) {
          const { base_dir, path } = this.givenBack[i]!;
          if (noted.has(`${base_dir}\0${path}`)) this.givenBack.splice(i, 1);
        }
      }
      for (const [abs, { baseDir, path, mode, open }] of toOpen) {
        try {
          chmodSync(abs, open);
          this.opened.set(abs, { baseDir, path, mode, depth });
        } catch {
          stops.add(abs);
        }
      }
      if (stops.size > 0) walks = walks.filter((walk) => !stops.has(at(walk)));
    }
  }

  /** The directories openAncestors opened since the last call, with their modes before. */
  takeOpened(): { abs: string; baseDir: string; path: string; mode: number; depth: number }[] {
    const out = [...this.opened].map(([abs, opened]) => ({ abs, ...opened }));
    this.opened.clear();
    this.checkedAncestors.clear();
    return out;
  }

  /**
   * Opened directories that were given a mode again (or are gone): their notes are dropped at the
   * next barrier, once that mode is durable.
   */
  gaveBack(dirs: readonly { baseDir: string; path: string }[]): void {
    for (const { baseDir, path } of dirs) this.givenBack.push({ base_dir: baseDir, path });
  }

  /**
   * Creates the parent directories of a resolved path. Existing ancestors were checked by
   * resolve(); known race: a symbolic link R's user puts in their place meanwhile is followed.
   * A directory made here gets the group and other bits R received for it (`receivedMode`; none:
   * owner-only), so it is never more open than on E, even if the batch never ends, and its
   * owner's rwx to write in it; takeRemade() says which, for the batch to give E's exact mode.
   */
  ensureParent(abs: string, receivedMode: (baseDir: string, path: string) => number | null = () => null): void {
    const parent = nodePath.dirname(abs);
    if (this.existingDirs.has(parent)) return;
    const missing: string[] = [];
    for (let dir = parent; dir !== nodePath.dirname(dir); dir = nodePath.dirname(dir)) {
      const state = lstatState(dir);
      if (state.kind === 'dir') break;
      // What is in the way of a directory (a file put there since the batch looked) is refused.
      if (state.kind !== 'absent') throw blockedBy(this.locate(dir), dir);
      // A root gone during the batch (moved, deleted) is not made again for one file: the next
      // pass holds it (core/vanished-roots.ts).
      if (this.isRoot(dir)) throw new ZyncError('ROOT_GONE', `The local directory ${dir} went away during the pass; it is not made again while the client runs.`);
      missing.unshift(dir);
    }
    for (const dir of missing) {
      const where = this.locate(dir);
      const received = where ? receivedMode(where.baseDir, where.path) : null;
      try {
        mkdirSync(dir, { mode: received === null ? MADE_DIR_MODE : (received & 0o777) | OWNER_RWX });
      } catch (err) {
        // Made meanwhile (by R's user): theirs, as it is.
        if ((err as NodeJS.ErrnoException).code === 'EEXIST' && lstatSync(dir).isDirectory()) continue;
        throw err;
      }
      this.touchedDirs.add(nodePath.dirname(dir));
      this.verifiedDirs.add(dir);
      if (where) this.remade.push({ ...where, abs: dir });
    }
    this.existingDirs.add(parent);
  }

  /**
   * What stands where a directory above abs should be: the nearest existing ancestor below
   * abs's root, when it is not a directory (R put a file where E's directory was), else null.
   */
  blockingAncestor(abs: string): { baseDir: string; path: string; abs: string } | null {
    for (let dir = nodePath.dirname(abs); this.locate(dir) !== null; dir = nodePath.dirname(dir)) {
      const state = lstatState(dir);
      if (state.kind === 'absent') continue;
      return state.kind === 'dir' ? null : { ...this.locate(dir)!, abs: dir };
    }
    return null;
  }

  /** The directories ensureParent made since the last call, by wire path. */
  takeRemade(): { baseDir: string; path: string; abs: string }[] {
    return this.remade.splice(0);
  }

  /** The base dir and wire path of an absolute path below one of the roots. */
  private locate(abs: string): { baseDir: string; path: string } | null {
    for (const [baseDir, root] of this.roots) {
      if (abs.startsWith(root + nodePath.sep)) return { baseDir, path: abs.slice(root.length + 1).split(nodePath.sep).join('/') };
    }
    return null;
  }

  /**
   * Creates one directory whose parent exists (ensureParent) and remembers that it exists. It is
   * owner-only until the batch gives it E's mode: a private folder is never briefly open to others.
   */
  makeDir(abs: string): void {
    mkdirSync(abs, { mode: MADE_DIR_MODE });
    this.existingDirs.add(abs);
    this.verifiedDirs.add(abs);
    this.touch(abs);
  }

  /** Marks abs's directory as changed (a rename, unlink or create happened in it). */
  touch(abs: string): void {
    this.touchedDirs.add(nodePath.dirname(abs));
  }

  /** Marks a directory itself as changed (its mode): made durable at the barrier. */
  touchDir(abs: string): void {
    this.touchedDirs.add(abs);
  }

  /**
   * Makes the touched directories at or below dir durable now, ahead of the barrier: dir is about
   * to lose its owner's read or search permission, and the barrier could no longer open them.
   */
  async syncTouchedWithin(dir: string): Promise<void> {
    const within = [...this.touchedDirs].filter((d) => d === dir || d.startsWith(dir + nodePath.sep));
    for (const d of within) this.touchedDirs.delete(d);
    if (within.length > 0) await makeDurable(within, within);
  }

  /** A directory we removed must not be trusted as verified any more. */
  forgetDir(abs: string): void {
    for (const set of [this.verifiedDirs, this.existingDirs]) {
      set.delete(abs);
      for (const dir of set) if (dir.startsWith(abs + nodePath.sep)) set.delete(dir);
    }
  }

  /**
   * The durability barrier: every directory whose entries changed since the last call (renames,
   * creations, deletions) is made durable — one syncfs per file system when many changed. Then
   * the notes of the opened directories given their mode back are dropped.
   */
  async syncTouchedDirs(): Promise<void> {
    const dirs = [...this.touchedDirs];
    this.touchedDirs.clear();
    await makeDurable(dirs, dirs);
    if (this.givenBack.length > 0) this.notes.dropOpenedDirs(this.givenBack.splice(0));
  }

  /** Drops the per-batch cache of verified directories (R may have changed its tree since). */
  resetCache(): void {
    this.verifiedDirs.clear();
    this.existingDirs.clear();
    this.missingDirs.clear();
    this.realRoots.clear();
  }

  /** Moves whatever is at abs to a free conflict copy name beside it; returns the new path. */
  async keepConflictCopy(baseDir: string, relPath: string, abs: string, when: Date): Promise<string> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const copyRel = conflictCopyPath(relPath, when, 'R', attempt);
      const copyAbs = nodePath.join(nodePath.dirname(abs), posixPath.basename(copyRel));
      if (lstatState(copyAbs).kind !== 'absent') continue;
      await rename(abs, copyAbs);
      this.touch(abs);
      return copyRel;
    }
    throw new ZyncError('INTERNAL', `No free conflict copy name for ${baseDir}/${relPath}.`);
  }
}

/** PATH_CLASH: something of R's (a file) stands where E's entries need a directory. */
function blockedBy(where: { baseDir: string; path: string } | null, abs: string): ZyncError {
  const what = where ? `${where.baseDir}/${where.path}` : abs;
  return new ZyncError('PATH_CLASH', `${what} is not a directory on R, where E has a directory; E's changes inside it wait until what R put there is moved or removed.`);
}

/**
 * The disk a root is on, or, when it is missing, that of the nearest directory above it: where it
 * would be made. Undefined when that cannot be looked at (no search permission).
 */
export function diskOf(root: string): Disk | undefined {
  let path = root;
  let dev: number;
  for (;;) {
    try {
      dev = statSync(path).dev;
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const parent = nodePath.dirname(path);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === path) return undefined;
      path = parent;
    }
  }
  // Up to where the file system is mounted: the last directory before the device changes.
  for (let parent = nodePath.dirname(path); parent !== path; path = parent, parent = nodePath.dirname(path)) {
    try {
      if (statSync(parent).dev !== dev) break;
    } catch {
      break;
    }
  }
  return { dev, mountPoint: path };
}

/**
 * What the file system that would hold `abs` shows free to this process's user (statfs of the
 * nearest directory there is above it; root's includes reserved blocks); null when it cannot be asked.
 */
export function roomAt(abs: string): Room | null {
  for (let path = nodePath.dirname(abs); ; ) {
    try {
      const fs = statfsSync(path);
      return { freeBytes: freeBytesFor(fs, process.getuid?.() === 0), blockSize: fs.bsize, freeInodes: fs.files === 0 ? null : fs.ffree };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const parent = nodePath.dirname(path);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === path) return null;
      path = parent;
    }
  }
}

/**
 * What the disk holds at abs (the final component is not followed). Synchronous: an lstat of a
 * local path takes microseconds, far less than a thread-pool round trip, and a missing file
 * costs no exception.
 */
export function lstatState(abs: string): LocalState {
  let info;
  try {
    info = lstatSync(abs, { throwIfNoEntry: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return { kind: 'absent' };
    throw err;
  }
  if (info === undefined) return { kind: 'absent' };
  if (info.isFile()) return { kind: 'file', size: info.size, mtime: info.mtimeMs, ino: info.ino, mode: info.mode & 0o7777, ctime: info.ctimeMs };
  if (info.isDirectory()) return { kind: 'dir', mode: info.mode & 0o7777 };
  return { kind: 'other' };
}

/** Adds the checksum to a file state. */
export async function withChecksum(abs: string, state: LocalState): Promise<LocalState> {
  if (state.kind !== 'file') return state;
  try {
    const { checksum } = await hashFile(abs);
    // The read itself may move the ctime a stat shows (on a FUSE root, bindfs, it makes the kernel
    // fetch the attributes afresh: the backing file system's ctime replaces the one it cached):
    // the last-moment checks compare with the state after it, where the file is otherwise as it
    // was; else such a file would look edited by the time it is replaced or deleted.
    const after = lstatState(abs);
    const unchanged = after.kind === 'file' && after.size === state.size && after.mtime === state.mtime && after.ino === state.ino && after.mode === state.mode;
    return { ...(unchanged ? after : state), checksum };
  } catch (err) {
    // Replaced since the look by a FIFO or a directory: the plan must see what is there now.
    if (isZyncError(err) && err.code === 'FILE_CHANGED') {
      const now = lstatState(abs);
      if (now.kind !== 'file') return now;
    }
    throw err;
  }
}

/**
 * true when two states describe the same file version (or the same non-file kind). The ctime
 * counts where both have one: a rewrite of the same length whose mtime was put back (`touch -r`,
 * `cp -p`, rsync -t) keeps size, mtime and inode, never the ctime. A chmod on R moves it too, so
 * the last-moment checks take that for an edit and keep a copy: a needless copy, never a loss.
 * `ctimeBound`: the bound recorded after R's own write of the file, where the plan's state was
 * vouched for by it (core/local-edits.ts, ctimesAgree).
 */
export function sameLocalState(a: LocalState, b: LocalState, ctimeBound?: number | null): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind !== 'file' || b.kind !== 'file') return true;
  return a.size === b.size && a.mtime === b.mtime && a.ino === b.ino && ctimesAgree(a.ctime, b.ctime, ctimeBound);
}

/**
 * Removes temp files a crash left behind (names starting with TEMP_PREFIX) anywhere below root,
 * except those in `keep` (downloads cut short, to resume). Symbolic links are not followed.
 * Returns how many were removed.
 */
export async function removeStaleTempFiles(root: string, keep: ReadonlySet<string> = new Set()): Promise<number> {
  let removed = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const abs = nodePath.join(dir, entry.name);
      if (entry.name.startsWith(TEMP_PREFIX) && entry.isFile() && !keep.has(abs)) {
        await unlink(abs).catch(() => undefined);
        removed++;
      } else if (entry.isDirectory()) {
        await walk(abs);
      }
    }
  };
  await walk(root);
  return removed;
}
