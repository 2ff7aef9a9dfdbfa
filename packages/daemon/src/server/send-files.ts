// GET_FILES: many small files of one base_dir in one answer, so an initial sync of 10,000 files
// is not 10,000 round trips and 30,000 frames. The answer lists every requested path in order,
// 'ok' with the recorded attributes or 'error' with a stable code; then one binary frame holds
// the 'ok' files back to back. Each file is read whole and verified against its recorded
// checksum before it is listed (SmallFileReader), so a file written meanwhile is answered
// FILE_CHANGED on its own and the rest of the batch still goes out. The records are looked up
// in one read transaction. The frame is bounded by MAX_BATCH_BYTES.
import { checkRelativePath, FRAME_HEADER_BYTES, MAX_BATCH_BYTES, MAX_BATCH_FILE_BYTES, ZyncError, isZyncError, type BatchedFile, type GetFilesRequest } from '@zync/common';
import type { RootSet } from '../roots.js';
import type { DaemonStore } from '../store/daemon-store.js';
import { BACKLOG_HIGH, type FileSink } from './send-file.js';
import { SmallFileReader } from './read-small-file.js';

/** Answers one GET_FILES request; resolves once the socket's backlog is acceptable again. */
export function sendFiles(deps: { store: DaemonStore; roots: RootSet }, sink: FileSink, req: GetFilesRequest): Promise<void> | undefined {
  const root = deps.roots.get(req.base_dir);
  if (!root) throw new ZyncError('UNKNOWN_BASE_DIR', `Unknown base_dir ${JSON.stringify(req.base_dir)}.`);
  if (!root.available) throw new ZyncError('ROOT_UNAVAILABLE', `Root "${root.name}" is currently unavailable.`);

  const records = deps.store.getFiles(req.base_dir, req.paths);
  let budget = 0;
  for (const record of records) if (record && record.size <= MAX_BATCH_FILE_BYTES) budget += record.size;
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + Math.min(budget, MAX_BATCH_BYTES));
  frame.writeUInt32BE(req.id, 0);

  const reader = new SmallFileReader(root.root, req.base_dir);
  const files: BatchedFile[] = [];
  let offset = FRAME_HEADER_BYTES;
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
    if (offset + record.size > frame.length) return refuse('TOO_LARGE', `This GET_FILES answer is full; ask again for ${req.base_dir}/${path}.`);
    try {
      reader.readInto(path, { size: record.size, checksum: record.checksum }, frame, offset);
    } catch (err) {
      if (!isZyncError(err)) throw err;
      return refuse(err.code, err.message);
    }
    offset += record.size;
    files.push({ path, status: 'ok', checksum: record.checksum, size: record.size, mtime: record.mtime, mode: record.mode });
  });

  const size = offset - FRAME_HEADER_BYTES;
  sink.sendJson({ id: req.id, status: 'ok', operation: 'GET_FILES', files, size });
  if (size === 0) return undefined;
  const taken = sink.sendFrame(frame.subarray(0, offset));
  return sink.backlog() > BACKLOG_HIGH ? taken : undefined;
}
