import { describe, expect, it } from 'vitest';
import { addEvents, takeSettled, type PendingMap, type WatchEvent, type WatchEventType } from './coalesce-events.js';

const OPTS = { settleMs: 100, maxWaitMs: 1000, limit: 1000 };
const ev = (type: WatchEventType, path: string, at: number, base_dir = 'd'): WatchEvent => ({ type, base_dir, path, at });

interface Case {
  name: string;
  events: WatchEvent[];
  now: number;
  /** Paths (base_dir/path) ready at `now`, in order, with their subtree flag. */
  ready: [string, boolean][];
  pendingAfter: string[];
}

const cases: Case[] = [
  { name: 'nothing pending', events: [], now: 1000, ready: [], pendingAfter: [] },
  { name: 'one add settles after settleMs', events: [ev('add', 'a', 0)], now: 100, ready: [['d/a', false]], pendingAfter: [] },
  { name: 'a fresh add is not ready yet', events: [ev('add', 'a', 0)], now: 99, ready: [], pendingAfter: ['d/a'] },
  {
    name: 'a burst on one path collapses to one item',
    events: [ev('add', 'a', 0), ev('change', 'a', 10), ev('change', 'a', 20), ev('unlink', 'a', 30)],
    now: 130,
    ready: [['d/a', false]],
    pendingAfter: [],
  },
  {
    name: 'the last event restarts the settle time',
    events: [ev('add', 'a', 0), ev('change', 'a', 90)],
    now: 150,
    ready: [],
    pendingAfter: ['d/a'],
  },
  {
    name: 'a path written forever is taken at maxWaitMs',
    events: Array.from({ length: 50 }, (_, i) => ev('change', 'log', i * 21)),
    now: 1000,
    ready: [['d/log', false]],
    pendingAfter: [],
  },
  {
    name: 'a rename is two paths: the old one and the new one',
    events: [ev('unlink', 'old.txt', 0), ev('add', 'new.txt', 0)],
    now: 100,
    ready: [['d/new.txt', false], ['d/old.txt', false]],
    pendingAfter: [],
  },
  {
    name: 'an editor save (temp written, renamed over) is one look at each name',
    events: [ev('add', '.x.txt.tmp', 0), ev('change', '.x.txt.tmp', 5), ev('unlink', '.x.txt.tmp', 10), ev('change', 'x.txt', 10)],
    now: 110,
    ready: [['d/.x.txt.tmp', false], ['d/x.txt', false]],
    pendingAfter: [],
  },
  {
    name: 'directory events ask for a subtree rescan, file events below stay pending too',
    events: [ev('addDir', 'n', 0), ev('add', 'n/f', 1), ev('addDir', 'n/m', 2)],
    now: 102,
    ready: [['d/n', true], ['d/n/f', false], ['d/n/m', true]],
    pendingAfter: [],
  },
  {
    name: 'a directory removed and recreated keeps its subtree flag',
    events: [ev('unlinkDir', 'n', 0), ev('addDir', 'n', 5), ev('add', 'n/f', 6)],
    now: 106,
    ready: [['d/n', true], ['d/n/f', false]],
    pendingAfter: [],
  },
  {
    name: 'same path in two roots is two items',
    events: [ev('add', 'a', 0, 'x'), ev('add', 'a', 0, 'y')],
    now: 100,
    ready: [['x/a', false], ['y/a', false]],
    pendingAfter: [],
  },
  {
    name: 'only settled items are taken',
    events: [ev('add', 'early', 0), ev('add', 'late', 80)],
    now: 100,
    ready: [['d/early', false]],
    pendingAfter: ['d/late'],
  },
];

describe('coalesceEvents', () => {
  it.each(cases)('$name', ({ events, now, ready, pendingAfter }) => {
    const pending: PendingMap = addEvents(new Map(), events);
    const result = takeSettled(pending, now, OPTS);
    expect(result.ready.map((p) => [`${p.base_dir}/${p.path}`, p.subtree])).toEqual(ready);
    expect([...pending.values()].map((p) => `${p.base_dir}/${p.path}`).sort()).toEqual(pendingAfter);
  });

  it('says when the next item is due', () => {
    const pending = addEvents(new Map(), [ev('add', 'a', 0), ev('add', 'b', 50)]);
    expect(takeSettled(pending, 10, OPTS).nextDueAt).toBe(100);
    expect(takeSettled(pending, 100, OPTS)).toMatchObject({ nextDueAt: 150 });
    expect(takeSettled(pending, 150, OPTS)).toMatchObject({ nextDueAt: null });
  });

  it('takes at most `limit` items per batch, leaving the rest due at once', () => {
    const pending = addEvents(new Map(), Array.from({ length: 10 }, (_, i) => ev('add', `f${i}`, 0)));
    const first = takeSettled(pending, 200, { ...OPTS, limit: 4 });
    expect(first.ready).toHaveLength(4);
    expect(first.nextDueAt).toBe(200);
    expect(pending.size).toBe(6);
  });

  it('a 1,000-event burst over 100 paths leaves 100 items', () => {
    const events = Array.from({ length: 1000 }, (_, i) => ev(i % 3 === 0 ? 'add' : 'change', `p${i % 100}`, i));
    const pending = addEvents(new Map(), events);
    expect(pending.size).toBe(100);
    expect(takeSettled(pending, 1100, OPTS).ready).toHaveLength(100);
  });
});
