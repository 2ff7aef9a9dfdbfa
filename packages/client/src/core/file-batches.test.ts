import { describe, expect, it } from 'vitest';
import { planFileBatches, type BatchLimits } from './file-batches.js';

const item = (base_dir: string, path: string, size: number) => ({ entry: { base_dir, path, size } });
const paths = (batch: { entry: { path: string } }[]) => batch.map((i) => i.entry.path);
const limits: BatchLimits = { maxFiles: 3, maxBytes: 100, maxFileBytes: 60 };

describe('planFileBatches', () => {
  it.each([
    { name: 'nothing', items: [], batches: [], single: [] },
    { name: 'fits in one request', items: [item('d', 'a', 10), item('d', 'b', 0), item('d', 'c', 30)], batches: [['a', 'b', 'c']], single: [] },
    { name: 'split at maxFiles', items: [item('d', 'a', 1), item('d', 'b', 1), item('d', 'c', 1), item('d', 'e', 1)], batches: [['a', 'b', 'c'], ['e']], single: [] },
    { name: 'split at maxBytes', items: [item('d', 'a', 60), item('d', 'b', 41), item('d', 'c', 40)], batches: [['a'], ['b', 'c']], single: [] },
    { name: 'exactly maxBytes still fits', items: [item('d', 'a', 60), item('d', 'b', 40)], batches: [['a', 'b']], single: [] },
    { name: 'one base_dir per request', items: [item('d', 'a', 1), item('e', 'b', 1), item('d', 'c', 1)], batches: [['a', 'c'], ['b']], single: [] },
    { name: 'large files are left for GET_FILE', items: [item('d', 'a', 61), item('d', 'b', 1)], batches: [['b']], single: ['a'] },
  ])('$name', ({ items, batches, single }) => {
    const plan = planFileBatches(items, limits);
    expect(plan.batches.map(paths)).toEqual(batches);
    expect(paths(plan.single)).toEqual(single);
  });

  it('keeps every item exactly once', () => {
    const items = Array.from({ length: 1000 }, (_, i) => item(`d${i % 3}`, `f${i}`, (i * 37) % 90));
    const plan = planFileBatches(items, limits);
    const seen = [...plan.batches.flat(), ...plan.single].map((i) => i.entry.path).sort();
    expect(seen).toEqual(items.map((i) => i.entry.path).sort());
    for (const batch of plan.batches) {
      expect(batch.length).toBeLessThanOrEqual(limits.maxFiles);
      expect(batch.reduce((n, i) => n + i.entry.size, 0)).toBeLessThanOrEqual(limits.maxBytes);
      expect(new Set(batch.map((i) => i.entry.base_dir)).size).toBe(1);
    }
  });
});
