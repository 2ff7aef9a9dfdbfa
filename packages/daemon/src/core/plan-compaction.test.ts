import { describe, expect, it } from 'vitest';
import { planCompaction, type CompactionCandidate } from './plan-compaction.js';

const HORIZON = 10_000;
const old = 5_000;
const recent = 20_000;
const c = (sequence: number, operation: CompactionCandidate['operation'], latest: number | null, timestamp = old): CompactionCandidate => ({
  sequence,
  operation,
  timestamp,
  latest,
});

interface Case {
  name: string;
  candidates: CompactionCandidate[];
  before?: number;
  drop: number[];
  tombstones: number[];
  compactedThrough: number;
}

const cases: Case[] = [
  { name: 'an empty chunk changes nothing', candidates: [], before: 7, drop: [], tombstones: [], compactedThrough: 7 },
  { name: 'the latest entry of a live path stays, however old', candidates: [c(1, 'add', 1), c(2, 'modify', 2)], drop: [], tombstones: [], compactedThrough: 0 },
  {
    name: 'superseded entries go without moving compacted_through',
    candidates: [c(1, 'add', 3), c(2, 'modify', 3), c(3, 'modify', 3, recent)],
    drop: [1, 2],
    tombstones: [],
    compactedThrough: 0,
  },
  {
    name: 'superseded entries go even when they are recent',
    candidates: [c(4, 'add', 5, recent), c(5, 'modify', 5, recent)],
    drop: [4],
    tombstones: [],
    compactedThrough: 0,
  },
  {
    name: 'a tombstone older than the horizon goes and moves compacted_through',
    candidates: [c(1, 'add', 2), c(2, 'delete', 2)],
    drop: [1, 2],
    tombstones: [2],
    compactedThrough: 2,
  },
  {
    name: 'a tombstone younger than the horizon stays',
    candidates: [c(1, 'add', 2), c(2, 'delete', 2, recent)],
    drop: [1],
    tombstones: [],
    compactedThrough: 0,
  },
  {
    name: 'a tombstone exactly at the horizon stays',
    candidates: [c(2, 'delete', 2, HORIZON)],
    drop: [],
    tombstones: [],
    compactedThrough: 0,
  },
  {
    name: 'a delete followed by a re-add is superseded, not a tombstone',
    candidates: [c(1, 'add', 3), c(2, 'delete', 3), c(3, 'add', 3)],
    drop: [1, 2],
    tombstones: [],
    compactedThrough: 0,
  },
  {
    name: 'an entry whose path has no state row left is dropped',
    candidates: [c(1, 'add', null)],
    before: 9,
    drop: [1],
    tombstones: [],
    compactedThrough: 9,
  },
  {
    name: 'compacted_through never goes down',
    candidates: [c(3, 'delete', 3)],
    before: 50,
    drop: [3],
    tombstones: [3],
    compactedThrough: 50,
  },
  {
    name: 'the highest dropped tombstone wins',
    candidates: [c(7, 'delete', 7), c(8, 'add', 8), c(9, 'delete', 9), c(10, 'delete', 10, recent)],
    drop: [7, 9],
    tombstones: [7, 9],
    compactedThrough: 9,
  },
];

describe('planCompaction', () => {
  it.each(cases)('$name', ({ candidates, before = 0, drop, tombstones, compactedThrough }) => {
    expect(planCompaction(candidates, { tombstonesBefore: HORIZON, compactedThrough: before })).toEqual({ drop, tombstones, compactedThrough });
  });
});
