import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AtomicFileWriter } from './atomic-write.js';
import { DIRECT_WRITE_MIN_BYTES, O_DIRECT } from './direct-write.js';
import { sha256 } from './hash.js';

const MiB = 1024 * 1024;

/** Deterministic bytes that differ at every offset, so a misplaced block shows. */
function content(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed;
  for (let i = 0; i < size; i += 4) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.writeUInt32LE(x, i - (i + 4 > size ? i + 4 - size : 0));
  }
  return out;
}

/** Writes `data` in uneven chunks, as frames from the network come. */
async function writeInChunks(writer: AtomicFileWriter, data: Buffer): Promise<void> {
  const sizes = [1, 65_537, 4095, 3 * MiB + 7, 200_000];
  let offset = 0;
  for (let i = 0; offset < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, data.length - offset);
    await writer.write(data.subarray(offset, offset + n));
    offset += n;
  }
}

describe.skipIf(O_DIRECT === undefined)('large files written with O_DIRECT', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zync-direct-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const temps = () => readdirSync(dir).filter((n) => n.startsWith('.zync-tmp-'));
  // Not a multiple of the block size, so the padded last block must be cut off again.
  const size = DIRECT_WRITE_MIN_BYTES + 4097;

  it('lands byte for byte with its exact size, mode and mtime', async () => {
    const data = content(size);
    const target = path.join(dir, 'big.bin');
    const writer = await AtomicFileWriter.create(target, { expectedSize: size });
    expect(writer.writesDirect).toBe(true);
    await writeInChunks(writer, data);
    const mtime = Date.UTC(2021, 5, 1);
    const { file } = await writer.commit({ expectedChecksum: sha256(data), mode: 0o640, mtime });
    expect(file.size).toBe(size);
    expect(statSync(target).size).toBe(size);
    expect(readFileSync(target).equals(data)).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o640);
    expect(statSync(target).mtimeMs).toBe(mtime);
    expect(temps()).toEqual([]);
  });

  it('writes small files buffered, and large ones when no size is known', async () => {
    for (const writer of [await AtomicFileWriter.create(path.join(dir, 'small'), { expectedSize: 4096 }), await AtomicFileWriter.create(path.join(dir, 'unknown'))]) {
      expect(writer.writesDirect).toBe(false);
      await writer.abort();
    }
  });

  it('a kept download holds every byte written, including the staged ones, and resumes', async () => {
    const data = content(size, 2);
    const target = path.join(dir, 'resumed.bin');
    const first = await AtomicFileWriter.create(target, { expectedSize: size });
    const cut = 5 * MiB + 123; // inside a staging slot, not on a block boundary
    await writeInChunks(first, data.subarray(0, cut));
    expect(await first.keep()).toBe(cut);
    expect(statSync(first.tempPath).size).toBe(cut);

    const second = await AtomicFileWriter.resume(target, first.tempPath);
    expect(second.bytesWritten).toBe(cut);
    await writeInChunks(second, data.subarray(cut));
    await second.commit({ expectedChecksum: sha256(data) });
    expect(readFileSync(target).equals(data)).toBe(true);
    expect(temps()).toEqual([]);
  });

  it('takes writes made without waiting for the previous one in the order they were made', async () => {
    const data = content(size, 7);
    const target = path.join(dir, 'unawaited.bin');
    const writer = await AtomicFileWriter.create(target, { expectedSize: size });
    const writes: Promise<void>[] = [];
    for (let offset = 0; offset < size; offset += 1_000_003) writes.push(writer.write(data.subarray(offset, Math.min(size, offset + 1_000_003))));
    await Promise.all(writes);
    await writer.commit({ expectedChecksum: sha256(data) });
    expect(readFileSync(target).equals(data)).toBe(true);
  });

  it('commit and keep take writes not yet waited for, as the buffered writer does', async () => {
    const data = content(size, 8);
    const committed = await AtomicFileWriter.create(path.join(dir, 'unawaited-commit.bin'), { expectedSize: size });
    expect(committed.writesDirect).toBe(true);
    void committed.write(data.subarray(0, 3 * MiB + 5));
    void committed.write(data.subarray(3 * MiB + 5));
    await committed.commit({ expectedChecksum: sha256(data) });
    expect(readFileSync(committed.target).equals(data)).toBe(true);

    const kept = await AtomicFileWriter.create(path.join(dir, 'unawaited-keep.bin'), { expectedSize: size });
    const cut = 5 * MiB + 123;
    void kept.write(data.subarray(0, cut));
    expect(await kept.keep()).toBe(cut);
    expect(readFileSync(kept.tempPath).equals(data.subarray(0, cut))).toBe(true);
    rmSync(kept.tempPath);
  });

  it('abort stops a write still being copied: nothing touches the staging area afterwards', async () => {
    const big = 64 * MiB;
    const writer = await AtomicFileWriter.create(path.join(dir, 'aborted.bin'), { expectedSize: big });
    expect(writer.writesDirect).toBe(true);
    const outcome = writer.write(content(big, 9)).then(
      () => 'resolved',
      () => 'rejected',
    );
    await writer.abort();
    expect(await Promise.race([outcome, Promise.resolve('still copying')])).not.toBe('still copying');
    expect(temps()).toEqual([]);
    // Every staging area, the aborted writer's included, holds only its new owner's bytes.
    const data = content(size, 10);
    const next = await Promise.all(Array.from({ length: 4 }, (_, i) => AtomicFileWriter.create(path.join(dir, `after-abort-${i}.bin`), { expectedSize: size })));
    expect(next.every((w) => w.writesDirect)).toBe(true);
    for (const w of next) await writeInChunks(w, data);
    for (const w of next) await w.commit({ expectedChecksum: sha256(data) });
    for (const w of next) expect(readFileSync(w.target).equals(data)).toBe(true);
  });

  it('writes the slots one after the other, so what a kill leaves in the temp file is a prefix of the content', async () => {
    const data = content(size, 11);
    const writer = await AtomicFileWriter.create(path.join(dir, 'killed.bin'), { expectedSize: size });
    expect(writer.writesDirect).toBe(true);
    // The write at offset 0 is held while three slots are staged: a later one started meanwhile
    // could end first, and a kill -9 would leave a file whose size covers a hole.
    const probe = await open(path.join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<{ bytesWritten: number }> };
    await probe.close();
    const write = proto.write;
    let releaseFirst!: () => void;
    const firstMayGo = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstDone = false;
    let startedBeforeFirstEnded = false;
    proto.write = async function (this: unknown, ...args: unknown[]) {
      if (args[3] === 0) {
        await firstMayGo;
        const result = await write.apply(this, args);
        firstDone = true;
        return result;
      }
      if (!firstDone) startedBeforeFirstEnded = true;
      return write.apply(this, args);
    };
    try {
      await writeInChunks(writer, data.subarray(0, 6 * MiB));
      expect(startedBeforeFirstEnded, 'a later slot was written while the first was still being written').toBe(false);
      releaseFirst();
      await writeInChunks(writer, data.subarray(6 * MiB));
      await writer.commit({ expectedChecksum: sha256(data) });
    } finally {
      proto.write = write;
    }
    expect(startedBeforeFirstEnded).toBe(false);
    expect(readFileSync(writer.target).equals(data)).toBe(true);
  });

  it('starts over on restart()', async () => {
    const target = path.join(dir, 'restarted.bin');
    const writer = await AtomicFileWriter.create(target, { expectedSize: size });
    await writeInChunks(writer, content(7 * MiB, 3));
    await writer.restart();
    const data = content(size, 4);
    await writeInChunks(writer, data);
    await writer.commit({ expectedChecksum: sha256(data) });
    expect(readFileSync(target).equals(data)).toBe(true);
  });

  it('a wrong checksum leaves no temp file and the target as it was', async () => {
    const target = path.join(dir, 'big.bin');
    const before = readFileSync(target);
    const writer = await AtomicFileWriter.create(target, { expectedSize: size });
    await writeInChunks(writer, content(size, 5));
    await expect(writer.commit({ expectedChecksum: sha256('something else') })).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect(readFileSync(target).equals(before)).toBe(true);
    expect(temps()).toEqual([]);
  });

  it('writes at most four files at once directly, the others buffered, and frees its staging when done', async () => {
    const data = content(size, 6);
    const writers = await Promise.all(Array.from({ length: 6 }, (_, i) => AtomicFileWriter.create(path.join(dir, `many-${i}.bin`), { expectedSize: size })));
    // Created concurrently: which four get the staging memory depends on the opens' order.
    expect(writers.filter((w) => w.writesDirect)).toHaveLength(4);
    writers.sort((a, b) => Number(b.writesDirect) - Number(a.writesDirect));
    // Interleaved, so the writers that share the staging memory write at the same time.
    for (let offset = 0; offset < size; offset += 3 * MiB) {
      for (const w of writers) await w.write(data.subarray(offset, Math.min(size, offset + 3 * MiB)));
    }
    await writers[0]!.abort();
    await writers[1]!.keep();
    for (const w of writers.slice(2)) await w.commit({ expectedChecksum: sha256(data) });
    for (const w of writers.slice(2)) expect(readFileSync(w.target).equals(data)).toBe(true);

    const again = await Promise.all(Array.from({ length: 4 }, (_, i) => AtomicFileWriter.create(path.join(dir, `again-${i}.bin`), { expectedSize: size })));
    expect(again.map((w) => w.writesDirect)).toEqual([true, true, true, true]);
    for (const w of again) await w.abort();
  });
});
