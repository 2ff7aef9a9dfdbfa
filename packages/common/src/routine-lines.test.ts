import { describe, expect, it } from 'vitest';
import { RoutineLines } from './routine-lines.js';

describe('RoutineLines', () => {
  const lines = () => new RoutineLines<number>((a, b) => a + b, 10_000);

  it('says the first line of a quiet spell, sums the rest of the window, and is quiet once the sum is said', () => {
    const r = lines();
    expect(r.note(0, 1)).toBe('info');
    expect(r.dueAt()).toBeNull();
    for (let t = 50; t < 10_000; t += 50) expect(r.note(t, 1)).toBe('debug');
    expect(r.dueAt()).toBe(10_000);
    expect(r.flush(10_000)).toEqual({ count: 199, total: 199 });
    expect(r.flush(10_001)).toBeNull();
    // Churn going on: summed into the next window's line, not said one by one.
    expect(r.note(10_050, 2)).toBe('debug');
    expect(r.dueAt()).toBe(20_000);
    expect(r.flush(20_000)).toEqual({ count: 1, total: 2 });
    // A quiet spell later: the first line is said again.
    expect(r.note(40_000, 1)).toBe('info');
  });

  it('keeps summing past the window until the sum is said (a late timer)', () => {
    const r = lines();
    r.note(0, 1);
    r.note(5_000, 1);
    expect(r.note(12_000, 1)).toBe('debug');
    expect(r.flush(12_001)).toEqual({ count: 2, total: 2 });
  });
});
