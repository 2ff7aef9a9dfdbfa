import { describe, expect, it } from 'vitest';
import { formatAge } from './time-ago.js';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const MIN = 60_000;

describe('formatAge', () => {
  it.each([
    ['seconds ago', NOW - 30_000, 'just now'],
    ['a time after now (a clock stepped back)', NOW + 5 * MIN, 'just now'],
    ['one minute', NOW - MIN, '1 minute ago'],
    ['59 minutes', NOW - 59 * MIN, '59 minutes ago'],
    ['an hour', NOW - 60 * MIN, '1 hour ago'],
    ['a day and a half, still in hours', NOW - 36 * 60 * MIN, '36 hours ago'],
    ['two days', NOW - 48 * 60 * MIN, '2 days ago'],
    ['three weeks', NOW - 21 * 24 * 60 * MIN, '21 days ago'],
  ])('%s', (_name, at, expected) => {
    expect(formatAge(at, NOW)).toBe(expected);
  });
});
