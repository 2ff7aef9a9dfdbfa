import { describe, expect, it } from 'vitest';
import { freeToHold, heldSources, heldToDrop, isInHoldingArea, roomToHold, type HeldFile, type HoldLimits } from './held-files.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const limits: HoldLimits = { maxAgeMs: 300_000, maxBytes: 1000, maxFiles: 3 };
const NOW = 10_000_000;
const held = (name: string, ageMs: number, size = 10, base_dir = 'docs'): HeldFile => ({ base_dir, name, size, heldAt: NOW - ageMs });
const names = (files: HeldFile[]) => files.map((f) => `${f.base_dir}/${f.name.slice(0, 1)}`).sort();

describe('heldToDrop', () => {
  it.each<[string, HeldFile[], string[]]>([
    ['nothing held', [], []],
    ['young files stay', [held(A, 1000), held(B, 299_000)], []],
    ['files older than the age limit go', [held(A, 1000), held(B, 300_001, 10, 'other')], ['other/b']],
    ['a file held "in the future" (the clock stepped back) goes', [held(A, -400_000)], ['docs/a']],
    ['beyond the file cap the oldest go', [held(A, 4), held(B, 3), held(C, 2), held('d'.repeat(64), 1)], ['docs/a']],
    ['beyond the byte cap the oldest go', [held(A, 3, 600), held(B, 2, 300), held(C, 1, 300)], ['docs/a']],
    ['a file alone beyond the byte cap goes', [held(A, 1, 1001)], ['docs/a']],
    ['a name R never gives a held file goes', [held('notes.txt', 1)], ['docs/n']],
  ])('%s', (_why, files, expected) => {
    expect(names(heldToDrop(files, NOW, limits))).toEqual(expected);
  });
});

describe('roomToHold', () => {
  it.each<[string, { files: number; bytes: number }, number, boolean]>([
    ['an empty area', { files: 0, bytes: 0 }, 10, true],
    ['up to the file cap', { files: 2, bytes: 0 }, 10, true],
    ['past the file cap', { files: 3, bytes: 0 }, 10, false],
    ['up to the byte cap', { files: 0, bytes: 990 }, 10, true],
    ['past the byte cap', { files: 0, bytes: 991 }, 10, false],
  ])('%s: %s', (_why, now, size, expected) => {
    expect(roomToHold(now, size, limits)).toBe(expected);
  });
});

describe('heldSources', () => {
  it('finds each wanted content held in any root, once, as a path in that root\'s holding area', () => {
    const area = new Map([
      ['docs', new Set([A])],
      ['other', new Set([A, B])],
    ]);
    const sources = heldSources([A, B, C, A], area);
    expect([...sources]).toEqual([
      [A, { base_dir: 'docs', path: `.zync-tmp-deleted/${A}` }],
      [B, { base_dir: 'other', path: `.zync-tmp-deleted/${B}` }],
    ]);
    expect(isInHoldingArea(sources.get(A)!.path)).toBe(true);
  });

  it('never takes a checksum that is not a plain SHA-256 for a name (no path out of the area)', () => {
    const area = new Map([['docs', new Set(['../x'])]]);
    expect(heldSources(['../x'], area).size).toBe(0);
  });

  it.each([
    ['.zync-tmp-deleted', true],
    [`.zync-tmp-deleted/${A}`, true],
    ['sub/.zync-tmp-deleted/x', false],
    ['.zync-tmp-deletedx', false],
  ])('%s is in the holding area: %s', (path, expected) => {
    expect(isInHoldingArea(path)).toBe(expected);
  });
});

describe('freeToHold', () => {
  const MiB = 1024 ** 2;
  it.each<[string, number, number, number, boolean]>([
    ['plenty free', 50 * MiB, 100 * MiB, 3 * MiB, true],
    ['exactly a tenth free and twice the file', 10 * MiB, 100 * MiB, 5 * MiB, true],
    ['less than a tenth free', 9 * MiB, 100 * MiB, 1 * MiB, false],
    ['less than twice the file free (a small disk)', 8 * MiB, 20 * MiB, 6 * MiB, false],
    ['a full disk', 0, 20 * MiB, 0, false],
  ])('%s', (_name, freeBytes, totalBytes, size, want) => {
    expect(freeToHold({ freeBytes, totalBytes }, size)).toBe(want);
  });
});
