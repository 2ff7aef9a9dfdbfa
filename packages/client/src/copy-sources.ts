// Small local copies: content R already holds at another path (a rename or copy on E; plan-pull's
// `source`) read here and handed to the same temp-file writer and barriers as small downloads
// (small-files.ts). Copied one by one, each with an fsync of its own (AtomicFileWriter), 10,000
// files renamed on E took 20-44 s while other writers kept the disk busy, 9-12 s this way (on an
// idle disk both take ~2.3 s: an fsync is cheap there). Read synchronously, as every
// per-file check here: a read of a few KiB takes microseconds, a thread-pool round trip more.
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Reads the file at abs into `into` if it is still what R recorded there (same size and mtime, a
 * regular file, not a link) and holds into.length bytes; false otherwise. `recorded` null: a held
 * file (core/held-files.ts), which has no record; only its size is checked. The caller checks the
 * bytes against E's checksum.
 */
export function readUnchangedFile(abs: string, recorded: { local_size: number | null; local_mtime: number | null } | null, into: Buffer): boolean {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO put there since the plan's lstat must not block the pull.
    fd = openSync(abs, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile() || info.size !== into.length) return false;
    if (recorded !== null && (info.size !== recorded.local_size || info.mtimeMs !== recorded.local_mtime)) return false;
    for (let offset = 0; offset < into.length; ) {
      const n = readSync(fd, into, offset, into.length - offset, offset);
      if (n === 0) return false; // shrunk meanwhile
      offset += n;
    }
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}
