// SHA-256 of files and buffers. Files are streamed, so memory stays bounded for any size.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function hashFile(path: string): Promise<{ checksum: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    const buf = chunk as Buffer;
    hash.update(buf);
    size += buf.length;
  }
  return { checksum: hash.digest('hex'), size };
}

/** SHA-256 of zero bytes: what an empty file hashes to. */
export const EMPTY_SHA256 = sha256('');
