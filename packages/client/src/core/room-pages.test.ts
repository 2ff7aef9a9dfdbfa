import type { ChangeEntry } from '@zync/common';
import { describe, expect, it } from 'vitest';
import { entriesToApply, heldSequence, nextWaiting, readAgain, type Waiting, decodeReadThrough, encodeReadThrough } from './room-pages.js';

const entry = (path: string, sequence: number, operation: ChangeEntry['operation'] = 'add'): ChangeEntry => ({
  sequence,
  operation,
  kind: 'file',
  base_dir: 'docs',
  path,
  checksum: operation === 'delete' ? null : 'c'.repeat(64),
  size: 3,
  mtime: 1,
  mode: 0o644,
  timestamp: 1,
});
const key = (path: string) => `docs\0${path}`;

describe('entriesToApply', () => {
  const records = new Map([
    [key('held.txt'), { sequence: 40, seen_gen: 2 }],
    [key('same.txt'), { sequence: 12, seen_gen: 2 }],
    [key('older.txt'), { sequence: 5, seen_gen: 2 }],
    [key('before-resync.txt'), { sequence: 40, seen_gen: 1 }],
  ]);
  it.each<[string, ChangeEntry, boolean]>([
    ['no record: applied', entry('new.txt', 12), true],
    ['R holds a later state (E rewrote it after, applied past a waiting file): passed over', entry('held.txt', 12), false],
    ['a deletion R already saw re-added later: passed over, R keeps the file', entry('held.txt', 12, 'delete'), false],
    ['R holds exactly this entry: passed over', entry('same.txt', 12), false],
    ['R holds an older state: applied', entry('older.txt', 12), true],
    ['a record not confirmed in this generation (a resync under way): applied, so it is confirmed', entry('before-resync.txt', 12), true],
  ])('%s', (_why, e, applied) => {
    expect(entriesToApply([e], records, 2)).toEqual(applied ? [e] : []);
  });
});

describe('nextWaiting', () => {
  const huge = entry('huge.bin', 5);
  it.each<[string, Waiting, ChangeEntry[], ChangeEntry[], [string, number][]]>([
    ['a file that did not fit starts to wait', new Map(), [huge, entry('a.txt', 6)], [huge], [[key('huge.bin'), 5]]],
    ['a page without it leaves it waiting', new Map([[key('huge.bin'), 5]]), [entry('a.txt', 7000)], [], [[key('huge.bin'), 5]]],
    ["E's deletion of it, applied, ends the wait", new Map([[key('huge.bin'), 5]]), [entry('huge.bin', 7000, 'delete')], [], []],
    ["E's rewrite that fits ends the wait", new Map([[key('huge.bin'), 5]]), [entry('huge.bin', 7000)], [], []],
    ["E's rewrite that does not fit either waits in its place, at its sequence", new Map([[key('huge.bin'), 5]]), [entry('huge.bin', 7000)], [entry('huge.bin', 7000)], [[key('huge.bin'), 7000]]],
  ])('%s', (_why, waiting, tried, noRoom, expected) => {
    expect([...nextWaiting(waiting, tried, noRoom)]).toEqual(expected);
  });
});

describe('heldSequence', () => {
  it.each<[string, number, number, [string, number][], number[], number]>([
    ['nothing waits: the whole page', 0, 5000, [], [], 5000],
    ['a waiting file holds R just before it, pages later', 4, 15000, [[key('huge.bin'), 5]], [], 4],
    ['the oldest waiting file holds', 4, 15000, [[key('b'), 9000], [key('a'), 7]], [], 6],
    ['another failure before it holds', 4, 15000, [[key('huge.bin'), 9000]], [8000], 7999],
    ['never back from what R acknowledged', 10, 15000, [[key('huge.bin'), 5]], [], 10],
  ])('%s', (_why, from, to, waiting, failed, expected) => {
    expect(heldSequence(from, to, new Map(waiting), failed)).toBe(expected);
  });
});

describe('readAgain', () => {
  const through = { log_id: 'L', generation: 1, sequence: 15000, waiting: new Map([[key('huge.bin'), 5]]) };
  it.each<[string, ChangeEntry, boolean]>([
    ['the waiting entry is tried again', entry('huge.bin', 5), true],
    ['an entry applied in an earlier read is passed over (E deleted it since: no record to go by)', entry('gone.txt', 7), false],
    ['an older entry at the waiting path is passed over', entry('huge.bin', 3), false],
    ['an entry past what was read is applied', entry('new.txt', 15001), true],
  ])('%s', (_why, e, applied) => {
    expect(readAgain([e], through)).toEqual(applied ? [e] : []);
  });
  it('applies everything when the run read nothing past R\'s position', () => {
    expect(readAgain([entry('a.txt', 7)], null)).toEqual([entry('a.txt', 7)]);
  });
});

describe('encodeReadThrough / decodeReadThrough', () => {
  it('keeps how far R read and what still waited, across a restart', () => {
    const through = { log_id: 'L', generation: 3, sequence: 5200, waiting: new Map([['docs\0big/huge.bin', 2]]) };
    expect(decodeReadThrough(encodeReadThrough(through))).toEqual(through);
  });

  it('reads nothing kept, or anything unreadable, as none: R goes by its records alone', () => {
    for (const text of [null, undefined, '', '{', '[]', '{"log_id":"L","generation":1,"sequence":2}', '{"log_id":"L","generation":1,"sequence":2,"waiting":[["a","b"]]}']) {
      expect(decodeReadThrough(text)).toBeNull();
    }
  });
});
