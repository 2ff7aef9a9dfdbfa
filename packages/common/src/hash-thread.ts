// SHA-256 of large files on a thread of its own. Hashing costs about a second per GiB, and on
// the thread that also moves the bytes it was the largest single cost of a large transfer
// (pnpm bench, W2: the client receiving and writing, the daemon reading and sending). The bytes
// are not copied to the thread: they lie in shared memory (sharedMemory()), and the thread
// hashes them in place while the caller goes on with the next range. One thread per process
// serves every hash, in the order the updates were posted.
import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

// Inline (eval), so the same code runs from the TypeScript sources, the built files and the
// bundled client, which has no file of its own to start a worker from.
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const memories = [];
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'memory') return void memories.push(Buffer.from(m.buffer));
  let digest;
  if (m.op === 'update') {
    let hash = hashes.get(m.file);
    if (hash === undefined) hashes.set(m.file, (hash = createHash('sha256')));
    const memory = memories[m.memory];
    for (const [offset, length] of m.ranges) hash.update(memory.subarray(offset, offset + length));
  } else {
    const hash = hashes.get(m.file);
    hashes.delete(m.file);
    if (m.op === 'digest') digest = (hash ?? createHash('sha256')).digest('hex');
  }
  parentPort.postMessage({ id: m.id, digest });
});
`;

/** Run when the hashing thread has started (see onHashThreadOnline). */
const onlineListeners: (() => void)[] = [];

/**
 * Registers a function to run once the hashing thread is up: a new isolate resets process-wide
 * V8 heap flags, which the client sets again (heap-tuning.ts).
 */
export function onHashThreadOnline(listener: () => void): void {
  onlineListeners.push(listener);
}

type Request = { op: 'update'; memory: number; ranges: [offset: number, length: number][] } | { op: 'digest' } | { op: 'drop' };

class HashThread {
  private worker: Worker | null = null;
  private readonly memories: SharedArrayBuffer[] = [];
  private failure: Error | null = null;
  private nextId = 1;
  private nextFile = 1;
  /** Hashes the thread holds: updated, and neither digested nor dropped since. */
  private readonly open = new Set<number>();
  private readonly pending = new Map<number, { resolve: (digest: string) => void; reject: (err: Error) => void }>();

  /** false once the thread has failed: hashes are then computed on the caller's thread. */
  get usable(): boolean {
    return this.failure === null;
  }

  /** Shares memory with the thread; returns the number updates name it by. */
  attach(memory: SharedArrayBuffer): number {
    this.memories.push(memory);
    this.worker?.postMessage({ op: 'memory', buffer: memory });
    return this.memories.length - 1;
  }

  /** A new hash, kept by the thread until digest or drop. */
  newFile(): number {
    return this.nextFile++;
  }

  /** How many hashes the thread holds (a leak shows as one that never goes). */
  get openHashes(): number {
    return this.open.size;
  }

  update(file: number, memory: number, ranges: [offset: number, length: number][]): Promise<void> {
    if (this.failure === null) this.open.add(file);
    return this.send(file, { op: 'update', memory, ranges }).then(() => undefined);
  }

  digest(file: number): Promise<string> {
    this.open.delete(file);
    return this.send(file, { op: 'digest' });
  }

  drop(file: number): Promise<void> {
    this.open.delete(file);
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
    const worker = new Worker(THREAD_SOURCE, { eval: true });
    // Holds the process open only while an answer is awaited.
    worker.unref();
    worker.once('online', () => {
      for (const listener of onlineListeners) listener();
    });
    for (const buffer of this.memories) worker.postMessage({ op: 'memory', buffer });
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
      this.open.clear();
      for (const { reject } of this.pending.values()) reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => stop(new Error(`The hashing thread failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => stop(new Error(`The hashing thread exited (code ${code}).`)));
    this.worker = worker;
    return worker;
  }
}

const thread = new HashThread();
/** Each shared memory made here, and the number the thread knows it by. */
const attached = new WeakMap<ArrayBufferLike, number>();

const WASM_PAGE = 64 * 1024;

/** The number of hashes the hashing thread holds now: each transfer's goes when it ends. */
export function hashesOnThread(): number {
  return thread.openHashes;
}

/**
 * `bytes` (a multiple of 64 KiB) of page-aligned memory shared with the hashing thread, or null
 * where shared WebAssembly memory is not available. Page-aligned: O_DIRECT can write from it.
 */
export function sharedMemory(bytes: number): Buffer | null {
  let memory: unknown;
  try {
    const pages = Math.ceil(bytes / WASM_PAGE);
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }).buffer;
  } catch {
    return null;
  }
  if (!(memory instanceof SharedArrayBuffer)) return null;
  attached.set(memory, thread.attach(memory));
  return Buffer.from(memory);
}

/**
 * The SHA-256 of a sequence of byte ranges. Ranges in sharedMemory() are hashed on the hashing
 * thread while the caller goes on; a range may be reused once its update() has resolved. Where
 * the first range is not in shared memory, or the thread has failed, every range is hashed at
 * once on the caller's thread.
 */
export class RangeHash {
  /** The thread's number for this hash; null before the first update and when hashing here. */
  private file: number | null = null;
  private local: Hash | null = null;

  /** Adds the ranges, in order; resolves once they may be reused. */
  update(...ranges: Buffer[]): Promise<void> {
    const first = ranges[0];
    if (first === undefined) return Promise.resolve();
    if (this.file === null && this.local === null) {
      if (thread.usable && attached.has(first.buffer)) this.file = thread.newFile();
      else this.local = createHash('sha256');
    }
    if (this.local !== null) {
      for (const range of ranges) this.local.update(range);
      return Promise.resolve();
    }
    const memory = attached.get(first.buffer);
    if (memory === undefined || ranges.some((r) => r.buffer !== first.buffer)) {
      return Promise.reject(new Error('RangeHash: ranges outside the shared memory the first ones were in'));
    }
    return thread.update(this.file!, memory, ranges.map((r) => [r.byteOffset, r.length]));
  }

  /** The SHA-256 (hex) of every range updated so far; the hash is then used up. */
  digest(): Promise<string> {
    const file = this.file;
    const local = this.local;
    this.file = null;
    this.local = null;
    if (file !== null) return thread.digest(file);
    return Promise.resolve((local ?? createHash('sha256')).digest('hex'));
  }

  /** Starts over from zero bytes. */
  async reset(): Promise<void> {
    if (this.file !== null) await thread.drop(this.file);
    this.file = null;
    this.local = null;
  }

  /** Lets go of the hash without a digest (a transfer given up). */
  async drop(): Promise<void> {
    if (this.file !== null) await thread.drop(this.file).catch(() => undefined);
    this.file = null;
    this.local = null;
  }
}
