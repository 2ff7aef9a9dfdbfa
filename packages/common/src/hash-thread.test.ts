import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RangeHash, sharedMemory } from './hash-thread.js';
import { sha256 } from './hash.js';

const memory = sharedMemory(1024 * 1024);

describe.skipIf(memory === null)('hashes of shared memory, on the hashing thread', () => {
  const shared = memory!;
  for (let i = 0; i < shared.length; i++) shared[i] = (i * 7 + 3) & 0xff;

  it('equals the SHA-256 of the ranges in the order given, across several updates', async () => {
    const hash = new RangeHash();
    await hash.update(shared.subarray(0, 1000), shared.subarray(5000, 7000));
    await hash.update(shared.subarray(100, 101));
    const expected = createHash('sha256').update(shared.subarray(0, 1000)).update(shared.subarray(5000, 7000)).update(shared.subarray(100, 101)).digest('hex');
    expect(await hash.digest()).toBe(expected);
  });

  it('keeps interleaved hashes apart, and a reset starts from zero bytes', async () => {
    const a = new RangeHash();
    const b = new RangeHash();
    const updates = [a.update(shared.subarray(0, 10)), b.update(shared.subarray(10, 20)), a.update(shared.subarray(20, 30))];
    await Promise.all(updates);
    await b.reset();
    await b.update(shared.subarray(40, 50));
    expect(await a.digest()).toBe(createHash('sha256').update(shared.subarray(0, 10)).update(shared.subarray(20, 30)).digest('hex'));
    expect(await b.digest()).toBe(sha256(shared.subarray(40, 50)));
  });

  it('refuses a range outside shared memory once it hashes shared ranges', async () => {
    const hash = new RangeHash();
    await hash.update(shared.subarray(0, 10));
    await expect(hash.update(Buffer.from('elsewhere'))).rejects.toThrow(/outside the shared memory/);
    await hash.drop();
  });
});

it('hashes ordinary buffers on the calling thread, with the same result', async () => {
  const hash = new RangeHash();
  await hash.update(Buffer.from('hello, '), Buffer.from('world'));
  expect(await hash.digest()).toBe(sha256('hello, world'));
  expect(await new RangeHash().digest()).toBe(sha256(''));
});
