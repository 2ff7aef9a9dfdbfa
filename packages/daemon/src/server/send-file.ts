// GET_FILE: streams one recorded file as a header, binary frames tagged with the request id,
// and a FILE_END trailer; a resumed download (offset) gets the frames after its offset only.
// Memory is bounded for any size and any number of transfers: a few reusable read blocks from a
// daemon-wide budget, and the next block is read only when the socket has taken an earlier one
// (backpressure, not buffering). The header and the trailer carry the recorded checksum; if the
// file's size, mtime, ctime or inode moved while it was read, the trailer is replaced by
// FILE_CHANGED. The daemon does not hash what it streams: R hashes every byte it receives and
// refuses content that does not match the header (CHECKSUM_MISMATCH, retried), as rsync's
// receiver does, and a second SHA-256 here cost E about 0.7 s of CPU per GiB (pnpm bench,
// W2). Small files (one frame) take the synchronous path of SmallFileReader, which checks them
// before they are sent.
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
import { cannotOpen, fileChanged as changed, SmallFileReader, type SmallRecord } from './read-small-file.js';

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

/** Frames filled by one readv: a thread-pool round trip per frame costs the event loop more. */
const FRAMES_PER_READ = 8;
const FRAME_SPAN = FRAME_HEADER_BYTES + CHUNK_BYTES;
const BLOCK_BYTES = FRAMES_PER_READ * FRAME_SPAN;
/** Read blocks per transfer (reading, or waiting for the socket). */
const BLOCKS = 4;
/** Reads in flight: the next block is read while the current one is sent. */
const READS_AHEAD = 2;
/**
 * Read blocks of all streaming transfers together (16 MiB): bounds memory however many
 * GET_FILEs run at once. A transfer that holds none waits for one; one that holds some only
 * reuses its own, so every wait ends when some transfer finishes.
 */
const BLOCK_BUDGET = 8;
let blocksOut = 0;
let budgetWaiters: (() => void)[] = [];
/** Blocks kept between transfers, so a run of large files does not churn the GC. */
const SPARE_BLOCKS = BLOCKS;
const spareBlocks: Buffer[] = [];

export async function sendFile(deps: { store: DaemonStore; roots: RootSet }, sink: FileSink, req: GetFileRequest): Promise<void> {
  const root = deps.roots.get(req.base_dir);
  if (!root) throw new ZyncError('UNKNOWN_BASE_DIR', `Unknown base_dir ${JSON.stringify(req.base_dir)}.`);
  if (!root.available) throw new ZyncError('ROOT_UNAVAILABLE', `Root "${root.name}" is currently unavailable.`);
  const record = deps.store.getFile(req.base_dir, req.path);
  // NOT_FOUND for a path the rules in force exclude too: GET_CHANGES lists it until the rescan a
  // .zyncignore edit starts has marked it. R skips NOT_FOUND quietly; a code it retries would
  // make its passes warn and fail for as long as the rescan runs.
  if (!record || record.deleted || record.kind !== 'file' || record.checksum === null || root.matcher(req.path, false)) {
    throw new ZyncError('NOT_FOUND', `${req.base_dir}/${req.path} is not a file in the log.`);
  }
  if (record.size <= SMALL_FILE_BYTES) return sendSmallFile(root.root, sink, req, { ...record, checksum: record.checksum });
  const absPath = await resolveInRoot(root.root, req.path);

  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO put in the file's place would hold a thread-pool thread until a writer came.
    handle = await open(absPath, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw changed(req.path, 'it is gone');
    if (code === 'ELOOP') throw new ZyncError('UNSAFE_PATH', `${req.path} is a symbolic link.`);
    throw cannotOpen(req.base_dir, req.path, code);
  }
  try {
    const before = await handle.stat();
    if (!before.isFile()) throw changed(req.path, 'it is no longer a regular file');
    if (before.size !== record.size) throw changed(req.path, 'its size differs from the log');

    // A resumed download starts where R stopped; past the end (the file changed size), at 0.
    const from = req.offset !== undefined && req.offset <= record.size ? req.offset : 0;
    sink.sendJson({ id: req.id, status: 'ok', operation: 'GET_FILE', checksum: record.checksum, size: record.size, mtime: record.mtime, mode: record.mode, offset: from });

    // A block holds FRAMES_PER_READ frames back to back ([id][payload][id][payload]...); one
    // readv fills their payloads and each frame goes out as a view of the block.
    const free: Buffer[] = [];
    const held: Buffer[] = [];
    const take = (): Buffer | null => {
      const reused = free.pop();
      if (reused) return reused;
      if (held.length >= BLOCKS || blocksOut >= BLOCK_BUDGET) return null;
      blocksOut++;
      const block = spareBlocks.pop() ?? Buffer.allocUnsafe(BLOCK_BYTES);
      held.push(block);
      return block;
    };
    const reading: { block: Buffer; length: number; done: Promise<number> }[] = [];
    const sending = new Set<Promise<void>>();
    let readAt = from;
    let sent = from;
    const startReads = () => {
      while (readAt < record.size && reading.length < READS_AHEAD) {
        const block = take();
        if (!block) return;
        const length = Math.min(FRAMES_PER_READ * CHUNK_BYTES, record.size - readAt);
        reading.push({ block, length, done: readFully(handle, payloadViews(block, length), readAt) });
        readAt += length;
      }
    };
    try {
      startReads();
      while (sent < record.size) {
        while (reading.length === 0) {
          if (sending.size > 0) await Promise.race(sending);
          else await new Promise<void>((resolve) => budgetWaiters.push(resolve));
          if (!sink.isOpen()) return;
          startReads();
        }
        const { block, length, done } = reading.shift()!;
        const got = await done;
        if (!sink.isOpen()) return;
        if (got < length) throw changed(req.path, 'it became shorter');
        startReads();
        const frames: Buffer[] = [];
        for (let offset = 0; offset < length; offset += CHUNK_BYTES) {
          const start = (offset / CHUNK_BYTES) * FRAME_SPAN;
          const end = start + FRAME_HEADER_BYTES + Math.min(CHUNK_BYTES, length - offset);
          block.writeUInt32BE(req.id, start);
          frames.push(block.subarray(start, end));
        }
        sent += length;
        // One write for the block's frames; the socket takes them in order, so the last one's
        // promise covers all.
        let last: Promise<void> = Promise.resolve();
        sink.corked(() => {
          for (const frame of frames) last = sink.sendFrame(frame);
        });
        const taken: Promise<void> = last.then(() => {
          sending.delete(taken);
          free.push(block);
        });
        sending.add(taken);
        startReads();
      }
      await Promise.all(sending);
    } finally {
      // No read may still fill a buffer, nor use the handle, once this returns.
      await Promise.allSettled(reading.map((r) => r.done));
      await Promise.allSettled(sending);
      releaseBlocks(held);
    }

    const after = await handle.stat();
    const named = await lstat(absPath).catch(() => null);
    // Any write moves ctime, even one that puts size and mtime back (touch -r).
    if (after.size !== before.size || after.mtimeMs !== before.mtimeMs || after.ctimeMs !== before.ctimeMs) throw changed(req.path, 'it was written to');
    if (!named || named.ino !== before.ino || named.dev !== before.dev) throw changed(req.path, 'it was replaced');
    sink.sendJson({ id: req.id, status: 'ok', operation: 'FILE_END', checksum: record.checksum, size: sent });
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

/** Returns a finished transfer's blocks and lets the waiting transfers try again. */
function releaseBlocks(blocks: Buffer[]): void {
  if (blocks.length === 0) return;
  blocksOut -= blocks.length;
  spareBlocks.push(...blocks.slice(0, Math.max(0, SPARE_BLOCKS - spareBlocks.length)));
  const waiting = budgetWaiters;
  budgetWaiters = [];
  for (const wake of waiting) wake();
}

/** The payload regions of a block's frames that hold `length` bytes of content. */
function payloadViews(block: Buffer, length: number): Buffer[] {
  const views: Buffer[] = [];
  for (let offset = 0, start = FRAME_HEADER_BYTES; offset < length; offset += CHUNK_BYTES, start += FRAME_SPAN) {
    views.push(block.subarray(start, start + Math.min(CHUNK_BYTES, length - offset)));
  }
  return views;
}

/** readv until the views are full or the file ends; returns the bytes read. */
async function readFully(handle: FileHandle, views: Buffer[], position: number): Promise<number> {
  let total = 0;
  for (;;) {
    const { bytesRead } = await handle.readv(views, position + total);
    total += bytesRead;
    if (bytesRead === 0) return total;
    let skip = bytesRead;
    while (views.length > 0 && skip >= views[0]!.length) skip -= views.shift()!.length;
    if (views.length === 0) return total;
    if (skip > 0) views[0] = views[0]!.subarray(skip);
  }
}
