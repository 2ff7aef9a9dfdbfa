// What E holds now at (root, path): a regular file (content hash and stat), a directory, or
// nothing. Used by staging (classification; the files table is trusted when size, mtime and
// inode still match, so a settled file is not re-hashed) and by zync-apply (which always hashes:
// it is about to overwrite). Paths go through resolveInRoot, so nothing is read or later written
// through a symlink. Must not write anything.
import { lstat } from 'node:fs/promises';
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

