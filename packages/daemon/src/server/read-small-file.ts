// Reads one small recorded file whole, synchronously, for GET_FILE's one-frame path and for
// GET_FILES. For files of a few KiB the promise API's thread-pool round trips cost far more than
// the I/O, so this is open, fstat, read, close on the calling thread. The bytes are delivered
// only when they hash to the recorded checksum, so a file written meanwhile is FILE_CHANGED,
// never content under a wrong checksum. Path safety: parent directories are checked for
// symbolic links once per reader (a reader lives for one request), the file itself is opened
// with O_NOFOLLOW.
import { createHash } from 'node:crypto';
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from 'node:fs';
import * as nodePath from 'node:path';
import * as posixPath from 'node:path/posix';
import { checkRelativePath, isNotPermitted, realRootSync, resolveInRootSync, ZyncError } from '@zync/common';

export interface SmallRecord {
  size: number;
  checksum: string;
}

/** Real paths of roots, so a small file costs no realpath (dropped when a lookup fails). */
const realRoots = new Map<string, string>();

export const fileChanged = (path: string, why: string) =>
  new ZyncError('FILE_CHANGED', `${path} changed while it was being read (${why}); retry later.`);

/**
 * An open that failed for a reason other than the file being gone or a link. Not permitted:
 * NOT_FOUND, so R skips this entry; the watcher logs the file again once E lets it be read
 * (see unreadableInput). Anything else (EMFILE, EIO, ...) may pass: FILE_CHANGED, so R retries
 * instead of skipping a file it would then never get.
 */
export function cannotOpen(baseDir: string, relPath: string, code: string | undefined): ZyncError {
  if (isNotPermitted(code)) return new ZyncError('NOT_FOUND', `${baseDir}/${relPath} cannot be read by the daemon (${code}).`);
  return new ZyncError('FILE_CHANGED', `${baseDir}/${relPath} cannot be read right now (${code ?? 'error'}); retry later.`);
}

export class SmallFileReader {
  private readonly root: string;
  private readonly baseDir: string;
  /** Parent directories (relative) found to be real directories below the root. */
  private readonly checkedDirs = new Set<string>();

  constructor(root: string, baseDir: string) {
    this.root = root;
    this.baseDir = baseDir;
  }

  /**
   * Reads relPath into `into` at `offset` (exactly record.size bytes). Throws ZyncError:
   * UNSAFE_PATH, FILE_CHANGED (gone, resized, rewritten), or cannotOpen's error.
   */
  readInto(relPath: string, record: SmallRecord, into: Buffer, offset: number): void {
    const absPath = this.resolve(relPath);
    let fd: number;
    try {
      // O_NONBLOCK: a FIFO put in the file's place must not block the daemon's thread (see hashStable).
      fd = openSync(absPath, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
    } catch (err) {
      realRoots.delete(this.root);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw fileChanged(relPath, 'it is gone');
      if (code === 'ELOOP') throw new ZyncError('UNSAFE_PATH', `${relPath} is a symbolic link.`);
      throw cannotOpen(this.baseDir, relPath, code);
    }
    try {
      const info = fstatSync(fd);
      if (!info.isFile()) throw fileChanged(relPath, 'it is no longer a regular file');
      if (info.size !== record.size) throw fileChanged(relPath, 'its size differs from the log');
      let got = 0;
      while (got < record.size) {
        const n = readSync(fd, into, offset + got, record.size - got, got);
        if (n === 0) throw fileChanged(relPath, 'it became shorter');
        got += n;
      }
    } finally {
      closeSync(fd);
    }
    const checksum = createHash('sha256').update(into.subarray(offset, offset + record.size)).digest('hex');
    if (checksum !== record.checksum) throw fileChanged(relPath, 'its content differs from the log');
  }

  private resolve(relPath: string): string {
    checkRelativePath(relPath);
    let realRoot = realRoots.get(this.root);
    if (realRoot === undefined) {
      try {
        realRoots.set(this.root, (realRoot = realRootSync(this.root)));
      } catch {
        throw new ZyncError('ROOT_UNAVAILABLE', `Root "${this.baseDir}" cannot be read.`);
      }
    }
    const parent = posixPath.dirname(relPath);
    if (parent !== '.' && !this.checkedDirs.has(parent)) {
      resolveInRootSync(realRoot, parent, { allowFinalSymlink: false });
      this.checkedDirs.add(parent);
    }
    return nodePath.join(realRoot, ...relPath.split('/'));
  }
}
