import { describe, expect, it } from 'vitest';
import { BlockPool } from './block-pool.js';

describe('BlockPool', () => {
  it('reuses a block given back for the next answer that fits in it', () => {
    const pool = new BlockPool(4 * 1024 * 1024);
    const first = pool.take(1_000_000);
    expect(first.length).toBeGreaterThanOrEqual(1_000_000);
    pool.give(first);
    expect(pool.take(900_000)).toBe(first);
    expect(pool.retainedBytes).toBe(0);
  });

  it('takes the smallest free block that fits, and allocates when none does', () => {
    const pool = new BlockPool(8 * 1024 * 1024);
    const big = pool.take(3 * 1024 * 1024);
    const small = pool.take(100_000);
    pool.give(big);
    pool.give(small);
    expect(pool.take(50_000)).toBe(small);
    const fresh = pool.take(4 * 1024 * 1024);
    expect(fresh).not.toBe(big);
    expect(fresh.length).toBeGreaterThanOrEqual(4 * 1024 * 1024);
  });

  it('keeps no more than its limit between answers', () => {
    const pool = new BlockPool(2 * 1024 * 1024);
    const blocks = [pool.take(1024 * 1024), pool.take(1024 * 1024), pool.take(1024 * 1024)];
    for (const block of blocks) pool.give(block);
    expect(pool.retainedBytes).toBe(2 * 1024 * 1024);
  });
});
