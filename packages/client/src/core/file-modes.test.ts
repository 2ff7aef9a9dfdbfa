import { describe, expect, it } from 'vitest';
import { mergeFileMode, type FileModeMerge } from './file-modes.js';

describe('mergeFileMode', () => {
  it.each<[string, number | null, number, number, FileModeMerge]>([
    ['neither side changed the bits', 0o644, 0o644, 0o644, { bits: 0o644, keptR: false, replacedR: null }],
    ['only E changed them: E\'s', 0o644, 0o644, 0o755, { bits: 0o755, keptR: false, replacedR: null }],
    ['only R changed them: R\'s stay, kept for upstream', 0o644, 0o755, 0o644, { bits: 0o755, keptR: true, replacedR: null }],
    ['both changed them alike: nothing to keep or say', 0o644, 0o755, 0o755, { bits: 0o755, keptR: false, replacedR: null }],
    ['both changed them differently: E\'s, R\'s replaced', 0o644, 0o600, 0o700, { bits: 0o700, keptR: false, replacedR: 0o600 }],
    ['nothing received (R\'s own file): E\'s, nothing said', null, 0o600, 0o644, { bits: 0o644, keptR: false, replacedR: null }],
    ['file type bits are not permission bits', 0o100644, 0o100755, 0o100644, { bits: 0o755, keptR: true, replacedR: null }],
  ])('%s', (_name, base, r, e, expected) => {
    expect(mergeFileMode(base, r, e)).toEqual(expected);
  });
});
