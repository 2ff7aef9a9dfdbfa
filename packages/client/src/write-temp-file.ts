// One small file written to its temp path with E's mode and mtime, and no fsync: the caller makes
// a whole batch durable before renaming any of it. Built-in modules only, because it also runs on
// the temp-file worker thread (temp-writer-worker.ts), which must start in milliseconds.
import { closeSync, fchmodSync, fstatSync, futimesSync, openSync, unlinkSync, writeSync } from 'node:fs';
import type { WrittenFile } from '@zync/common';

/**
 * Creates tempPath (it must not exist) holding data. Throws the fs error as is, after removing
 * what it created; returns the file as fstat saw it.
 */
export function writeTempFileSync(tempPath: string, data: Uint8Array, attributes: { mode: number; mtime: number }): WrittenFile {
  const mode = attributes.mode & 0o7777;
  let fd: number | null = null;
  let created = false;
  try {
    fd = openSync(tempPath, 'wx', mode);
    created = true;
    for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset, data.length - offset);
    // As common's toFileTime (this worker loads built-ins only): Node reads negative seconds as "now".
    const time = attributes.mtime < 0 ? new Date(attributes.mtime) : attributes.mtime / 1000;
    futimesSync(fd, time, time);
    const info = fstatSync(fd);
    let bits = info.mode & 0o7777;
    // The umask may have taken bits from the mode given to open. The bits the file has then: a
    // root without Unix modes (vfat) keeps its own, and R must not take them for a chmod of R's.
    if (bits !== mode) {
      try {
        fchmodSync(fd, mode);
      } catch (err) {
        // As common's chmodUnsupported (built-ins only here): a root without Unix modes refuses
        // the chmod of a file R just made; the file keeps the bits it got.
        if (!['ENOSYS', 'ENOTSUP', 'EOPNOTSUPP', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      }
      bits = fstatSync(fd).mode & 0o7777;
    }
    closeSync(fd);
    fd = null;
    return { size: info.size, mtime: info.mtimeMs, ino: info.ino, mode: bits };
  } catch (err) {
    if (fd !== null) closeSync(fd);
    if (created) removeQuietly(tempPath);
    throw err;
  }
}

export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or never created
  }
}
