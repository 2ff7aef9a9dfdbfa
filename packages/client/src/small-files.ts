// Small downloads of a batch, fetched with GET_FILES a few requests at a time (planFileBatches),
// and small local copies (copy-sources.ts), which take the same way from there on.
// Each answer goes to the temp-file writer thread, which checks every file's SHA-256 against the
// daemon's answer and writes it to a temp file beside its target without an fsync of its own.
// Written files gather into groups; one durability barrier per group (makeDurable: syncfs, or
// fsync each when few) runs while the next requests are answered and written, and only after it
// is each file put in place: linked where the plan found nothing (linkIntoPlace), and otherwise,
// or when something is there by now, through the same last-moment check as every other write
// (guard: keep R's version as a conflict copy when needed) and a rename. A file that fails is
// reported through fail() and its temp file removed; the others go on.
import { renameSync } from 'node:fs';
import * as nodePath from 'node:path';
import { MAX_BATCH_BYTES, MAX_BATCH_FILE_BYTES, MAX_BATCH_FILES, ZyncError, fromFsError, linkIntoPlace, tempPathFor, type ChangeEntry, type WrittenFile } from '@zync/common';
import { runPool } from './bounded-pool.js';
import type { FetchedFile } from './connection.js';
import { planFileBatches, type BatchLimits } from './core/file-batches.js';
import { makeDurable } from './durability.js';
import { tempFileWriter, type TempFileOutcome, type TempFileWrite } from './temp-writer.js';
import { removeQuietly } from './write-temp-file.js';
import type { LocalTree } from './local-tree.js';

/** Per request: a few hundred files and 1 MiB answer quickly; REQUESTS_IN_FLIGHT of them keep the pipe full. */
export const SMALL_FILE_LIMITS: BatchLimits = {
  maxFiles: Math.min(256, MAX_BATCH_FILES),
  maxBytes: Math.min(1024 * 1024, MAX_BATCH_BYTES),
  maxFileBytes: MAX_BATCH_FILE_BYTES,
};
/**
 * 8 MiB in flight: through a 50 ms round trip that is ~160 MiB/s, so latency costs W1 about a
 * quarter of its time instead of a third (pnpm bench, W1P), for ~5 MiB more client memory.
 */
const REQUESTS_IN_FLIGHT = 8;
/** Written files that start a barrier while requests are still being answered. */
const GROUP_FILES = 1024;

export interface SmallFileContext<A extends { entry: ChangeEntry }> {
  /** One batch's files, in its order: a GET_FILES answer, or content R holds (copy-sources.ts). */
  fetchBatch(batch: readonly A[]): Promise<readonly FetchedFile[]>;
  tree: Pick<LocalTree, 'ensureParent'>;
  absOf(entry: ChangeEntry): string;
  /** true when the plan found nothing at the target: the file is linked there (linkIntoPlace). */
  expectsNothing(action: A): boolean;
  /** The permission bits to write the file with, given those the daemon served (absent: those). */
  modeFor?(action: A, served: number): number;
  /** Runs just before the rename: keeps what is at abs as a conflict copy where needed; may throw. */
  guard(action: A, abs: string): Promise<void>;
  /** The file is in place at abs. */
  placed(action: A, abs: string, file: WrittenFile, attributes: FetchedAttributes): void;
  fail(action: A, err: unknown): void;
  /** Why no more files should be fetched now (stop signal, full disk), or null. */
  stopReason(): ZyncError | null;
  /** Not fetched because of stopReason(): reported as not applied, without a log line each. */
  notFetched(entry: ChangeEntry, reason: ZyncError): void;
}

/** What the daemon said about a fetched file (without its content). */
export type FetchedAttributes = Pick<Extract<FetchedFile, { status: 'ok' }>, 'checksum' | 'size' | 'mtime' | 'mode'>;

/** A temp file waiting for its barrier. It holds no content: the answer's frame can be freed. */
interface Written<A> {
  action: A;
  abs: string;
  tempPath: string;
  file: WrittenFile;
  attributes: FetchedAttributes;
}

/** Splits fetches into those GET_FILES serves (fetched here) and the rest (one GET_FILE each). */
export function splitSmallFiles<A extends { entry: ChangeEntry }>(actions: readonly A[]): { batches: A[][]; single: A[] } {
  return planFileBatches(actions, SMALL_FILE_LIMITS);
}

export async function fetchSmallFiles<A extends { entry: ChangeEntry }>(batches: readonly A[][], ctx: SmallFileContext<A>): Promise<void> {
  const written: Written<A>[] = [];
  let committing: Promise<void> | null = null;

  const place = async (w: Written<A>) => {
    try {
      if (!(ctx.expectsNothing(w.action) && linkIntoPlace(w.tempPath, w.abs))) {
        await ctx.guard(w.action, w.abs);
        renameSync(w.tempPath, w.abs);
      }
    } catch (err) {
      removeQuietly(w.tempPath);
      ctx.fail(w.action, fromFsError(err, `writing ${w.abs}`));
      return;
    }
    ctx.placed(w.action, w.abs, w.file, w.attributes);
  };

  const commitWritten = async () => {
    while (written.length > 0) {
      const group = written.splice(0);
      const temps = group.map((w) => w.tempPath);
      try {
        await makeDurable(temps, group.map((w) => nodePath.dirname(w.tempPath)));
      } catch (err) {
        for (const w of group) {
          removeQuietly(w.tempPath);
          ctx.fail(w.action, err);
        }
        continue;
      }
      for (const w of group) await place(w);
    }
  };
  const startCommit = () => {
    committing ??= commitWritten().finally(() => (committing = null));
  };

  /** What a file's outcome is handled with; no content, so an answer's frames can be freed early. */
  interface Pending {
    action: A;
    abs: string;
    tempPath: string;
    attributes: FetchedAttributes;
  }
  const settle = (pending: readonly Pending[], outcomes: readonly TempFileOutcome[]): void => {
    for (let i = 0; i < pending.length; i++) {
      const { action, abs, tempPath, attributes } = pending[i]!;
      const { entry } = action;
      const outcome = outcomes[i]!;
      if (outcome.ok) {
        written.push({ action, abs, tempPath, file: outcome.file, attributes });
      } else if (outcome.reason === 'checksum') {
        ctx.fail(action, new ZyncError('CHECKSUM_MISMATCH', `Content for ${entry.base_dir}/${entry.path} does not match the checksum the daemon sent.`));
      } else if (outcome.reason === 'fs') {
        ctx.fail(action, fromFsError(Object.assign(new Error(outcome.message), { code: outcome.code }), `writing ${abs}`));
      } else {
        ctx.notFetched(entry, ctx.stopReason() ?? new ZyncError('DISK_FULL', `Not written: R's disk is full.`));
      }
    }
  };

  /** Hands one answer's files to the temp-file writer; failures are reported, the rest wait in `written`. */
  const writeAnswer = (batch: readonly A[], files: readonly FetchedFile[]): Promise<void> => {
    const pending: Pending[] = [];
    const writes: TempFileWrite[] = [];
    for (let i = 0; i < batch.length; i++) {
      const action = batch[i]!;
      const fetched = files[i]!;
      const stop = ctx.stopReason();
      if (stop) {
        ctx.notFetched(action.entry, stop);
        continue;
      }
      if (fetched.status === 'error') {
        // Batches are sized from the log's entries within GET_FILES's limits: too large for the
        // answer means E's file grew since this entry was logged (a newer entry follows), not a
        // fault of R's or E's to warn of ("use GET_FILE" said nothing a user could act on).
        const grew = fetched.code === 'TOO_LARGE';
        ctx.fail(action, grew ? new ZyncError('FILE_CHANGED', `${action.entry.base_dir}/${action.entry.path} grew on E since it was logged.`) : new ZyncError(fetched.code, fetched.error));
        continue;
      }
      const abs = ctx.absOf(action.entry);
      try {
        ctx.tree.ensureParent(abs);
      } catch (err) {
        ctx.fail(action, err);
        continue;
      }
      const { checksum, size, mtime, mode, content } = fetched;
      const tempPath = tempPathFor(abs);
      pending.push({ action, abs, tempPath, attributes: { checksum, size, mtime, mode } });
      writes.push({ tempPath, content, checksum, mode: ctx.modeFor?.(action, mode) ?? mode, mtime });
    }
    if (pending.length === 0) return Promise.resolve();
    // write() takes the contents (moves the answer's buffer, or copies) before it returns.
    return tempFileWriter.write(writes).then(
      (outcomes) => settle(pending, outcomes),
      (err: unknown) => {
        // The writer thread died mid-batch: whatever it created is removed.
        for (const { action, tempPath } of pending) {
          removeQuietly(tempPath);
          ctx.fail(action, err);
        }
      },
    );
  };

  await runPool(batches, REQUESTS_IN_FLIGHT, async (batch) => {
    const stop = ctx.stopReason();
    if (stop) {
      for (const action of batch) ctx.notFetched(action.entry, stop);
      return;
    }
    let answerWritten: Promise<void>;
    try {
      answerWritten = writeAnswer(batch, await ctx.fetchBatch(batch));
    } catch (err) {
      for (const action of batch) ctx.fail(action, err);
      return;
    }
    await answerWritten;
    if (written.length >= GROUP_FILES) startCommit();
  });
  // Files written after the last group started wait for one more barrier.
  for (;;) {
    if (committing) await committing;
    else if (written.length > 0) startCommit();
    else break;
  }
}
