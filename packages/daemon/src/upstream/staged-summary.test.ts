import { describe, expect, it } from 'vitest';
import { summarizeStaged } from './staged-summary.js';

const done = { staging_id: 'S', file_count: 3, conflict_count: 1 };
const entries = (...numbers: number[]) => numbers.map((entry_no) => ({ entry_no }));

describe('summarizeStaged', () => {
  it.each<[string, number[], number[], number | undefined]>([
    ['files E staged from its own copies, all still in the session', [1, 2, 3], [1, 3], 2],
    ['none from E: no from_e at all', [1, 2, 3], [], undefined],
    ['one R took back out before FINALIZE (its row is gone)', [1, 3, 4], [1, 2], 1],
    ['one R took out and sent again with its bytes (a new entry, not from E)', [1, 3, 4], [2], undefined],
    ['one R took out and offered again, staged from E again (counted once)', [1, 3, 4], [2, 4], 1],
    ['one E answered CONTENT_NEEDED for, then staged from R’s bytes', [1, 2, 3], [], undefined],
  ])('%s', (_name, staged, fromE, count) => {
    const summary = summarizeStaged(done, entries(...staged), new Set(fromE));
    expect(summary).toEqual({ staging_id: 'S', file_count: 3, conflict_count: 1, ...(count === undefined ? {} : { from_e: count }) });
  });
});
