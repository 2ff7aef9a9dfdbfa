// GET_FILES: many small files of one base_dir in one answer, so an initial sync of 10,000 files
// is not 10,000 round trips and 30,000 frames. The answer lists every requested path in order,
// 'ok' with the recorded attributes or 'error' with a stable code; then each non-empty 'ok' file
// follows as one binary frame. Each file is read whole and verified against its recorded
// checksum before it is listed (SmallFileReader), so a file written meanwhile is answered
// FILE_CHANGED on its own and the rest of the batch still goes out. The records are looked up
// in one read transaction. All frames of an answer live in one buffer, [id][file][id][file]...,
// bounded by MAX_BATCH_BYTES of content, taken from a pool and given back once the socket has
// written the answer's last frame.
import { checkRelativePath, FRAME_HEADER_BYTES, MAX_BATCH_BYTES, MAX_BATCH_FILE_BYTES, ZyncError, isZyncError, type BatchedFile, type GetFilesRequest } from '@zync/common';
import type { RootSet } from '../roots.js';
import type { DaemonStore } from '../store/daemon-store.js';
import { BlockPool } from './block-pool.js';
import { BACKLOG_HIGH, type FileSink } from './send-file.js';
import { SmallFileReader } from './read-small-file.js';

const blocks = new BlockPool();

/** Answers one GET_FILES request; resolves once the socket's backlog is acceptable again. */
export function sendFiles(deps: { store: DaemonStore; roots: RootSet }, sink: FileSink, req: GetFilesRequest): Promise<void> | undefined {
  const root = deps.roots.get(req.base_dir);
  if (!root) throw new ZyncError('UNKNOWN_BASE_DIR', `Unknown base_dir ${JSON.stringify(req.base_dir)}.`);
  if (!root.available) throw new ZyncError('ROOT_UNAVAILABLE', `Root "${root.name}" is currently unavailable.`);

  const records = deps.store.getFiles(req.base_dir, req.paths);
  let budget = 0;
  let frames = 0;
  for (const record of records) {
    if (record && record.size > 0 && record.size <= MAX_BATCH_FILE_BYTES) {
      budget += record.size;
      frames++;
    }
  }
  const block = blocks.take(Math.min(budget, MAX_BATCH_BYTES) + frames * FRAME_HEADER_BYTES);

  const reader = new SmallFileReader(root.root, req.base_dir);
  const files: BatchedFile[] = [];
  const spans: [number, number][] = [];
  let offset = 0;
  let size = 0;
  req.paths.forEach((path, i) => {
    const refuse = (code: ZyncError['code'], error: string) => files.push({ path, status: 'error', code, error });
    try {
      checkRelativePath(path);
    } catch (err) {
      return refuse('UNSAFE_PATH', err instanceof Error ? err.message : 'Unsafe path.');
    }
    const record = records[i];
    if (!record || record.deleted || record.kind !== 'file' || record.checksum === null || root.matcher(path, false)) {
      return refuse('NOT_FOUND', `${req.base_dir}/${path} is not a file in the log.`);
    }
    if (record.size > MAX_BATCH_FILE_BYTES) return refuse('TOO_LARGE', `${req.base_dir}/${path} is larger than GET_FILES serves; use GET_FILE.`);
    const end = record.size > 0 ? offset + FRAME_HEADER_BYTES + record.size : offset;
    // The protocol's bound, not the block's: a pooled block is rounded up, or reused from a larger answer.
    if (size + record.size > MAX_BATCH_BYTES || end > block.length) return refuse('TOO_LARGE', `This GET_FILES answer is full; ask again for ${req.base_dir}/${path}.`);
    try {
      reader.readInto(path, { size: record.size, checksum: record.checksum }, block, offset + FRAME_HEADER_BYTES);
    } catch (err) {
      if (!isZyncError(err)) throw err;
      return refuse(err.code, err.message);
    }
    if (record.size > 0) {
      block.writeUInt32BE(req.id, offset);
      spans.push([offset, end]);
      offset = end;
      size += record.size;
    }
    files.push({ path, status: 'ok', checksum: record.checksum, size: record.size, mtime: record.mtime, mode: record.mode });
  });

  let taken: Promise<void> | undefined;
  // One write for the whole answer: a syscall per file costs more than the copy, and R reads
  // full socket buffers instead of one small frame at a time.
  try {
    sink.corked(() => {
      sink.sendJson({ id: req.id, status: 'ok', operation: 'GET_FILES', files, size });
      for (const [start, end] of spans) taken = sink.sendFrame(block.subarray(start, end));
    });
  } finally {
    // The socket writes frames in order: once it took the last one, it holds none of the block.
    if (taken) void taken.then(() => blocks.give(block));
    else blocks.give(block);
  }
  return taken !== undefined && sink.backlog() > BACKLOG_HIGH ? taken : undefined;
}
