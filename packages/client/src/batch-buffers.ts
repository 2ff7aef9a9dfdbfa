// Buffers for GET_FILES answers, reused. An answer's file contents are copied into one buffer as
// their frames arrive, so the socket's read buffers die young instead of being pinned by views
// into them; the buffer then moves to the temp-file worker and back (temp-writer.ts) and is
// handed out again. Without reuse every downloaded byte is a new external allocation that
// outlives a few young collections and waits for a full GC: ~45 MiB of client memory on W1.
const MIN_BYTES = 1024 * 1024;
const KEEP = 8;

const spare: ArrayBuffer[] = [];
const lent = new WeakSet<ArrayBufferLike>();

/** A buffer of exactly `bytes`, backed by an ArrayBuffer of its own (at least 1 MiB). */
export function takeBuffer(bytes: number): Buffer {
  const index = spare.findIndex((b) => b.byteLength >= bytes);
  const backing = index >= 0 ? spare.splice(index, 1)[0]! : new ArrayBuffer(Math.max(bytes, MIN_BYTES));
  lent.add(backing);
  return Buffer.from(backing, 0, bytes);
}

/** Whether `backing` came from takeBuffer and was not given back: its holder may transfer it. */
export function isLent(backing: ArrayBufferLike): boolean {
  return lent.has(backing);
}

/** Returns a buffer for reuse; nothing may use it afterwards. */
export function giveBack(backing: ArrayBuffer): void {
  lent.delete(backing);
  if (spare.length < KEEP && backing.byteLength >= MIN_BYTES) spare.push(backing);
}
