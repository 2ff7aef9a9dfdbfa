import type { ChangeEntry } from '@zync/common';
import { describe, expect, it } from 'vitest';
import { collapseChanges } from './collapse.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const e = (sequence: number, operation: ChangeEntry['operation'], path: string, over: Partial<ChangeEntry> = {}): ChangeEntry => ({
  sequence,
  operation,
  kind: 'file',
  base_dir: 'd',
  path,
  checksum: operation === 'delete' ? null : A,
  size: operation === 'delete' ? 0 : 3,
  mtime: 1000,
  mode: 0o644,
  timestamp: 1000,
  ...over,
});

describe('collapseChanges', () => {
  it.each<[string, ChangeEntry[], [number, string, string][]]>([
    ['empty batch', [], []],
    ['one entry stays', [e(1, 'add', 'a')], [[1, 'add', 'a']]],
    ['add then modify keeps the modify', [e(1, 'add', 'a'), e(2, 'modify', 'a', { checksum: B })], [[2, 'modify', 'a']]],
    ['add then delete keeps the delete', [e(1, 'add', 'a'), e(5, 'delete', 'a')], [[5, 'delete', 'a']]],
    ['delete then re-add keeps the add', [e(1, 'delete', 'a'), e(2, 'add', 'a')], [[2, 'add', 'a']]],
    ['paths stay apart', [e(1, 'add', 'a'), e(2, 'add', 'b'), e(3, 'modify', 'a')], [[2, 'add', 'b'], [3, 'modify', 'a']]],
    ['out-of-order input still keeps the highest sequence', [e(3, 'delete', 'a'), e(1, 'add', 'a')], [[3, 'delete', 'a']]],
    ['same path in two base dirs is two paths', [e(1, 'add', 'a'), e(2, 'add', 'a', { base_dir: 'x' })], [[1, 'add', 'a'], [2, 'add', 'a']]],
    ['a dir and a file under it are separate', [e(1, 'add', 'x', { kind: 'dir', checksum: null }), e(2, 'add', 'x/f')], [[1, 'add', 'x'], [2, 'add', 'x/f']]],
  ])('%s', (_name, input, expected) => {
    expect(collapseChanges(input).map((c) => [c.sequence, c.operation, c.path])).toEqual(expected);
  });
});
