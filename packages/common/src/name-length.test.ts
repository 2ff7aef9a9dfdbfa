import { describe, expect, it } from 'vitest';
import { truncateUtf8 } from './name-length.js';

describe('truncateUtf8', () => {
  it.each([
    ['ASCII within the budget stays whole', 'report.txt', 100, 'report.txt'],
    ['ASCII over the budget is cut at the budget', 'a'.repeat(120), 100, 'a'.repeat(100)],
    ['3-byte characters count three bytes each', '日'.repeat(85), 100, '日'.repeat(33)],
    ['a character that would cross the budget goes whole', 'aé', 2, 'a'],
    ['a surrogate pair is never split', 'x' + '😀'.repeat(3), 6, 'x😀'],
    ['a zero budget leaves nothing', 'abc', 0, ''],
  ])('%s', (_why, text, maxBytes, expected) => {
    const cut = truncateUtf8(text, maxBytes);
    expect(cut).toBe(expected);
    expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(maxBytes);
  });
});
