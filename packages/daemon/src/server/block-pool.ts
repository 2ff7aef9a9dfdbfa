// Reusable answer blocks for GET_FILES. Allocating a fresh 1 MiB buffer for every answer and
// freeing it once the socket took it fragments the C heap (glibc serves such sizes from its
// arenas after the first frees): on W1 the daemon's peak RSS grew by ~40 MiB while serving,
// close to the 150 MiB target (pnpm bench). Blocks given back are reused for the next answers;
// at most RETAINED_BYTES of them wait between answers, so an idle daemon keeps little.

/** Free blocks kept for reuse, in bytes. Eight answers of the client's 1 MiB requests. */
const RETAINED_BYTES = 9 * 1024 * 1024;
/** Sizes are rounded up to this, so answers of slightly different sizes share blocks. */
const GRANULE = 64 * 1024;

export class BlockPool {
  private readonly free: Buffer[] = [];
  private retained = 0;

  constructor(private readonly maxRetained = RETAINED_BYTES) {}

  /** A block of at least `bytes` (its content is stale: write before reading). */
  take(bytes: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const length = this.free[i]!.length;
      if (length >= bytes && (best < 0 || length < this.free[best]!.length)) best = i;
    }
    if (best >= 0) {
      const [block] = this.free.splice(best, 1);
      this.retained -= block!.length;
      return block!;
    }
    return Buffer.allocUnsafeSlow(Math.ceil(Math.max(bytes, 1) / GRANULE) * GRANULE);
  }

  /** Gives a block back once nothing refers to its bytes any more (the socket took them). */
  give(block: Buffer): void {
    if (this.retained + block.length > this.maxRetained) return;
    this.free.push(block);
    this.retained += block.length;
  }

  /** Bytes waiting in free blocks. */
  get retainedBytes(): number {
    return this.retained;
  }
}
