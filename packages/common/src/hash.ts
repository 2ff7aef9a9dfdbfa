// SHA-256 of files and buffers. Files are streamed, so memory stays bounded for any size.
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import { ZyncError } from './protocol/errors.js';

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Hashes the regular file at path. Callers looked at it first, but it may have been replaced
 * since: by anything other than a regular file, this rejects with FILE_CHANGED at once. An
 * abort of `signal` (Ctrl-C) ends the read between two chunks, rejecting with an AbortError.
 */
export async function hashFile(path: string, signal?: AbortSignal): Promise<{ checksum: string; size: number }> {
  // O_NONBLOCK: a FIFO put in the file's place (`rm f && mkfifo f`) would block this open, and a
  // thread-pool thread with it, until some writer came; for a regular file it changes nothing.
  const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) {
      throw new ZyncError('FILE_CHANGED', `${path} changed while it was read: it is no longer a regular file.`);
    }
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of handle.createReadStream({ highWaterMark: 1024 * 1024, autoClose: false })) {
      if (signal?.aborted) throw Object.assign(new Error(`Stopped while ${path} was hashed.`), { name: 'AbortError', code: 'ABORT_ERR' });
      const buf = chunk as Buffer;
      hash.update(buf);
      size += buf.length;
    }
    return { checksum: hash.digest('hex'), size };
  } finally {
    await handle.close();
  }
}

/** SHA-256 of zero bytes: what an empty file hashes to. */
export const EMPTY_SHA256 = sha256('');
