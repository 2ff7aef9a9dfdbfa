// Deterministic benchmark workloads: the same seed gives the same tree, byte for byte, on every
// run and machine. Structure (sizes, directories, which files get edited) comes from a small
// seeded PRNG; content from an AES-256-CTR keystream keyed by SHA-256 of the seed and a label,
// which is random-looking, incompressible and fast enough to write 1 GiB in a second or two.
// This module only writes below the directories it is given.
import { createCipheriv, createHash } from 'node:crypto';
import { chmod, mkdir, open, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

export const SEED = 'zync-bench-v1';

export const W1 = { files: 10_000, topDirs: 10, subDirs: 10, minBytes: 1024, maxBytes: 16 * 1024, execEvery: 97 };
export const W2 = { bytes: 1024 * 1024 * 1024, name: 'big.bin' };
export const W3 = { modified: 10, added: 10 };
export const W4 = { writes: 20, bytes: 2048 };

/** mulberry32: a tiny, well-mixed 32-bit PRNG; `next()` in [0, 2^32). */
export function createPrng(label, seed = SEED) {
  let state = createHash('sha256').update(`${seed}:${label}:prng`).digest().readUInt32LE(0);
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return { next, below: (n) => next() % n };
}

/** A deterministic byte stream: `take(n)` returns the next n bytes of the keystream for label. */
export function createContentStream(label, seed = SEED) {
  const key = createHash('sha256').update(`${seed}:${label}:key`).digest();
  const iv = createHash('sha256').update(`${seed}:${label}:iv`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  let zeros = Buffer.alloc(0);
  return {
    take(n) {
      if (zeros.length < n) zeros = Buffer.alloc(Math.max(n, 64 * 1024));
      return cipher.update(zeros.subarray(0, n));
    },
  };
}

/** The W1 tree as a plan: [{rel, size, executable}], directories [rel]. Pure and deterministic. */
export function planW1Tree() {
  const prng = createPrng('w1-tree');
  const dirs = [];
  for (let t = 0; t < W1.topDirs; t++) {
    for (let s = 0; s < W1.subDirs; s++) dirs.push(`d${pad(t, 2)}/s${pad(s, 2)}`);
  }
  const files = [];
  for (let k = 0; k < W1.files; k++) {
    const dir = dirs[prng.below(dirs.length)];
    const size = W1.minBytes + prng.below(W1.maxBytes - W1.minBytes + 1);
    files.push({ rel: `${dir}/f${pad(k, 5)}.bin`, size, executable: k % W1.execEvery === 0 });
  }
  return { dirs, files };
}

/** Writes the W1 tree under root (which must be empty or absent). Returns {files, bytes}. */
export async function writeW1Tree(root) {
  const { dirs, files } = planW1Tree();
  for (const dir of dirs) await mkdir(path.join(root, dir), { recursive: true });
  const content = createContentStream('w1-content');
  let bytes = 0;
  await runBounded(
    files.map((f) => ({ ...f, data: null })),
    32,
    async (job) => {
      const file = path.join(root, job.rel);
      await writeFile(file, job.data, { mode: 0o644 });
      if (job.executable) await chmod(file, 0o755);
      bytes += job.size;
      job.data = null;
    },
    // Content is drawn in plan order, so it does not depend on write scheduling.
    (job) => {
      job.data = content.take(job.size);
    },
  );
  return { files: files.length, bytes };
}

/** Writes the single W2 file (1 GiB) under root in 4 MiB blocks. Returns {files, bytes}. */
export async function writeW2File(root) {
  await mkdir(root, { recursive: true });
  const content = createContentStream('w2-content');
  const handle = await open(path.join(root, W2.name), 'w', 0o644);
  try {
    const block = 4 * 1024 * 1024;
    for (let done = 0; done < W2.bytes; done += block) {
      const data = content.take(Math.min(block, W2.bytes - done));
      await handle.write(data, 0, data.length);
    }
  } finally {
    await handle.close();
  }
  return { files: 1, bytes: W2.bytes };
}

/**
 * The W3 edits on top of the W1 tree: W3.modified existing files get new content (and size),
 * W3.added new files appear in existing directories. Returns [{rel, data}] — not yet written.
 */
export function planW3Edits() {
  const { dirs, files } = planW1Tree();
  const prng = createPrng('w3-edits');
  const content = createContentStream('w3-content');
  const picked = new Set();
  while (picked.size < W3.modified) picked.add(prng.below(files.length));
  const edits = [];
  for (const index of [...picked].sort((a, b) => a - b)) {
    const size = W1.minBytes + prng.below(W1.maxBytes - W1.minBytes + 1);
    edits.push({ rel: files[index].rel, data: content.take(size), kind: 'modify' });
  }
  for (let j = 0; j < W3.added; j++) {
    const size = W1.minBytes + prng.below(W1.maxBytes - W1.minBytes + 1);
    edits.push({ rel: `${dirs[prng.below(dirs.length)]}/added-${pad(j, 2)}.bin`, data: content.take(size), kind: 'add' });
  }
  return edits;
}

/** The W4 probe files: W4.writes small new files in existing W1 directories. */
export function planW4Writes() {
  const { dirs } = planW1Tree();
  const prng = createPrng('w4-writes');
  const content = createContentStream('w4-content');
  const writes = [];
  for (let j = 0; j < W4.writes; j++) {
    writes.push({ rel: `${dirs[prng.below(dirs.length)]}/probe-${pad(j, 2)}.txt`, data: content.take(W4.bytes) });
  }
  return writes;
}

/**
 * Runs `work` over items with at most `limit` in flight. `prepare` (optional) is called on each
 * item synchronously, in order, before its work starts — for draws from a shared stream.
 */
export async function runBounded(items, limit, work, prepare) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      prepare?.(item);
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function pad(n, width) {
  return String(n).padStart(width, '0');
}
