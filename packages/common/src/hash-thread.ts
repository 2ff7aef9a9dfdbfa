// SHA-256 of large files on a thread of its own. Hashing costs about a second per GiB, and on
// the thread that also receives and writes the bytes it was the largest single cost of a large
// download (pnpm bench, W2). The bytes are not copied to the thread: they lie in shared memory
// (the O_DIRECT staging slots), and the thread hashes them in place while the main thread fills
// the next slot. One thread serves every file, in the order the updates were posted.
import { Worker } from 'node:worker_threads';

// Inline (eval), so the same code runs from the TypeScript sources, the built files and the
// bundled client, which has no file of its own to start a worker from.
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
let memory = null;
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'memory') return void (memory = Buffer.from(m.buffer));
  let digest;
  if (m.op === 'update') {
    let hash = hashes.get(m.file);
    if (hash === undefined) hashes.set(m.file, (hash = createHash('sha256')));
    hash.update(memory.subarray(m.offset, m.offset + m.length));
  } else {
    const hash = hashes.get(m.file);
    hashes.delete(m.file);
    if (m.op === 'digest') digest = (hash ?? createHash('sha256')).digest('hex');
  }
  parentPort.postMessage({ id: m.id, digest });
});
`;

type Request = { op: 'update'; offset: number; length: number } | { op: 'digest' } | { op: 'drop' };

class HashThread {
  private worker: Worker | null = null;
  private memory: SharedArrayBuffer | null = null;
  private failure: Error | null = null;
  private nextId = 1;
  private nextFile = 1;
  private readonly pending = new Map<number, { resolve: (digest: string) => void; reject: (err: Error) => void }>();

  /** false once the thread has failed: callers hash on their own thread instead. */
  get usable(): boolean {
    return this.failure === null;
  }

  /** Shares `memory` with the thread; updates name ranges of it. Once per process. */
  attach(memory: SharedArrayBuffer): void {
    this.memory = memory;
  }

  /** A new file's hash, kept by the thread until digest or drop. */
  newFile(): number {
    return this.nextFile++;
  }

  /** Hashes bytes [offset, offset + length) of the shared memory into the file's hash. */
  update(file: number, offset: number, length: number): Promise<void> {
    return this.send(file, { op: 'update', offset, length }).then(() => undefined);
  }

  /** The file's SHA-256 (hex) after every update posted before this call; the hash is then gone. */
  digest(file: number): Promise<string> {
    return this.send(file, { op: 'digest' });
  }

  /** Forgets the file's hash (a writer given up or started over). */
  drop(file: number): Promise<void> {
    return this.send(file, { op: 'drop' }).then(() => undefined);
  }

  private send(file: number, request: Request): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    let worker: Worker;
    try {
      worker = this.worker ?? this.start();
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      return Promise.reject(this.failure);
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id, file });
    });
  }

  private start(): Worker {
    if (!this.memory) throw new Error('hash thread: no shared memory attached');
    const worker = new Worker(THREAD_SOURCE, { eval: true });
    // Holds the process open only while an answer is awaited.
    worker.unref();
    worker.postMessage({ op: 'memory', buffer: this.memory });
    worker.on('message', ({ id, digest }: { id: number; digest?: string }) => {
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
      waiting?.resolve(digest ?? '');
    });
    const stop = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failure = err;
      for (const { reject } of this.pending.values()) reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => stop(new Error(`The hashing thread failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => stop(new Error(`The hashing thread exited (code ${code}).`)));
    this.worker = worker;
    return worker;
  }
}

/** The process's one hashing thread, started on first use. */
export const hashThread = new HashThread();
