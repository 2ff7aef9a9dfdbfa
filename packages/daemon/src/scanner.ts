// Reads trees from disk: walks a root (or a subtree) one directory at a time with its ignore
// rules, stat'ing every entry (walkTree), and reads one file's content hash while making sure the
// file held still (hashStable). Symlinks and special files are never followed or synced.
//
// Speed: the syscalls here are synchronous, in time slices (the event loop gets a turn every
// few milliseconds). On a 2-core machine that is several times faster than the promise API for
// many small files (one thread-pool round trip per open/stat/read/close adds up), while a big
// file or a big tree still never holds the loop for long. Memory: one directory's listing and one
// reusable read buffer.
// Decides nothing: what changed is diff-scan's job.
import { createHash } from 'node:crypto';
import { closeSync, constants as fsConstants, fstatSync, lstatSync, openSync, readdirSync, readSync, type Dirent, type Stats } from 'node:fs';
import * as nodePath from 'node:path';
import { isNotPermitted, isSafeRelativePath, listNonUtf8Names, mayBeNonUtf8, unsafePathReason, type IgnoreMatcher, type Logger } from '@zync/common';
import { trustedCtime, type ObservedEntry, type StatEntry } from './core/entries.js';

/** One directory as walkTree found it. */
export interface DirListing {
  /** The directory (relative path; '' for the root). */
  dir: string;
  /**
   * false when it could not be listed (EACCES, EPERM, EIO): its recorded contents are unknown,
   * not deleted. A directory gone while it was listed is listed, as empty.
   */
  listed: boolean;
  /** Its synced children, stat'ed. */
  entries: StatEntry[];
  /** Children this process may list but not search: their recorded contents are unknown. */
  unreadable: string[];
}
const SLICE_MS = 10;
let sliceStart = performance.now();

/** Gives the event loop a turn when the current slice of synchronous work is used up. */
export async function yieldIfDue(): Promise<void> {
  if (performance.now() - sliceStart < SLICE_MS) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  sliceStart = performance.now();
}

export function toStatEntry(path: string, stats: Stats): StatEntry | null {
  const kind = stats.isFile() ? 'file' : stats.isDirectory() ? 'dir' : null;
  if (kind === null) return null;
  return {
    path,
    kind,
    size: kind === 'file' ? stats.size : 0,
    mtime: stats.mtimeMs,
    mode: stats.mode & 0o7777,
    ino: stats.ino,
    ctime: stats.ctimeMs,
  };
}

const join = (rel: string, name: string) => (rel === '' ? name : `${rel}/${name}`);
export const absPath = (root: string, rel: string): string => (rel === '' ? root : nodePath.join(root, ...rel.split('/')));

/** What lstatKnown gives for a path this process may not reach: there, but unknown. */
export const NOT_PERMITTED = 'not-permitted';

/**
 * lstat: null for a path that is gone, NOT_PERMITTED for one behind a directory this process
 * may not search (EACCES, EPERM), which must never be taken for gone.
 */
export function lstatKnown(path: string): Stats | null | typeof NOT_PERMITTED {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) ?? null;
  } catch (err) {
    return isNotPermitted((err as NodeJS.ErrnoException).code) ? NOT_PERMITTED : null;
  }
}

/**
 * lstatKnown for `rel` below `root`, reached through real directories only: null when a
 * directory on the way has become a symlink (or anything but a directory). What lies behind a
 * link is not in the tree, and may be outside the root: `mv lib lib.old && ln -s /elsewhere
 * lib` must not turn lib/x, which the watcher saw go away, into a file read from /elsewhere.
 * The ancestors are checked after the entry itself, so a swap made before that check is seen.
 */
export function lstatInRoot(root: string, rel: string): Stats | null | typeof NOT_PERMITTED {
  const stats = lstatKnown(absPath(root, rel));
  if (stats === null || stats === NOT_PERMITTED) return stats;
  return throughDirectories(root, rel) ? stats : null;
}

/** Whether every ancestor of `rel` below `root` is a directory, not a symlink to one. */
function throughDirectories(root: string, rel: string): boolean {
  const names = rel.split('/');
  let dir = root;
  for (let i = 0; i < names.length - 1; i++) {
    dir = nodePath.join(dir, names[i]!);
    const stats = lstatKnown(dir);
    // NOT_PERMITTED cannot happen here (the entry below was reachable); left to the caller's look.
    if (stats === null || (stats !== NOT_PERMITTED && !stats.isDirectory())) return false;
  }
  return true;
}

/** The inode of the directory at path now; null when it is gone or no longer a directory. */
function directoryInode(path: string): number | null {
  const stats = lstatKnown(path);
  return stats !== null && stats !== NOT_PERMITTED && stats.isDirectory() ? stats.ino : null;
}

/** The warning for a path the wire cannot carry; it names the reason (a path too long has no backslash). */
export function unsyncableMessage(rel: string): string {
  return `name not syncable (${unsafePathReason(rel) ?? 'unsafe'}); skipped`;
}

/** How often a directory replaced while it was listed is listed again before it is given up. */
const RELIST_ATTEMPTS = 3;

/**
 * For a directory (relative path) whose listing holds a name decoded with U+FFFD: its real
 * names that hold U+FFFD (the others are not UTF-8 and are left out), null when it cannot be
 * listed. The daemon's SkippedNames also reports the names left out.
 */
export type Utf8Check = (dir: string) => ReadonlySet<string> | null;

/**
 * Walks `root` from the directory `from` (its relative path, '' for the root, and the inode it
 * had when its parent was listed; null for the root, which may be a symlink), one directory at
 * a time: each listing is yielded once it is complete and checked, and the next one is read only
 * when the caller asks for it, so memory holds one directory and the stack of those still to
 * list, never the tree. Ignored paths are neither listed nor descended into, and names that are
 * not UTF-8 (`checkUtf8` is told) or hold a backslash or control character (`onUnsyncableName`)
 * are left out.
 */
export async function* walkTree(
  root: string,
  matcher: IgnoreMatcher,
  options: {
    from?: { rel: string; ino: number | null };
    log?: Logger;
    checkUtf8?: Utf8Check;
    /** Told of each name with a backslash or control character (default: a warning each time). */
    onUnsyncableName?: (rel: string) => void;
    /** Told of each symbolic link the rules do not ignore (links are never synced). */
    onSymlink?: (rel: string) => void;
  } = {},
): AsyncGenerator<DirListing> {
  const checkUtf8 = options.checkUtf8 ?? ((dir: string) => listNonUtf8Names(absPath(root, dir))?.literal ?? null);
  const stack: { rel: string; ino: number | null; attempt: number }[] = [{ ...(options.from ?? { rel: '', ino: null }), attempt: 0 }];

  while (stack.length > 0) {
    const { rel: dirRel, ino: dirIno, attempt } = stack.pop()!;
    const listing: DirListing = { dir: dirRel, listed: true, entries: [], unreadable: [] };
    let dirents: Dirent[] = [];
    try {
      dirents = readdirSync(absPath(root, dirRel), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        listing.listed = false;
        options.log?.warn({ path: dirRel, err: (err as Error).message }, 'cannot read directory; its contents are left as recorded');
      }
    }
    let literal: ReadonlySet<string> | null | undefined; // looked up once per listing, when needed
    for (const dirent of dirents) {
      if (mayBeNonUtf8(dirent.name)) {
        // Not UTF-8: the decoded name leads nowhere, and may stand for several names.
        if (literal === undefined) literal = checkUtf8(dirRel);
        if (!literal?.has(dirent.name)) continue;
      }
      const rel = join(dirRel, dirent.name);
      if (dirent.isSymbolicLink()) {
        options.log?.debug({ path: rel }, 'symlink skipped');
        if (!matcher(rel, false)) options.onSymlink?.(rel);
        continue;
      }
      if (!isSafeRelativePath(rel)) {
        // Names with control characters or backslashes, and paths over the wire's limit, cannot cross it.
        if (options.onUnsyncableName) options.onUnsyncableName(rel);
        else options.log?.warn({ path: rel }, unsyncableMessage(rel)); // the log prints values JSON-escaped
        continue;
      }
      // Skip ignored names before the lstat when the type is already known.
      const typeKnown = dirent.isFile() || dirent.isDirectory();
      if (typeKnown && matcher(rel, dirent.isDirectory())) continue;
      const stats = lstatKnown(absPath(root, rel));
      if (stats === NOT_PERMITTED) {
        // A directory that may be listed but not searched: its entries are left as recorded.
        listing.unreadable.push(rel);
        continue;
      }
      const entry = stats ? toStatEntry(rel, stats) : null;
      if (!entry || (!typeKnown && matcher(rel, entry.kind === 'dir'))) continue;
      listing.entries.push(entry);
    }
    // Listing and lstat go by path: a directory swapped for a symlink meanwhile was listed
    // through the link, and one swapped for another directory may be half listed. Such a listing
    // is dropped; a new directory is listed again, a symlink is not in the tree.
    const inoNow = dirIno === null ? null : directoryInode(absPath(root, dirRel));
    if (dirIno !== null && inoNow !== dirIno) {
      if (inoNow !== null && attempt < RELIST_ATTEMPTS) stack.push({ rel: dirRel, ino: inoNow, attempt: attempt + 1 });
      await yieldIfDue();
      continue;
    }
    for (const entry of listing.entries) if (entry.kind === 'dir') stack.push({ rel: entry.path, ino: entry.ino, attempt: 0 });
    yield listing;
    await yieldIfDue();
  }
}

export type HashResult =
  | { status: 'ok'; entry: ObservedEntry }
  /** The file changed while it was read, or was replaced: look again later. */
  | { status: 'changed' }
  /** Gone, or no longer a regular file. */
  | { status: 'gone' }
  /** There, but this process may not read it (EACCES, EPERM): see unreadableInput. */
  | { status: 'unreadable'; code: string };

/**
 * Hashes the file at `rel` and returns its state, re-reading (up to `attempts` times) when its
 * size or mtime moved while it was being read or the name now points at another file.
 * `buffer` is scratch space the caller reuses across files.
 */
export async function hashStable(root: string, rel: string, buffer: Buffer, attempts = 3): Promise<HashResult> {
  const path = absPath(root, rel);
  for (let attempt = 0; attempt < attempts; attempt++) {
    let fd: number;
    try {
      // O_NOFOLLOW covers the name itself; lstatInRoot below covers the directories above it.
      // O_NONBLOCK: a FIFO put in the file's place would block this open, and with it the
      // daemon's only thread, until some writer came; for a regular file it changes nothing.
      fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return { status: 'gone' };
      if (isNotPermitted(code)) return { status: 'unreadable', code };
      throw err;
    }
    try {
      const before = fstatSync(fd);
      if (!before.isFile()) return { status: 'gone' };
      const hash = createHash('sha256');
      let size = 0;
      // Reading stops at the size stat gave; growth after that shows in the second fstat.
      while (size < before.size) {
        const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        hash.update(buffer.subarray(0, bytesRead));
        size += bytesRead;
        if (size < before.size) await yieldIfDue();
      }
      const after = fstatSync(fd);
      const named = lstatInRoot(root, rel);
      if (named === null) return { status: 'gone' };
      const still =
        size === before.size &&
        after.size === before.size &&
        after.mtimeMs === before.mtimeMs &&
        named !== NOT_PERMITTED &&
        named.ino === before.ino &&
        named.dev === before.dev;
      if (still) return { status: 'ok', entry: { ...toStatEntry(rel, after)!, ctime: trustedCtime(after.ctimeMs, Date.now()), checksum: hash.digest('hex') } };
    } finally {
      closeSync(fd);
    }
    await yieldIfDue();
  }
  return { status: 'changed' };
}
