import { describe, expect, it } from 'vitest';
import { cannotOpen } from './read-small-file.js';

describe('cannotOpen', () => {
  it.each([
    // Not permitted: R skips the entry; the watcher logs the file again once it can be read.
    ['EACCES', 'NOT_FOUND'],
    ['EPERM', 'NOT_FOUND'],
    // Passing trouble: R must retry, not skip a file it would then never get.
    ['EMFILE', 'FILE_CHANGED'],
    ['ENFILE', 'FILE_CHANGED'],
    ['EIO', 'FILE_CHANGED'],
    [undefined, 'FILE_CHANGED'],
  ])('%s -> %s', (code, expected) => {
    const err = cannotOpen('docs', 'a.txt', code);
    expect(err.code).toBe(expected);
    expect(err.message).toContain('docs/a.txt');
  });
});
