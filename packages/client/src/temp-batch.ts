// A batch of small temp files to write, as it crosses to the temp-file worker: the contents in
// one transferable buffer (so nothing is copied across threads and no larger buffer is cloned),
// and one outcome per file back. Built-in modules only
// (see write-temp-file.ts).
import { createHash } from 'node:crypto';
import type { WrittenFile } from '@zync/common';
import { writeTempFileSync } from './write-temp-file.js';

export interface TempFileJob {
  tempPath: string;
  /** Where this file's content lies in the batch's data. */
  offset: number;
  size: number;
  /** SHA-256 the content must have (hex). */
  checksum: string;
  mode: number;
  mtime: number;
}

export interface TempBatchRequest {
  id: number;
  jobs: TempFileJob[];
  data: ArrayBuffer;
}

/** The outcomes, and the request's buffer handed back for reuse. */
export interface TempBatchAnswer {
  id: number;
  results: TempFileOutcome[];
  data: ArrayBuffer;
}

export type TempFileOutcome =
  | { ok: true; file: WrittenFile }
  | { ok: false; reason: 'checksum' }
  | { ok: false; reason: 'fs'; code: string | undefined; message: string }
  /** Not tried: an earlier file of the batch found the disk full. */
  | { ok: false; reason: 'skipped' };

export function writeBatch(request: TempBatchRequest): TempFileOutcome[] {
  const outcomes: TempFileOutcome[] = [];
  let diskFull = false;
  for (const job of request.jobs) {
    const content = new Uint8Array(request.data, job.offset, job.size);
    if (diskFull) {
      outcomes.push({ ok: false, reason: 'skipped' });
    } else if (createHash('sha256').update(content).digest('hex') !== job.checksum) {
      outcomes.push({ ok: false, reason: 'checksum' });
    } else {
      try {
        outcomes.push({ ok: true, file: writeTempFileSync(job.tempPath, content, job) });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        diskFull = code === 'ENOSPC' || code === 'EDQUOT';
        outcomes.push({ ok: false, reason: 'fs', code, message: (err as Error).message });
      }
    }
  }
  return outcomes;
}
