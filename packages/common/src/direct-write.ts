// Large files written with O_DIRECT, bypassing the page cache. Measured on this project's VMs
// (pnpm bench, W2): buffered writes of 1 GiB followed by fsync took 1.6–4.4 s, because the
// kernel writes the dirty pages back in small pieces only when fsync asks; the same bytes
// written with O_DIRECT in 2 MiB requests and then fdatasynced took 0.65–1.1 s. Durability is
// unchanged: the commit still fdatasyncs (for the size, the block allocation and the device's
// write cache) before the rename.
//
// O_DIRECT wants the memory, the file offset and the length aligned to the device's block size.
// Node's buffers come from malloc and are not page-aligned; a WebAssembly memory is (its backing
// store is mapped whole pages), so the staging slots are views of one. Chunks from the network
// are copied into a slot (the caller hashes them as they come); a full slot is written while the
// next fills. The last, partial block is written padded with zeros, then the file is truncated
// to its real size. (Hashing the slots on a thread of their own was tried twice: posting the
// bytes, and hashing them in place in a shared staging memory with only offsets posted. Both
// cost more CPU than they took off this thread on 2 cores — the second raised the client's CPU
// for W2 from 2.0 to 2.6 s — and W2 got slower.)
import { constants as fsConstants, ftruncateSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** Files expected to be at least this large are written directly (smaller ones gain nothing). */
export const DIRECT_WRITE_MIN_BYTES = 16 * 1024 * 1024;
/** 4 KiB covers 512-byte and 4K-sector devices; a device wanting more refuses the probe. */
const ALIGN = 4096;
/** Per write request: 2 MiB was as fast as 4 MiB and twice as fast as 512 KiB (dd, this VM). */
const SLOT_BYTES = 2 * 1024 * 1024;
/**
 * One slot filling while the others are written, one after the other. Six were tried: W2 took as
 * long (2.17 against 2.26 s, medians of 6 alternating runs), and 6 concurrent large downloads
 * peaked at 131-143 MiB instead of 108-116. What keeps received buffers from being promoted is
 * the client's early socket pause (RECEIVE_HIGH_WATER_BYTES), not more staging.
 */
const SLOTS_PER_WRITER = 3;
/** Writers beyond this many at once write buffered: staging memory stays at 24 MiB at most. */
const MAX_DIRECT_WRITERS = 4;
const AREA_BYTES = SLOTS_PER_WRITER * SLOT_BYTES;
const WASM_PAGE = 64 * 1024;

/** O_DIRECT where the platform has it (Linux), else undefined: every writer writes buffered. */
export const O_DIRECT: number | undefined = (fsConstants as Record<string, number | undefined>)['O_DIRECT'];

let staging: Buffer | null = null;
/** Set when the staging memory could not be had (a tight `ulimit -v`): every writer writes buffered. */
let stagingUnavailable = false;
const freeAreas: number[] = [];

/** A writer's staging area, or null when none can be had or MAX_DIRECT_WRITERS are in use. */
function acquireArea(): number | null {
  if (staging === null && !stagingUnavailable) {
    try {
      staging = Buffer.from(new WebAssembly.Memory({ initial: (MAX_DIRECT_WRITERS * AREA_BYTES) / WASM_PAGE }).buffer);
    } catch {
      stagingUnavailable = true;
      return null;
    }
    for (let i = MAX_DIRECT_WRITERS - 1; i >= 0; i--) freeAreas.push(i);
  }
  return freeAreas.pop() ?? null;
}

/**
 * The direct-write half of an AtomicFileWriter: stages, writes and finishes the file's bytes;
 * the caller hashes and counts them. After a failed write, every later call throws it.
 */
export class DirectSink {
  private readonly handle: FileHandle;
  private area: number | null;
  private readonly slots: Buffer[];
  private readonly inFlight: (Promise<void> | null)[] = new Array<Promise<void> | null>(SLOTS_PER_WRITER).fill(null);
  private slot = 0;
  private filled = 0;
  /** File offset of the next slot written. */
  private position = 0;
  /** The slot write issued last (never rejects): the next one starts once it is done. */
  private lastWrite: Promise<void> = Promise.resolve();
  private failure: unknown = undefined;
  /** The write() calls before the next one: they copy in order. Never rejects. */
  private writing: Promise<void> = Promise.resolve();
  /** Set by close(): a copy still queued stops instead of staging into an area given back. */
  private closed = false;

  /**
   * A sink for a file opened with O_DIRECT, or null when none can be used: no staging area free,
   * or the file system refuses an aligned write (tmpfs on old kernels, some FUSE and network file
   * systems). The probe writes one zeroed block at offset 0, which the real bytes overwrite.
   */
  static tryCreate(handle: FileHandle): DirectSink | null {
    const area = acquireArea();
    if (area === null) return null;
    const sink = new DirectSink(handle, area);
    try {
      sink.slots[0]!.fill(0, 0, ALIGN);
      writeSync(handle.fd, sink.slots[0]!, 0, ALIGN, 0);
      ftruncateSync(handle.fd, 0);
    } catch {
      sink.release();
      return null;
    }
    return sink;
  }

  private constructor(handle: FileHandle, area: number) {
    this.handle = handle;
    this.area = area;
    const base = area * AREA_BYTES;
    this.slots = Array.from({ length: SLOTS_PER_WRITER }, (_, i) => staging!.subarray(base + i * SLOT_BYTES, base + (i + 1) * SLOT_BYTES));
  }

  /**
   * Copies the chunk into the staging slots; waits only when every slot is being written. Calls
   * made before an earlier one resolved are taken in order.
   */
  write(chunk: Uint8Array): Promise<void> {
    const copied = this.writing.then(() => this.copyIn(chunk));
    this.writing = copied.catch(() => undefined);
    return copied;
  }

  private async copyIn(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      await this.slotFree(this.slot);
      const n = Math.min(SLOT_BYTES - this.filled, chunk.length - offset);
      this.slots[this.slot]!.set(chunk.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === SLOT_BYTES) this.issue(SLOT_BYTES);
    }
  }

  /**
   * Writes what is staged (the last block padded with zeros) and truncates the file to `size`,
   * the number of bytes given to write() in all. Afterwards the file holds exactly those bytes.
   */
  async finish(size: number): Promise<void> {
    // write() calls not yet waited for are part of the file (the buffered writer queues them at once).
    await this.writing;
    if (this.filled > 0) {
      const padded = Math.ceil(this.filled / ALIGN) * ALIGN;
      await this.slotFree(this.slot);
      this.slots[this.slot]!.fill(0, this.filled, padded);
      this.issue(padded);
    }
    await this.settle();
    await this.handle.truncate(size);
  }

  /** Waits for everything in flight and forgets what is staged (a restart from 0). */
  async reset(): Promise<void> {
    await this.writing;
    await this.settle();
    this.slot = 0;
    this.filled = 0;
    this.position = 0;
  }

  /**
   * Waits for what is in flight without throwing; the area goes back to the pool. A write() still
   * copying stops (and rejects) first: nothing may stage into the area afterwards.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.writing;
    for (const write of this.inFlight) await write?.catch(() => undefined);
    this.release();
  }

  /** Writes `length` bytes of the current slot (padding included). */
  private issue(length: number): void {
    const index = this.slot;
    const position = this.position;
    // One write at a time, in file order: writes in flight side by side can end out of order,
    // and a kill -9 then leaves a file whose size covers a hole of zeros that a resumed download
    // would take for received bytes (and fail its checksum only once the rest has arrived).
    const write = this.lastWrite
      .then(() => (this.failure === undefined ? this.writeFully(this.slots[index]!, length, position) : undefined))
      .catch((err: unknown) => {
        this.failure ??= err;
      });
    this.inFlight[index] = write;
    this.lastWrite = write;
    this.position += length;
    this.slot = (index + 1) % SLOTS_PER_WRITER;
    this.filled = 0;
  }

  private async writeFully(buffer: Buffer, length: number, position: number): Promise<void> {
    let done = 0;
    while (done < length) {
      const { bytesWritten } = await this.handle.write(buffer, done, length - done, position + done);
      // A short direct write ends at a block boundary (a full disk): the rest fails with its cause.
      if (bytesWritten === 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      done += bytesWritten;
    }
  }

  private async slotFree(index: number): Promise<void> {
    const write = this.inFlight[index];
    if (write) {
      await write;
      this.inFlight[index] = null;
    }
    if (this.failure !== undefined) throw this.failure;
    if (this.closed) throw new Error('AtomicFileWriter: write after commit or abort');
  }

  private async settle(): Promise<void> {
    for (let i = 0; i < SLOTS_PER_WRITER; i++) await this.slotFree(i);
  }

  private release(): void {
    if (this.area === null) return;
    freeAreas.push(this.area);
    this.area = null;
  }
}
