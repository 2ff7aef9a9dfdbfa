import { describe, expect, it } from 'vitest';
import { chmodOnR, localBitsAfterWrite, mergeFileMode, withOwnBitsWhereModeless, type FileModeMerge, type ReceivedBits } from './file-modes.js';

describe('mergeFileMode', () => {
  it.each<[string, ReceivedBits | null, number, number, FileModeMerge]>([
    ['neither side changed the bits', { mode: 0o644 }, 0o644, 0o644, { bits: 0o644, keptR: false, replacedR: null }],
    ['only E changed them: E\'s', { mode: 0o644 }, 0o644, 0o755, { bits: 0o755, keptR: false, replacedR: null }],
    ['only R changed them: R\'s stay, kept for upstream', { mode: 0o644 }, 0o755, 0o644, { bits: 0o755, keptR: true, replacedR: null }],
    ['both changed them alike: nothing to keep or say', { mode: 0o644 }, 0o755, 0o755, { bits: 0o755, keptR: false, replacedR: null }],
    ['both changed them differently: E\'s, R\'s replaced', { mode: 0o644 }, 0o600, 0o700, { bits: 0o700, keptR: false, replacedR: 0o600 }],
    ['nothing received (R\'s own file): E\'s, nothing said', null, 0o600, 0o644, { bits: 0o644, keptR: false, replacedR: null }],
    ['file type bits are not permission bits', { mode: 0o100644 }, 0o100755, 0o100644, { bits: 0o755, keptR: true, replacedR: null }],
    // A root without Unix modes shows 755 for every file, whatever E's: no chmod of R's.
    ['R\'s disk shows its own bits, as it did once written: E\'s', { mode: 0o644, local_mode: 0o755 }, 0o755, 0o644, { bits: 0o644, keptR: false, replacedR: null }],
    ['R\'s disk shows its own bits, E chmodded: E\'s, nothing said', { mode: 0o644, local_mode: 0o755 }, 0o755, 0o600, { bits: 0o600, keptR: false, replacedR: null }],
    ['R chmodded against the bits its disk had: R\'s stay', { mode: 0o644, local_mode: 0o644 }, 0o755, 0o644, { bits: 0o755, keptR: true, replacedR: null }],
  ])('%s', (_name, base, r, e, expected) => {
    expect(mergeFileMode(base, r, e)).toEqual(expected);
  });
});

describe('chmodOnR', () => {
  it.each<[string, ReceivedBits, number, number | null]>([
    ['R\'s file has E\'s bits: none', { mode: 0o644 }, 0o644, null],
    ['R\'s file has others (recorded before its own were kept): R\'s', { mode: 0o644 }, 0o755, 0o755],
    ['R\'s file has the bits it had once written (vfat): none', { mode: 0o644, local_mode: 0o755 }, 0o755, null],
    ['R\'s file has others than once written: R\'s', { mode: 0o644, local_mode: 0o644 }, 0o700, 0o700],
  ])('%s', (_name, received, r, expected) => {
    expect(chmodOnR(received, r)).toBe(expected);
  });
});

describe('localBitsAfterWrite', () => {
  it.each<[string, number, number, number, number]>([
    ['E\'s bits written and kept', 0o644, 0o644, 0o644, 0o644],
    ['E\'s bits written, the disk shows its own (vfat)', 0o644, 0o755, 0o644, 0o755],
    ['R\'s chmod written over E\'s and kept: unchmodded, the file would have E\'s', 0o755, 0o755, 0o644, 0o644],
    ['R\'s chmod written over E\'s, the disk shows its own: no chmod of R\'s', 0o700, 0o755, 0o644, 0o755],
  ])('%s', (_name, wrote, got, e, expected) => {
    expect(localBitsAfterWrite(wrote, got, e)).toBe(expected);
  });
});

describe('withOwnBitsWhereModeless', () => {
  it.each<[string, ReceivedBits, number, boolean, ReceivedBits]>([
    ['a root that keeps bits: the record stands (E\'s bits for R\'s file\'s own)', { mode: 0o644 }, 0o755, true, { mode: 0o644 }],
    ['a root without modes, own bits not known (an older zync, a placement adopted): those it shows', { mode: 0o644 }, 0o100755, false, { mode: 0o644, local_mode: 0o755 }],
    ['a root without modes, own bits null: those it shows', { mode: 0o644, local_mode: null }, 0o755, false, { mode: 0o644, local_mode: 0o755 }],
    ['a root without modes, own bits known: they stand', { mode: 0o644, local_mode: 0o755 }, 0o555, false, { mode: 0o644, local_mode: 0o755 }],
  ])('%s', (_name, received, shown, keepsModes, expected) => {
    expect(withOwnBitsWhereModeless(received, shown, keepsModes)).toEqual(expected);
  });
});
