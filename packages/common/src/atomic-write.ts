// Atomic, durable file writes: content goes to a temp file beside the target (same directory, so
// the rename cannot cross file systems), is fsynced, then renamed over the target. A reader sees
// the old file or the new one, never a partial one. Where nothing was at the target, the file is
// linked there instead (linkIntoPlace), so that nothing made there meanwhile is replaced. Temp
// names start with TEMP_PREFIX, which every scanner ignores and the client sweeps at start.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { constants as fsConstants, fchmodSync, fstatSync, futimesSync, linkSync, unlinkSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { DIRECT_WRITE_MIN_BYTES, DirectSink, O_DIRECT } from './direct-write.js';
import { fromFsError, ZyncError } from './protocol/errors.js';
import { TEMP_PREFIX } from './ignore-rules.js';
import { truncateUtf8 } from './name-length.js';
import { hasNoHardLinks, noteLinkFailure } from './no-hard-links.js';

export interface FileAttributes {
  /** Permission bits (e.g. 0o644); the umask does not apply. */
  mode?: number;
  /** Modification time in milliseconds since the epoch. */
  mtime?: number;
}

/** The committed file as the disk holds it (the renamed inode, from fstat before the rename). */
export interface WrittenFile {
  size: number;
  mtime: number;
  ino: number;
  mode: number;
}

/**
 * Temp names end in 12 hex digits: 6 random per process (renewed when the counter wraps) and a
 * 6-digit counter, so each file costs no randomBytes call. 'wx' still refuses any clash.
 */
let tempTag = randomBytes(3).toString('hex');
let tempCounter = 0;

/**
 * Whether a chmod failed because the file system keeps no Unix modes (fusefat: ENOSYS; a vfat
 * mount without `quiet`: EPERM). Such a root gives every file its own bits: the write goes on with
 * them. EPERM counts only for a file the caller just made (`ownFile`), else it may be ownership.
 */
export function chmodUnsupported(err: unknown, ownFile = false): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSYS' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || (ownFile && code === 'EPERM');
}

export function tempPathFor(target: string): string {
  if (tempCounter > 0xffffff) {
    tempTag = randomBytes(3).toString('hex');
    tempCounter = 0;
  }
  const suffix = tempTag + (tempCounter++).toString(16).padStart(6, '0');
  return nodePath.join(nodePath.dirname(target), `${tempStemFor(target)}${suffix}`);
}

/**
 * What every temp name for target starts with: the prefix and the target's name cut to 100
 * bytes (not characters: 100 CJK characters take 300 bytes, and the temp name must stay
 * within NAME_MAX wherever the target's own name does).
 */
export function tempStemFor(target: string): string {
  return `${TEMP_PREFIX}${truncateUtf8(nodePath.basename(target), 100)}-`;
}

/** Read size when a resumed temp file is hashed again. */
const RESUME_READ_BYTES = 1024 * 1024;
/** Chunks per writev (Linux IOV_MAX is 1024). */
const MAX_IOVECS = 512;
/**
 * Written bytes after which an fdatasync starts in the background (never two at once): the
 * kernel would otherwise hold a large file's pages dirty until commit's fsync, which then has to
 * write all of them while nothing else happens.
 */
const EARLY_SYNC_BYTES = 64 * 1024 * 1024;

/**
 * A file being written. write() as many chunks as needed, then commit() to verify, fsync and
 * rename, or abort() to remove the temp file. The SHA-256 of what was written is kept as it goes.
 * write() hashes and queues the chunk (which must not be changed afterwards) and resolves once it
 * is written (with O_DIRECT: copied into the staging memory), so a caller counting the chunks it
 * has not got back counts all the writer holds: the client pauses its socket on that count so no
 * received buffer outlives two young GCs (young-gc.ts). With a megabyte of write-behind per file
 * besides, 40 downloads of 8-16 MiB on a slow disk took ~50 mark-compacts and twice the time.
 * Chunks written without waiting for each other go out in one writev. A failed write is
 * reported by the next write() or by commit().
 */
export class AtomicFileWriter {
  readonly target: string;
  readonly tempPath: string;
  private handle: FileHandle | null;
  /** Set when the bytes go out with O_DIRECT (large files); else the writev queue below is used. */
  private direct: DirectSink | null = null;
  private hash: Hash = createHash('sha256');
  private written = 0;
  private done = false;
  private queue: Uint8Array[] = [];
  /** Bytes given to the queue and bytes the writev loop has written, since the writer opened. */
  private queuedTotal = 0;
  private writtenTotal = 0;
  /** The writev loop while it runs; resolves when the queue is empty (never rejects). */
  private flushing: Promise<void> | null = null;
  /** The background fdatasync, if one runs (never rejects). */
  private syncing: Promise<void> | null = null;
  private unsyncedBytes = 0;
  private failure: unknown = undefined;
  /** write() calls waiting for their chunk to be written: woken after each writev. */
  private waiting: (() => void)[] = [];

  private constructor(target: string, tempPath: string, handle: FileHandle) {
    this.target = target;
    this.tempPath = tempPath;
    this.handle = handle;
  }

  /**
   * `expectedSize`: how large the file will be, when known. A large file is written with
   * O_DIRECT where the file system allows it (see direct-write.ts); the result is the same.
   */
  static async create(target: string, { expectedSize = 0 }: { expectedSize?: number } = {}): Promise<AtomicFileWriter> {
    const tempPath = tempPathFor(target);
    if (expectedSize >= DIRECT_WRITE_MIN_BYTES && O_DIRECT !== undefined) {
      let handle: FileHandle;
      try {
        handle = await open(tempPath, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | O_DIRECT, 0o600);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw fromFsError(err, `creating ${tempPath}`);
        return AtomicFileWriter.create(target);
      }
      const direct = DirectSink.tryCreate(handle);
      if (direct) {
        const writer = new AtomicFileWriter(target, tempPath, handle);
        writer.direct = direct;
        return writer;
      }
      await handle.close();
      await unlink(tempPath).catch(() => undefined);
      return AtomicFileWriter.create(target);
    }
    try {
      const handle = await open(tempPath, 'wx', 0o600);
      return new AtomicFileWriter(target, tempPath, handle);
    } catch (err) {
      throw fromFsError(err, `creating ${tempPath}`);
    }
  }

  /** true when this file's bytes go out with O_DIRECT. */
  get writesDirect(): boolean {
    return this.direct !== null;
  }

  /**
   * Continues a temp file that `keep` left for target: its bytes are read back and hashed, and
   * writes append after them. Throws when tempPath is not a zync temp file beside target, or has
   * another name (linked into place already: appending or truncating would change that file).
   */
  static async resume(target: string, tempPath: string): Promise<AtomicFileWriter> {
    if (nodePath.dirname(tempPath) !== nodePath.dirname(target) || !nodePath.basename(tempPath).startsWith(TEMP_PREFIX)) {
      throw new Error(`${tempPath} is not a temp file for ${target}`);
    }
    let handle: FileHandle;
    try {
      handle = await open(tempPath, fsConstants.O_RDWR | fsConstants.O_APPEND | fsConstants.O_NOFOLLOW);
    } catch (err) {
      throw fromFsError(err, `reopening ${tempPath}`);
    }
    const writer = new AtomicFileWriter(target, tempPath, handle);
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new Error(`${tempPath} is not a regular file`);
      // A second name: a run killed between linkIntoPlace's link and unlink. These bytes are a
      // file at the target by now (maybe rewritten by R since), not a download to continue.
      if (info.nlink !== 1) throw new Error(`${tempPath} was already linked into place`);
      const buffer = Buffer.allocUnsafe(Math.min(RESUME_READ_BYTES, info.size));
      while (writer.written < info.size) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, info.size - writer.written), writer.written);
        if (bytesRead === 0) break;
        writer.hash.update(buffer.subarray(0, bytesRead));
        writer.written += bytesRead;
      }
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw fromFsError(err, `reading ${tempPath}`);
    }
    return writer;
  }

  /** Drops everything written so far (a resumed download the daemon restarts from 0). */
  async restart(): Promise<void> {
    if (!this.handle) throw new Error('AtomicFileWriter: restart after commit or abort');
    if (this.direct) await this.direct.reset();
    else await this.drain();
    await this.handle.truncate(0);
    this.hash = createHash('sha256');
    this.written = 0;
    this.unsyncedBytes = 0;
  }

  get bytesWritten(): number {
    return this.written;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (!this.handle) throw new Error('AtomicFileWriter: write after commit or abort');
    if (this.failure !== undefined) throw fromFsError(this.failure, `writing ${this.target}`);
    if (chunk.length === 0) return;
    this.hash.update(chunk);
    this.written += chunk.length;
    if (this.direct) {
      try {
        await this.direct.write(chunk);
      } catch (err) {
        this.failure ??= err;
        throw fromFsError(err, `writing ${this.target}`);
      }
      return;
    }
    this.queue.push(chunk);
    const end = (this.queuedTotal += chunk.length);
    this.flushing ??= this.flush();
    while (this.writtenTotal < end && this.flushing) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.failure !== undefined) throw fromFsError(this.failure, `writing ${this.target}`);
  }

  /** Writes queued chunks until none are left or a write fails (recorded in `failure`). */
  private async flush(): Promise<void> {
    const handle = this.handle!;
    try {
      while (this.queue.length > 0 && this.failure === undefined) {
        let batch = this.queue.splice(0, MAX_IOVECS);
        let bytes = 0;
        for (const c of batch) bytes += c.length;
        for (;;) {
          const { bytesWritten } = await handle.writev(batch);
          this.unsyncedBytes += bytesWritten;
          this.writtenTotal += bytesWritten;
          if (bytesWritten === bytes) break;
          if (bytesWritten === 0) throw new Error(`writev wrote nothing to ${this.tempPath}`);
          // Short write (rare for regular files): continue after what the disk took.
          bytes -= bytesWritten;
          let skip = bytesWritten;
          while (skip >= batch[0]!.length) skip -= batch.shift()!.length;
          if (skip > 0) batch = [batch[0]!.subarray(skip), ...batch.slice(1)];
        }
        this.wake();
        if (this.unsyncedBytes >= EARLY_SYNC_BYTES && this.syncing === null) {
          this.unsyncedBytes = 0;
          this.syncing = handle.datasync().then(
            () => void (this.syncing = null),
            (err: unknown) => {
              this.failure ??= err;
              this.syncing = null;
            },
          );
        }
      }
    } catch (err) {
      this.failure ??= err;
    } finally {
      this.flushing = null;
      this.wake();
    }
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  /** Waits until every queued chunk is written and no background sync runs; throws a write failure. */
  private async drain(): Promise<void> {
    while (this.flushing || this.syncing) await (this.flushing ?? this.syncing);
    if (this.failure !== undefined) throw this.failure;
  }

  /** Lets go of the O_DIRECT staging area (after the last write, or when giving up). */
  private async releaseDirect(): Promise<void> {
    const direct = this.direct;
    this.direct = null;
    await direct?.close();
  }

  /**
   * Verifies the checksum (when given), applies mode and mtime, fsyncs, renames over the target.
   * On any failure the temp file is removed and the target is untouched.
   */
  async commit(
    options: FileAttributes & {
      expectedChecksum?: string;
      /** Runs after fsync, just before the rename (e.g. re-check and move aside what the target holds). */
      beforeRename?: () => Promise<void>;
      /**
       * Nothing was at the target when looked at: the file is linked there (linkIntoPlace), and
       * beforeRename and the rename run only when something is there by now.
       */
      expectNothing?: boolean;
    } = {},
  ): Promise<{ checksum: string; size: number; file: WrittenFile }> {
    const handle = this.handle;
    if (!handle) throw new Error('AtomicFileWriter: commit after commit or abort');
    const checksum = this.hash.digest('hex');
    try {
      if (options.expectedChecksum !== undefined && options.expectedChecksum !== checksum) {
        throw new ZyncError(
          'CHECKSUM_MISMATCH',
          `Content for ${this.target} does not match its checksum (expected ${options.expectedChecksum.slice(0, 12)}…, got ${checksum.slice(0, 12)}…).`,
        );
      }
      await this.drain();
      await this.direct?.finish(this.written);
      await this.releaseDirect();
      // Metadata on the open fd takes microseconds: synchronous calls cost less than two
      // thread-pool round trips per file. Set before the fsync, so the fsync covers them.
      try {
        fchmodSync(handle.fd, options.mode ?? 0o644);
      } catch (err) {
        if (!chmodUnsupported(err, true)) throw err;
      }
      if (options.mtime !== undefined) {
        const time = toFileTime(options.mtime);
        futimesSync(handle.fd, time, time);
      }
      const info = fstatSync(handle.fd);
      const file: WrittenFile = { size: info.size, mtime: info.mtimeMs, ino: info.ino, mode: info.mode & 0o7777 };
      await handle.sync();
      await handle.close();
      this.handle = null;
      if (!(options.expectNothing === true && linkIntoPlace(this.tempPath, this.target))) {
        if (options.beforeRename) await options.beforeRename();
        await rename(this.tempPath, this.target);
      }
      this.done = true;
      return { checksum, size: this.written, file };
    } catch (err) {
      await this.abort();
      throw fromFsError(err, `writing ${this.target}`);
    }
  }

  /**
   * Stops, but leaves the temp file with every byte written so far, for `resume` to continue
   * (a download cut short). Returns that byte count; 0 when nothing was written or a write
   * failed, and the file is then removed. Not durable: `resume` hashes the bytes again and the
   * commit verifies them all.
   */
  async keep(): Promise<number> {
    if (this.done) return 0;
    this.done = true;
    const handle = this.handle;
    this.handle = null;
    while (this.flushing || this.syncing) await (this.flushing ?? this.syncing);
    // What is staged for a direct write goes to the file, so it holds every byte counted.
    if (this.direct && this.failure === undefined) await this.direct.finish(this.written).catch((err: unknown) => (this.failure ??= err));
    await this.releaseDirect();
    await handle?.close().catch(() => undefined);
    if (this.failure === undefined && handle && this.written > 0) return this.written;
    await unlink(this.tempPath).catch(() => undefined);
    return 0;
  }

  /** Removes the temp file; safe to call more than once and after a failed commit. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    const handle = this.handle;
    this.handle = null;
    this.queue = [];
    // Let a running writev or fdatasync finish before the fd is closed.
    while (this.flushing || this.syncing) await (this.flushing ?? this.syncing);
    await this.releaseDirect();
    await handle?.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
  }
}

/**
 * Puts a complete temp file at target only if nothing is there, not even a dangling link: a hard
 * link fails when target exists; then the temp name goes. A check followed by a rename would
 * replace a file made at target in between. Returns false, the temp file as it was, when
 * something is there or no link could be made: the caller then checks what is there and renames.
 */
export function linkIntoPlace(tempPath: string, target: string): boolean {
  const dir = nodePath.dirname(target);
  if (hasNoHardLinks(dir)) return false;
  try {
    linkSync(tempPath, target);
  } catch (err) {
    noteLinkFailure(dir, err);
    return false;
  }
  try {
    unlinkSync(tempPath);
  } catch {
    // In place all the same; a second name of the file, with the temp prefix, every scan ignores.
  }
  return true;
}

/** Writes a whole buffer atomically (small files; large ones go through AtomicFileWriter). */
export async function writeFileAtomic(
  target: string,
  data: Uint8Array | string,
  options: FileAttributes & { expectedChecksum?: string } = {},
): Promise<{ checksum: string; size: number }> {
  const writer = await AtomicFileWriter.create(target);
  try {
    await writer.write(typeof data === 'string' ? Buffer.from(data) : data);
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return writer.commit(options);
}

/**
 * fsyncs a file or directory by path: a directory so that renames into it survive a crash, a file
 * whose content or permission bits changed in place.
 */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * An mtime (ms since the epoch) as the utimes family takes it. Node reads a negative number of
 * seconds as "now", so a date before 1970 goes as a Date (whole milliseconds); later ones stay
 * numbers, which keep the sub-millisecond part.
 */
export function toFileTime(mtimeMs: number): number | Date {
  return mtimeMs < 0 ? new Date(mtimeMs) : mtimeMs / 1000;
}
