// Writes batches of small temp files on a worker thread. Creating, writing, timestamping and
// closing a small file costs ~80 µs of syscalls, the largest share of a small download; on the
// worker it overlaps receiving, checking and renaming on the main thread (W1 in pnpm bench).
// One worker, started on first use, handles batches in order and holds the process open only
// while a batch is pending. From TypeScript sources (unit tests) there is no compiled worker
// to start, and batches are written inline with the same code.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { giveBack, isLent, takeBuffer } from './batch-buffers.js';
import { restoreHeapTuning } from './heap-tuning.js';
import { writeBatch, type TempBatchAnswer, type TempBatchRequest, type TempFileJob, type TempFileOutcome } from './temp-batch.js';

export type { TempFileOutcome } from './temp-batch.js';

export interface TempFileWrite extends Omit<TempFileJob, 'offset' | 'size'> {
  content: Uint8Array;
}

/** The jobs and the one buffer holding every content, at each job's offset. */
function packContents(files: readonly TempFileWrite[]): { jobs: TempFileJob[]; data: ArrayBuffer } {
  const withContent = files.filter((f) => f.content.length > 0);
  const shared = withContent[0]?.content.buffer;
  if (shared !== undefined && isLent(shared) && withContent.every((f) => f.content.buffer === shared)) {
    return { jobs: files.map(({ content, ...job }) => ({ ...job, offset: content.byteOffset, size: content.length })), data: shared as ArrayBuffer };
  }
  let total = 0;
  for (const f of withContent) total += f.content.length;
  const data = takeBuffer(total);
  let offset = 0;
  const jobs = files.map(({ content, ...job }) => {
    data.set(content, offset);
    offset += content.length;
    return { ...job, offset: offset - content.length, size: content.length };
  });
  return { jobs, data: data.buffer as ArrayBuffer };
}

/** The worker allocates little besides outcomes; a small young generation keeps its memory small. */
const WORKER_YOUNG_GENERATION_MB = 2;

const WORKER_FILE = fileURLToPath(new URL('./temp-writer-worker.js', import.meta.url));

class TempFileWriter {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (outcomes: TempFileOutcome[]) => void; reject: (err: Error) => void }>();
  private readonly inline = !existsSync(WORKER_FILE);

  /**
   * Writes the files in order; one outcome each. Contents that all lie in one buffer from
   * batch-buffers.ts (a GET_FILES answer's) move to the worker without a copy, and that buffer
   * must not be used afterwards; others are copied into one first. Rejects only when the worker
   * itself fails.
   */
  write(files: readonly TempFileWrite[]): Promise<TempFileOutcome[]> {
    const request: TempBatchRequest = { id: this.nextId++, ...packContents(files) };
    if (this.inline) {
      const results = writeBatch(request);
      giveBack(request.data);
      return Promise.resolve(results);
    }
    let worker: Worker;
    try {
      worker = this.worker ?? this.start();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(request.id, { resolve, reject });
      worker.postMessage(request, [request.data]);
    });
  }

  private start(): Worker {
    const worker = new Worker(WORKER_FILE, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    worker.unref();
    worker.once('online', restoreHeapTuning);
    worker.on('message', ({ id, results, data }: TempBatchAnswer) => {
      giveBack(data);
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
      waiting?.resolve(results);
    });
    const stop = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const { reject } of this.pending.values()) reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => stop(new Error(`The temp-file writer thread failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => stop(new Error(`The temp-file writer thread exited (code ${code}).`)));
    this.worker = worker;
    return worker;
  }
}

/** The process's one temp-file writer. */
export const tempFileWriter = new TempFileWriter();
