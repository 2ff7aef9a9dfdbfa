// Walks one of R's local roots for --update-upstream, one directory at a time: each listing holds
// the regular files and directories that are synced (ignore rules, zync temp files and conflict
// copies left out; symbolic links and special files skipped), files with the stat the planner
// compares against. Ignored directories are not descended into; a directory R's user may not
// read is yielded as unreadable, and what lies below it is unknown, not deleted. Names that
// cannot cross the wire (a backslash, a control character: isSafeRelativePath; bytes that are
// not UTF-8) are reported and left out, with all below them: E never had them.
// Memory: one listing and the directories still to list, never the tree.
// Reads only; decides nothing about what changed (plan-upstream.ts does).
import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import * as nodePath from 'node:path';
import {
  hashFile,
  isNotPermitted,
  isSafeRelativePath,
  listNonUtf8Names,
  loadIgnoreMatcher,
  mayBeNonUtf8,
  type DirSpec,
  type IgnoreMatcher,
} from '@zync/common';
import { fileKey, type DirPath, type HashedFile, type LocalFile, type UpstreamEntry } from './plan-upstream.js';
import type { StatNow } from './left-out.js';
import type { LocalNow } from './plan-reverts.js';

const STAT_BATCH = 64;

/** One directory of R's as walkLocalRoot found it. */
export interface LocalListing {
  /** The directory, relative to the root ('' for the root itself). */
  dir: string;
  /**
   * Why it could not be listed (EACCES, EPERM), or null. A directory gone while it was walked is
   * listed, as empty.
   */
  unreadable: string | null;
  files: LocalFile[];
  /** Its subdirectories, listed after it (depth first). */
  dirs: DirPath[];
  /** Files and directories left out because their names cannot cross the wire. */
  unsendable: DirPath[];
  /** Names left out because they are not UTF-8, as bytes. */
  nonUtf8: Buffer[];
  /** Symbolic links the rules do not ignore, left out: zync syncs files and directories only. */
  links: DirPath[];
  /** How many names the ignore rules left out (conflict copies, zync temp files, ignored names). */
  ignored: number;
}

/**
 * lstat for each path, STAT_BATCH at a time; null for one that could not be stat'ed. `denied`:
 * the code of a refusal (EACCES, EPERM), when any lstat was refused.
 */
async function lstatAll(paths: readonly string[]): Promise<{ stats: (Stats | null)[]; denied: string | null }> {
  const stats: (Stats | null)[] = [];
  let denied: string | null = null;
  const tryLstat = (p: string) =>
    lstat(p).catch((err: unknown) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (isNotPermitted(code)) denied ??= code ?? null;
      return null;
    });
  for (let i = 0; i < paths.length; i += STAT_BATCH) {
    for (const s of await Promise.all(paths.slice(i, i + STAT_BATCH).map(tryLstat))) stats.push(s);
  }
  return { stats, denied };
}

export async function* walkLocalRoot(dir: DirSpec, ignored: IgnoreMatcher): AsyncGenerator<LocalListing, void, void> {
  const absOf = (rel: string) => (rel === '' ? dir.root : nodePath.join(dir.root, ...rel.split('/')));
  const stack = [''];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    const abs = absOf(rel);
    const listing: LocalListing = { dir: rel, unreadable: null, files: [], dirs: [], unsendable: [], nonUtf8: [], links: [], ignored: 0 };
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (isNotPermitted(code)) listing.unreadable = code;
      else if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err; // else removed while we walked
      yield listing;
      continue;
    }
    const subdirs: string[] = [];
    const candidates: string[] = [];
    let literal: ReadonlySet<string> | null | undefined; // looked up once per listing, when needed
    for (const entry of entries) {
      if (mayBeNonUtf8(entry.name)) {
        // Not UTF-8: the decoded name leads nowhere (a directory would go up as a new, empty one).
        if (literal === undefined) {
          const names = listNonUtf8Names(abs);
          for (const name of names?.nonUtf8 ?? []) listing.nonUtf8.push(name);
          literal = names?.literal ?? null;
        }
        if (!literal?.has(entry.name)) continue;
      }
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if ((entry.isDirectory() || entry.isFile()) && !isSafeRelativePath(childRel)) {
        if (!ignored(childRel, entry.isDirectory())) listing.unsendable.push({ base_dir: dir.name, path: childRel });
        continue;
      }
      if (ignored(childRel, entry.isDirectory())) listing.ignored++;
      else if (entry.isSymbolicLink()) listing.links.push({ base_dir: dir.name, path: childRel });
      else if (entry.isDirectory()) subdirs.push(childRel);
      else if (entry.isFile()) candidates.push(childRel);
    }
    const fileStats = await lstatAll(candidates.map(absOf));
    const dirStats = await lstatAll(subdirs.map(absOf));
    // Listable but not searchable (r-- without x): names without states. Nothing in it is known,
    // so nothing in it may be taken for deleted.
    const denied = fileStats.denied ?? dirStats.denied;
    if (denied !== null) {
      listing.unreadable = denied;
      yield listing;
      continue;
    }
    candidates.forEach((path, i) => {
      const info = fileStats.stats[i];
      if (info?.isFile()) {
        listing.files.push({ base_dir: dir.name, path, size: info.size, mtime: info.mtimeMs, mode: info.mode & 0o7777, ino: info.ino, ctime: info.ctimeMs });
      }
    });
    subdirs.forEach((path, i) => {
      const info = dirStats.stats[i];
      listing.dirs.push({ base_dir: dir.name, path, ...(info?.isDirectory() ? { mode: info.mode & 0o7777 } : {}) });
    });
    // Depth first, in listing order: the order the scan has always reported names in.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
    yield listing;
  }
}

/** Files hashed and their bytes (for a progress display). */
export interface HashCounts {
  files: number;
  bytes: number;
}

/**
 * A file's content and stat now. The stat is taken after the hash: if the file changed during the
 * hash, the daemon's checksum check on upload catches the mismatch and nothing of it is staged.
 */
async function hashNow(abs: string): Promise<{ checksum: string; size: number; mtime: number; mode: number; ino: number }> {
  const { checksum, size } = await hashFile(abs);
  const info = await lstat(abs);
  return { checksum, size, mtime: info.mtimeMs, mode: info.mode & 0o7777, ino: info.ino };
}

/**
 * An entry's file read again after it changed while it was being sent (send-session.ts): the
 * entry with what R holds now, or null when there is no file to send now (gone, unreadable, or no
 * longer a regular file: the next scan sees what is there).
 */
export async function rereadEntry(dirs: readonly DirSpec[], entry: UpstreamEntry): Promise<UpstreamEntry | null> {
  const root = dirs.find((d) => d.name === entry.base_dir)?.root;
  if (root === undefined || entry.kind !== 'file' || entry.operation === 'delete') return null;
  try {
    const { checksum, size, mtime, mode } = await hashNow(nodePath.join(root, ...entry.path.split('/')));
    return { ...entry, checksum, size, mtime, mode };
  } catch {
    return null;
  }
}

/**
 * Hashes the suspects, a few at a time, keeping `hashed` current. A file that vanished meanwhile
 * is left out (it will show up as a deletion next time if it had been received), and so is one
 * R's user may not read (reported through `unreadable`): its content cannot be sent.
 */
export async function hashSuspects(
  dirs: readonly DirSpec[],
  suspects: readonly LocalFile[],
  unreadable: (file: LocalFile, code: string) => void,
  hashed: HashCounts = { files: 0, bytes: 0 },
  concurrency = 4,
): Promise<HashedFile[]> {
  const roots = new Map(dirs.map((d) => [d.name, d.root]));
  const out: HashedFile[] = [];
  let next = 0;
  const worker = async () => {
    while (next < suspects.length) {
      const file = suspects[next++]!;
      const abs = nodePath.join(roots.get(file.base_dir)!, ...file.path.split('/'));
      try {
        const now = await hashNow(abs);
        hashed.bytes += now.size;
        out.push({ ...file, ...now });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (isNotPermitted(code)) unreadable(file, code);
        // Gone, or no longer a regular file (FILE_CHANGED from hashFile: a FIFO or a directory
        // in its place): nothing of it to send now; the next scan sees what is there.
        else if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'FILE_CHANGED') throw err;
      } finally {
        hashed.files++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, suspects.length) }, worker));
  return out;
}

/**
 * What R's disk holds at each staged record's path (plan-reverts.ts), by fileKey: a few paths,
 * looked at one by one and files hashed. A path that is ignored now, lies below a directory R
 * may not search, or holds a symbolic link or special file is 'unknown': nothing is sent for it.
 */
export async function readLocalNow(dirs: readonly DirSpec[], records: readonly { base_dir: string; path: string }[]): Promise<Map<string, LocalNow>> {
  const out = new Map<string, LocalNow>();
  const roots = new Map(dirs.map((d) => [d.name, d.root]));
  const matchers = new Map<string, IgnoreMatcher>();
  for (const r of records) {
    const root = roots.get(r.base_dir);
    const key = fileKey(r.base_dir, r.path);
    if (root === undefined) continue;
    if (!matchers.has(r.base_dir)) matchers.set(r.base_dir, await loadIgnoreMatcher(root));
    const abs = nodePath.join(root, ...r.path.split('/'));
    out.set(key, await lookAt(abs, (isDir) => matchers.get(r.base_dir)!(r.path, isDir)));
  }
  return out;
}

/**
 * What R's disk holds at each entry's path now, by fileKey: lstat only, STAT_BATCH at a time
 * (send-session.ts looks before FINALIZE_UPSTREAM whether what was staged still holds).
 */
export async function statNow(dirs: readonly DirSpec[], entries: readonly { base_dir: string; path: string }[]): Promise<Map<string, StatNow>> {
  const roots = new Map(dirs.map((d) => [d.name, d.root]));
  const out = new Map<string, StatNow>();
  const look = async (e: { base_dir: string; path: string }) => {
    const root = roots.get(e.base_dir);
    if (root === undefined) return;
    out.set(fileKey(e.base_dir, e.path), await statAt(nodePath.join(root, ...e.path.split('/'))));
  };
  for (let i = 0; i < entries.length; i += STAT_BATCH) await Promise.all(entries.slice(i, i + STAT_BATCH).map(look));
  return out;
}

async function statAt(abs: string): Promise<StatNow> {
  try {
    const info = await lstat(abs);
    if (info.isDirectory()) return { kind: 'dir', mode: info.mode & 0o7777 };
    if (info.isFile()) return { kind: 'file', size: info.size, mode: info.mode & 0o7777 };
    return { kind: 'unknown' };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'absent' } : { kind: 'unknown' };
  }
}

async function lookAt(abs: string, ignored: (isDir: boolean) => boolean): Promise<LocalNow> {
  try {
    const info = await lstat(abs);
    if (ignored(info.isDirectory())) return { kind: 'unknown' };
    if (info.isDirectory()) return { kind: 'dir', mode: info.mode & 0o7777 };
    if (!info.isFile()) return { kind: 'unknown' };
    const { checksum, size } = await hashFile(abs);
    const after = await lstat(abs);
    return { kind: 'file', checksum, size, mode: after.mode & 0o7777, mtime: after.mtimeMs };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === 'ENOENT' || code === 'ENOTDIR') && !ignored(false)) return { kind: 'absent' };
    return { kind: 'unknown' };
  }
}
