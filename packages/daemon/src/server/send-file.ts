// GET_FILE: streams one recorded file as a header, binary frames tagged with the request id,
// and a FILE_END trailer. Memory is bounded for any size: a few reusable frame buffers, and the
// next chunk is read only when the socket has taken an earlier one (backpressure, not
// buffering). The header carries the recorded checksum; if the bytes sent do not hash to it, or
// the file's size, mtime or inode moved while it was read, the trailer is replaced by
// FILE_CHANGED, so content is never delivered under a wrong checksum. Small files (one frame)
// take the synchronous path of SmallFileReader.
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import {
  CHUNK_BYTES,
  FRAME_HEADER_BYTES,
  resolveInRoot,
  ZyncError,
  type FileEndResponse,
  type GetFileHeader,
  type GetFileRequest,
  type GetFilesResponse,
} from '@zync/common';
import type { RootSet } from '../roots.js';
import type { DaemonStore } from '../store/daemon-store.js';
import { fileChanged as changed, SmallFileReader, type SmallRecord } from './read-small-file.js';

/** Where a transfer writes: the connection, seen through a narrow window. */
export interface FileSink {
  sendJson(msg: GetFileHeader | FileEndResponse | GetFilesResponse): void;
  /**
   * Resolves once the socket has taken the frame (the buffer may then be reused), or once the
   * socket is gone (isOpen() then says false). Never rejects.
   */
  sendFrame(frame: Buffer): Promise<void>;
  isOpen(): boolean;
  /** Bytes accepted by sendJson/sendFrame but not yet written to the socket. */
  backlog(): number;
  /** Runs send() with the socket corked: the messages it sends leave in one write. */
  corked(send: () => void): void;
}

/** Files up to this size go out in one frame through the synchronous path. */
const SMALL_FILE_BYTES = CHUNK_BYTES;
/** Above this socket backlog a small-file transfer holds its slot until its frame is written. */
export const BACKLOG_HIGH = 4 * 1024 * 1024;

/** Frames in flight per transfer: enough to keep the pipe full, few enough to bound memory. */
const WINDOW = 8;

export async function sendFile(deps: { store: DaemonStore; roots: RootSet }, sink: FileSink, req: GetFileRequest): Promise<void> {
  const root = deps.roots.get(req.base_dir);
  if (!root) throw new ZyncError('UNKNOWN_BASE_DIR', `Unknown base_dir ${JSON.stringify(req.base_dir)}.`);
  if (!root.available) throw new ZyncError('ROOT_UNAVAILABLE', `Root "${root.name}" is currently unavailable.`);
  const record = deps.store.getFile(req.base_dir, req.path);
  if (!record || record.deleted || record.kind !== 'file' || record.checksum === null || root.matcher(req.path, false)) {
    throw new ZyncError('NOT_FOUND', `${req.base_dir}/${req.path} is not a file in the log.`);
  }
  if (record.size <= SMALL_FILE_BYTES) return sendSmallFile(root.root, sink, req, { ...record, checksum: record.checksum });
  const absPath = await resolveInRoot(root.root, req.path);

  let handle: FileHandle;
  try {
    handle = await open(absPath, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw changed(req.path, 'it is gone');
    if (code === 'ELOOP') throw new ZyncError('UNSAFE_PATH', `${req.path} is a symbolic link.`);
    throw new ZyncError('NOT_FOUND', `${req.base_dir}/${req.path} cannot be read (${code ?? 'error'}).`);
  }
  try {
    const before = await handle.stat();
    if (!before.isFile()) throw changed(req.path, 'it is no longer a regular file');
    if (before.size !== record.size) throw changed(req.path, 'its size differs from the log');

    sink.sendJson({ id: req.id, status: 'ok', operation: 'GET_FILE', checksum: record.checksum, size: record.size, mtime: record.mtime, mode: record.mode });

    const hash = createHash('sha256');
    const free: Buffer[] = [];
    const inFlight = new Set<Promise<void>>();
    let sent = 0;
    while (sent < record.size) {
      while (inFlight.size >= WINDOW) await Promise.race(inFlight);
      if (!sink.isOpen()) return;
      const frame = free.pop() ?? Buffer.allocUnsafe(FRAME_HEADER_BYTES + CHUNK_BYTES);
      frame.writeUInt32BE(req.id, 0);
      const want = Math.min(CHUNK_BYTES, record.size - sent);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await handle.read(frame, FRAME_HEADER_BYTES + got, want - got, sent + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got < want) {
        await Promise.allSettled(inFlight);
        throw changed(req.path, 'it became shorter');
      }
      hash.update(frame.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + got));
      sent += got;
      const done: Promise<void> = sink.sendFrame(frame.subarray(0, FRAME_HEADER_BYTES + got)).then(() => {
        inFlight.delete(done);
        free.push(frame);
      });
      inFlight.add(done);
    }
    await Promise.all(inFlight);

    const after = await handle.stat();
    const named = await lstat(absPath).catch(() => null);
    if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) throw changed(req.path, 'it was written to');
    if (!named || named.ino !== before.ino || named.dev !== before.dev) throw changed(req.path, 'it was replaced');
    const checksum = hash.digest('hex');
    if (checksum !== record.checksum) throw changed(req.path, 'its content differs from the log');
    sink.sendJson({ id: req.id, status: 'ok', operation: 'FILE_END', checksum, size: sent });
  } finally {
    await handle.close();
  }
}

/** One-frame transfer read synchronously (see SmallFileReader); same messages as the streaming path. */
function sendSmallFile(rootPath: string, sink: FileSink, req: GetFileRequest, record: SmallRecord & { mtime: number; mode: number }): Promise<void> | undefined {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + record.size);
  frame.writeUInt32BE(req.id, 0);
  // Verified before anything is sent: a mismatch is answered with FILE_CHANGED alone.
  new SmallFileReader(rootPath, req.base_dir).readInto(req.path, record, frame, FRAME_HEADER_BYTES);
  sink.sendJson({ id: req.id, status: 'ok', operation: 'GET_FILE', checksum: record.checksum, size: record.size, mtime: record.mtime, mode: record.mode });
  const taken = record.size > 0 ? sink.sendFrame(frame) : undefined;
  sink.sendJson({ id: req.id, status: 'ok', operation: 'FILE_END', checksum: record.checksum, size: record.size });
  return sink.backlog() > BACKLOG_HIGH ? taken : undefined;
}
