// What crosses to the temp-file worker: a batch of small temp files to write, the contents in
// one transferable buffer (so nothing is copied across threads and no larger buffer is cloned),
// with one outcome per file back; and, once a group of them is durable, the renames of those
// whose targets are as the plan saw them. Built-in modules only (see write-temp-file.ts).
import { createHash } from 'node:crypto';
import { lstatSync, renameSync } from 'node:fs';
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
  kind: 'write';
  id: number;
  jobs: TempFileJob[];
  data: ArrayBuffer;
}

/** The file a target may still hold and be replaced without a conflict copy (the plan's view). */
export interface ReplaceableFile {
  size: number;
  mtime: number;
  ino: number;
}

export interface PlaceJob {
  tempPath: string;
  target: string;
  /** null: the plan saw nothing there; the temp file is renamed only onto an absent target. */
  replaceable: ReplaceableFile | null;
}

export interface PlaceRequest {
  kind: 'place';
  id: number;
  jobs: PlaceJob[];
}

/** One flag per job: true when renamed into place. */
export interface PlaceAnswer {
  id: number;
  placed: boolean[];
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

/**
 * Renames each temp file onto its target when nothing is there, or the very file the plan saw
 * (same size, mtime and inode): the common case, decided without the main thread. Anything else
 * (R changed the target, a lookup or rename failed) is left as it was, for the main thread's full
 * check, which keeps R's version as a conflict copy or reports the error.
 */
export function placeBatch(jobs: readonly PlaceJob[]): boolean[] {
  return jobs.map(({ tempPath, target, replaceable }) => {
    try {
      const current = lstatSync(target, { throwIfNoEntry: false });
      if (current !== undefined) {
        if (replaceable === null || !current.isFile()) return false;
        if (current.size !== replaceable.size || current.mtimeMs !== replaceable.mtime || current.ino !== replaceable.ino) return false;
      }
      renameSync(tempPath, target);
      return true;
    } catch {
      return false;
    }
  });
}
