import { describe, expect, it } from 'vitest';
import type { DirSpec } from '@zync/common';
import { reconcileDirs } from './dirs.js';

const docs = { name: 'docs', root: '/srv/docs' };
const code = { name: 'code', root: '/srv/code' };

describe('reconcileDirs', () => {
  it.each<[string, DirSpec[], DirSpec[] | null, DirSpec[] | string]>([
    ['defaults to the recorded mapping', [docs, code], null, [docs, code]],
    ['accepts a --dirs that agrees', [docs, code], [docs], [docs, code]],
    ['refuses a root that differs', [docs], [{ name: 'docs', root: '/elsewhere' }], 'BAD_ARGUMENT'],
    ['refuses a name the daemon does not serve', [docs], [code], 'BAD_ARGUMENT'],
    ['needs --dirs when nothing is recorded', [], null, 'BAD_ARGUMENT'],
    ['uses --dirs when nothing is recorded', [], [docs], [docs]],
  ])('%s', (_name, recorded, given, expected) => {
    if (typeof expected === 'string') expect(() => reconcileDirs(recorded, given)).toThrow(expect.objectContaining({ code: expected }));
    else expect(reconcileDirs(recorded, given)).toEqual(expected);
  });
});
