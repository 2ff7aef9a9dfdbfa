// What E holds now at (root, path): a regular file (content hash and stat), a directory, or
// nothing. Used by staging (classification; the files table is trusted when size, mtime and
// inode still match, so a settled file is not re-hashed) and by zync-apply (which always hashes:
// it is about to overwrite). Paths go through resolveInRoot, so nothing is read or later written
// through a symlink. findBlock says what in E's tree is in the way of a path (a symbolic link,
// a special file, or a file where a directory is needed), for zync-apply to look at before
// anything is read through the path. Must not write anything.
import { lstat } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { hashFile, resolveInRoot, ZyncError } from '@zync/common';
import { sameStat, type FileRecord } from '../core/entries.js';
import { DIR_TOKEN } from './classify.js';

export interface CurrentFile {
  kind: 'file';
  /** Absolute path (symlink-checked). */
  abs: string;
  checksum: string;
  size: number;
  mtime: number;
  mode: number;
  ino: number;
}

export interface CurrentDir {
  kind: 'dir';
  abs: string;
  mtime: number;
  mode: number;
  ino: number;
}

export type CurrentEntry = CurrentFile | CurrentDir;

/** The classification token for what E holds: checksum, DIR_TOKEN, or null. */
export function contentToken(current: CurrentEntry | null): string | null {
  if (current === null) return null;
  return current.kind === 'dir' ? DIR_TOKEN : current.checksum;
}

export async function readCurrentEntry(
  root: string,
  relPath: string,
  options: { recorded?: FileRecord | null } = {},
): Promise<CurrentEntry | null> {
  const abs = await resolveInRoot(root, relPath);
  let info;
  try {
    info = await lstat(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
  const stat = { path: relPath, size: info.size, mtime: info.mtimeMs, mode: info.mode & 0o7777, ino: info.ino, ctime: info.ctimeMs };
  if (info.isDirectory()) return { kind: 'dir', abs, mtime: stat.mtime, mode: stat.mode, ino: stat.ino };
  if (!info.isFile()) throw new ZyncError('UNSAFE_PATH', `${relPath} is not a regular file or directory on E.`);
  const recorded = options.recorded;
  if (recorded && !recorded.deleted && recorded.kind === 'file' && recorded.checksum && sameStat(recorded, { ...stat, kind: 'file' })) {
    return { kind: 'file', abs, checksum: recorded.checksum, size: stat.size, mtime: stat.mtime, mode: stat.mode, ino: stat.ino };
  }
  const hashed = await hashFile(abs);
  return { kind: 'file', abs, checksum: hashed.checksum, size: hashed.size, mtime: stat.mtime, mode: stat.mode, ino: stat.ino };
}


/**
 * What blocks relPath on E: at `path` — an ancestor, or relPath itself — a regular file where a
 * directory is needed (`file`, ancestors only), a symbolic link (`link`) or a socket, FIFO or
 * device (`special`), none of which zync writes through or replaces.
 */
export interface PathBlock {
  path: string;
  kind: 'file' | 'link' | 'special';
}

/**
 * The first component of relPath, from the root down, that is neither a directory nor (for the
 * path itself) a regular file; null when there is none (a missing component ends the look:
 * nothing below it exists).
 */
export async function findBlock(root: string, relPath: string): Promise<PathBlock | null> {
  const parts = relPath.split('/');
  for (let i = 1; i <= parts.length; i++) {
    let info;
    try {
      info = await lstat(nodePath.join(root, ...parts.slice(0, i)));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw err;
    }
    if (info.isDirectory()) continue;
    const path = parts.slice(0, i).join('/');
    if (info.isSymbolicLink()) return { path, kind: 'link' };
    if (!info.isFile()) return { path, kind: 'special' };
    return i === parts.length ? null : { path, kind: 'file' };
  }
  return null;
}
