import type { ChangeEntry } from '@zync/common';
import { describe, expect, it } from 'vitest';
import { LateMoves, MAX_AWAITING, type AwaitingMove } from './late-moves.js';

const X = 'a'.repeat(64);
const Y = 'b'.repeat(64);
const add = (path: string, checksum: string | null, over: Partial<ChangeEntry> = {}): ChangeEntry => ({
  sequence: 5001,
  operation: 'add',
  kind: 'file',
  base_dir: 'docs',
  path,
  checksum,
  size: 3,
  mtime: 1,
  mode: 0o644,
  timestamp: 1,
  ...over,
});
const deleted = (path: string, content: string): AwaitingMove => ({ base_dir: 'docs', path, copy: `${path}.zync-conflict`, content });
const moved = (from: AwaitingMove, to: string) => ({ from, to: { base_dir: 'docs', path: to } });

describe('LateMoves', () => {
  it.each<[string, AwaitingMove[], ChangeEntry[], ReturnType<typeof moved>[]]>([
    ['a later page adds the content at one path: a move', [deleted('a/x.txt', X)], [add('b/x.txt', X)], [moved(deleted('a/x.txt', X), 'b/x.txt')]],
    ['a modify of that content is an add as well', [deleted('a/x.txt', X)], [add('b/x.txt', X, { operation: 'modify' })], [moved(deleted('a/x.txt', X), 'b/x.txt')]],
    ['the content added at two paths: which one is not known', [deleted('a/x.txt', X)], [add('b/x.txt', X), add('c/x.txt', X)], []],
    ['two deletions of that content: which one moved is not known', [deleted('a/x.txt', X), deleted('a/y.txt', X)], [add('b/x.txt', X)], []],
    ['added back at the same path: not a move', [deleted('a/x.txt', X)], [add('a/x.txt', X)], []],
    ['other content, a deletion, a directory', [deleted('a/x.txt', X)], [add('b/x.txt', Y), add('b/x.txt', null, { operation: 'delete' }), add('b', null, { kind: 'dir' })], []],
  ])('%s', (_why, deletions, page, expected) => {
    const moves = new LateMoves();
    moves.remember(deletions);
    expect(moves.complete(page)).toEqual(expected);
  });

  it('says a move once, and keeps waiting for one a page did not complete', () => {
    const moves = new LateMoves();
    moves.remember([deleted('a/x.txt', X), deleted('a/y.txt', Y)]);
    expect(moves.complete([add('b/x.txt', X)])).toHaveLength(1);
    expect(moves.complete([add('c/x.txt', X)])).toEqual([]);
    expect(moves.complete([add('b/y.txt', Y)])).toEqual([moved(deleted('a/y.txt', Y), 'b/y.txt')]);
  });

  it(`remembers at most ${MAX_AWAITING} deletions`, () => {
    const moves = new LateMoves();
    const many = Array.from({ length: MAX_AWAITING + 1 }, (_, i) => deleted(`a/${i}`, i.toString(16).padStart(64, '0')));
    moves.remember(many);
    expect(moves.complete([add('b/last', many.at(-1)!.content)])).toEqual([]);
    expect(moves.complete([add('b/first', many[0]!.content)])).toHaveLength(1);
  });
});
