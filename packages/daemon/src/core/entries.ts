// Domain types for what the daemon sees on disk and what it has recorded, and the one rule that
// turns "recorded before" + "observed now" into a log entry (classifyChange). The scanner, the
// watcher and the store (inside its transaction, so another process recording at the same time
// is accounted for) all decide with this rule. Pure: no I/O.
import type { ChangeOperation, EntryKind } from '@zync/common';

/** A path as stat reported it, before its content is read. */
export interface StatEntry {
  path: string;
  kind: EntryKind;
  size: number;
  /** Milliseconds since the epoch, with the sub-millisecond part stat gives. */
  mtime: number;
  /** Permission bits only. */
  mode: number;
  ino: number;
  /** Change time, ms since the epoch; 0: unknown, or too recent to trust (trustedCtime). */
  ctime: number;
}

/** A path as observed now, with its content hash (null for directories). */
export interface ObservedEntry extends StatEntry {
  checksum: string | null;
}

/** A row of the files table: the recorded state of a path (a tombstone when deleted). */
export interface FileRecord extends ObservedEntry {
  base_dir: string;
  deleted: boolean;
  sequence: number;
  /**
   * Live, but the ignore rules excluded it when last looked at (ChangeInput.ignored): the row
   * holds what the clients last received, not E's present state.
   */
  ignored?: boolean;
}

/**
 * What a recorder is told: a path is present with this state (operation add or modify; the
 * store re-derives which), or it is gone (operation delete; the rest is ignored). A delete
 * also removes everything recorded below the path.
 */
export interface ChangeInput {
  operation: ChangeOperation;
  kind: EntryKind;
  base_dir: string;
  path: string;
  checksum: string | null;
  size: number;
  mtime: number;
  mode: number;
  /**
   * Inode number, so a later scan can skip re-hashing. Omit it when unknown: a same-content
   * update then keeps the recorded one, and new content is re-hashed once by the next scan.
   */
  ino?: number;
  /** Change time as trustedCtime gives it; omitted: unknown (the next look hashes the file). */
  ctime?: number;
  /**
   * Log the entry even when it changes nothing (a new sequence with E's state as it is): for a
   * directory zync-apply kept where R removed it, which R must receive again to converge.
   */
  relog?: boolean;
  /**
   * With operation delete: the path is not gone but ignored now (.zyncignore, or a built-in rule
   * of a newer zync). It and what is recorded below it are marked ignored without a log entry:
   * ignoring a path stops syncing it, it never deletes the clients' copies. Recorded present again
   * later, it is logged as new; recorded gone, as deleted.
   */
  ignored?: boolean;
}

/**
 * What recording `next` over `prev` means:
 * - 'add' / 'modify' / 'delete': a new log entry;
 * - 'replace': the kind changed (file <-> dir): a delete of the old kind, then an add;
 * - 'touch': same content, other stat data (mtime, inode): update the row, no new sequence;
 * - null: nothing to do.
 * Files differ when their checksum or mode differs; directories by existence and mode (a
 * private folder on E must not stay world-readable on R). A directory's mtime moves with every
 * entry made in it and is not synced: it is only a touch.
 */
export type ChangeVerdict = 'add' | 'modify' | 'delete' | 'replace' | 'touch' | null;

export function classifyChange(prev: FileRecord | null, next: ObservedEntry | null): ChangeVerdict {
  const live = prev !== null && !prev.deleted;
  if (next === null) return live ? 'delete' : null;
  if (!live) return 'add';
  if (prev.kind !== next.kind) return 'replace';
  if (prev.mode !== next.mode) return 'modify';
  if (next.kind === 'file' && prev.checksum !== next.checksum) return 'modify';
  return sameStat(prev, next) ? null : 'touch';
}

/**
 * What to record for a file the daemon may not read. Its content cannot be known, so nothing
 * is claimed about it: a file never recorded stays unrecorded, and a recorded one keeps its
 * content and stat data and takes only its new permission bits. That way a chmod 000 on E
 * reaches R as a permission change (not a deletion), and the chmod that makes the file readable
 * again differs from the record, so the file is hashed and logged afresh. Null: record nothing.
 */
export function unreadableInput(base_dir: string, recorded: FileRecord | null, mode: number): ChangeInput | null {
  if (recorded === null || recorded.deleted || recorded.kind !== 'file' || recorded.checksum === null) return null;
  const { path, checksum, size, mtime, ino, ctime } = recorded;
  return { operation: 'modify', kind: 'file', base_dir, path, checksum, size, mtime, mode: mode & 0o7777, ino, ctime };
}

/** The input that marks a recorded path the ignore rules now exclude (see ChangeInput.ignored). */
export function ignoredInput(base_dir: string, path: string, kind: EntryKind): ChangeInput {
  return { operation: 'delete', kind, base_dir, path, checksum: null, size: 0, mtime: 0, mode: 0, ignored: true };
}

/**
 * Size, mtime, inode and change time unchanged: the content is taken to be unchanged (not
 * re-hashed). The change time catches rewrites that restore the mtime; an unknown one (0) is
 * never trusted.
 */
export function sameStat(a: StatEntry, b: StatEntry): boolean {
  return a.size === b.size && a.mtime === b.mtime && a.ino === b.ino && a.ctime !== 0 && a.ctime === b.ctime;
}

/**
 * File timestamps advance in ticks (a few ms on Linux): a write in the same tick as the one
 * just hashed leaves size, mtime and ctime as they were. A ctime this close to the moment the
 * hash was taken is therefore recorded as unknown, so the next look hashes again (git's "racy
 * clean" problem).
 */
export const RACY_MS = 50;

export function trustedCtime(ctimeMs: number, hashedAtMs: number): number {
  return hashedAtMs - ctimeMs < RACY_MS ? 0 : ctimeMs;
}

/**
 * Orders inputs so a client can apply them one by one: per base_dir, deletions first with
 * descendants before their ancestors, then additions with ancestors before descendants.
 */
export function orderChanges<T extends Pick<ChangeInput, 'operation' | 'base_dir' | 'path'>>(inputs: readonly T[]): T[] {
  const rank = (c: T) => (c.operation === 'delete' ? 0 : 1);
  return [...inputs].sort((a, b) => {
    if (a.base_dir !== b.base_dir) return a.base_dir < b.base_dir ? -1 : 1;
    if (rank(a) !== rank(b)) return rank(a) - rank(b);
    if (a.path === b.path) return 0;
    const asc = a.path < b.path ? -1 : 1;
    return rank(a) === 0 ? -asc : asc;
  });
}

/** true when `path` is `dir` or lies below it (POSIX relative paths). */
export function isWithin(path: string, dir: string): boolean {
  return path === dir || (path.length > dir.length && path.startsWith(dir) && path.charCodeAt(dir.length) === 47);
}
