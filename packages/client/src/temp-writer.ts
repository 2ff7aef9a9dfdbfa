// Writes batches of small temp files on a worker thread, and renames them into place once they
// are durable. Creating, writing, timestamping and closing a small file costs ~80 µs of
// syscalls, the largest share of a small download, and the check and rename ~30 µs more; on the
// worker they overlap receiving, checking and recording on the main thread (W1 in pnpm bench).
// One worker, started on first use (or ahead, start()), handles requests in order and holds the
// process open only while one is pending. From TypeScript sources (unit tests) there is no
// compiled worker to start, and requests are handled inline with the same code.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { giveBack, isLent, takeBuffer } from './batch-buffers.js';
import { restoreHeapTuning } from './heap-tuning.js';
import { placeBatch, writeBatch, type PlaceAnswer, type PlaceJob, type PlaceRequest, type TempBatchAnswer, type TempBatchRequest, type TempFileJob, type TempFileOutcome } from './temp-batch.js';

export type { PlaceJob, TempFileOutcome } from './temp-batch.js';

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
  private readonly pending = new Map<number, { resolve: (answer: TempBatchAnswer | PlaceAnswer) => void; reject: (err: Error) => void }>();
  private readonly inline = !existsSync(WORKER_FILE);

  /**
   * Writes the files in order; one outcome each. Contents that all lie in one buffer from
   * batch-buffers.ts (a GET_FILES answer's) move to the worker without a copy, and that buffer
   * must not be used afterwards; others are copied into one first. Rejects only when the worker
   * itself fails.
   */
  write(files: readonly TempFileWrite[]): Promise<TempFileOutcome[]> {
    const request: TempBatchRequest = { kind: 'write', id: this.nextId++, ...packContents(files) };
    if (this.inline) {
      const results = writeBatch(request);
      giveBack(request.data);
      return Promise.resolve(results);
    }
    return this.send(request, [request.data]).then((answer) => (answer as TempBatchAnswer).results);
  }

  /**
   * Renames durable temp files onto their targets where nothing of R's is in the way (see
   * placeBatch): one flag each, true when renamed. Rejects only when the worker itself fails.
   */
  place(jobs: readonly PlaceJob[]): Promise<boolean[]> {
    if (jobs.length === 0) return Promise.resolve([]);
    if (this.inline) return Promise.resolve(placeBatch(jobs));
    return this.send({ kind: 'place', id: this.nextId++, jobs: [...jobs] }).then((answer) => (answer as PlaceAnswer).placed);
  }

  /** Starts the thread ahead of its first request, so its start-up overlaps other work. */
  start(): void {
    if (this.inline || this.worker) return;
    try {
      this.spawn();
    } catch {
      // reported by the first request, which tries again
    }
  }

  private send(request: TempBatchRequest | PlaceRequest, transfer: ArrayBuffer[] = []): Promise<TempBatchAnswer | PlaceAnswer> {
    let worker: Worker;
    try {
      worker = this.worker ?? this.spawn();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(request.id, { resolve, reject });
      worker.postMessage(request, transfer);
    });
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_FILE, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    worker.unref();
    worker.once('online', restoreHeapTuning);
    worker.on('message', (answer: TempBatchAnswer | PlaceAnswer) => {
      if ('data' in answer) giveBack(answer.data);
      const waiting = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      if (this.pending.size === 0) worker.unref();
      waiting?.resolve(answer);
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
