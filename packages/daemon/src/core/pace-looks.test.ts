import { describe, expect, it } from 'vitest';
import { PACE_DEFAULTS, paceAfterLook, paceDueAt, paceExpired, type LookOutcome, type PathPace } from './pace-looks.js';

const O = { costFactor: 5, baseMs: 1000, maxMs: 30_000, quietMs: 1000, warnAfter: 3 };

/** Runs looks one after the other, each `hashMs` long, ending at the given times. */
function run(looks: { outcome: LookOutcome; at: number; hashMs: number }[]) {
  let pace: PathPace | undefined;
  const out: { pace: PathPace | null; warn: boolean; settled: boolean }[] = [];
  for (const look of looks) {
    const next = paceAfterLook(pace, look.outcome, look.at, look.hashMs, O);
    out.push(next);
    pace = next.pace ?? undefined;
  }
  return out;
}

describe('paceAfterLook', () => {
  it.each([
    { name: 'a cheap file that held still keeps nothing', outcome: 'whole' as const, hashMs: 1, pace: null },
    { name: 'a costly file that held still waits costFactor × its hash time', outcome: 'whole' as const, hashMs: 600, pace: { earliestAt: 13_000, unsettled: 0, holdUntil: 0 } },
    { name: 'a file that grew while read backs off baseMs', outcome: 'prefix' as const, hashMs: 1, pace: { earliestAt: 10_005, unsettled: 1, holdUntil: 11_000 } },
    { name: 'a file that changed otherwise backs off the same', outcome: 'nothing' as const, hashMs: 2, pace: { earliestAt: 10_010, unsettled: 1, holdUntil: 11_000 } },
  ])('$name', ({ outcome, hashMs, pace }) => {
    expect(paceAfterLook(undefined, outcome, 10_000, hashMs, O)).toEqual({ pace, warn: false, settled: false });
  });

  it('doubles the backoff while the file keeps changing, up to maxMs, and warns once on the way', () => {
    const looks = Array.from({ length: 8 }, (_, i) => ({ outcome: 'prefix' as const, at: i * 100_000, hashMs: 0 }));
    const out = run(looks);
    expect(out.map((o, i) => o.pace!.holdUntil - i * 100_000)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(out.map((o) => o.warn)).toEqual([false, false, true, false, false, false, false, false]);
  });

  it('says settled when a file that had been warned about holds still, and starts over', () => {
    const out = run([
      { outcome: 'nothing', at: 0, hashMs: 0 },
      { outcome: 'prefix', at: 1000, hashMs: 0 },
      { outcome: 'prefix', at: 3000, hashMs: 0 },
      { outcome: 'whole', at: 7000, hashMs: 0 },
      { outcome: 'prefix', at: 8000, hashMs: 0 },
    ]);
    expect(out.map((o) => o.settled)).toEqual([false, false, false, true, false]);
    expect(out[4]!.pace!.unsettled).toBe(1);
  });

  it('a short spell of changes (fewer looks than warnAfter) neither warns nor says settled', () => {
    const out = run([
      { outcome: 'prefix', at: 0, hashMs: 0 },
      { outcome: 'whole', at: 1000, hashMs: 0 },
    ]);
    expect(out.some((o) => o.warn || o.settled)).toBe(false);
  });
});

describe('paceDueAt', () => {
  const busy: PathPace = { earliestAt: 2000, unsettled: 3, holdUntil: 9000 };
  it.each([
    { name: 'events still coming: the backoff holds', pace: busy, lastEventAt: 8500, due: 9000 },
    { name: 'quiet since 3000: due at 4000, before the backoff ends', pace: busy, lastEventAt: 3000, due: 4000 },
    { name: 'quiet, but the cost wait is longer', pace: { ...busy, earliestAt: 6000 }, lastEventAt: 3000, due: 6000 },
    { name: 'a file that held still waits for its cost only', pace: { earliestAt: 2000, unsettled: 0, holdUntil: 0 }, lastEventAt: 1999, due: 2000 },
  ])('$name', ({ pace, lastEventAt, due }) => {
    expect(paceDueAt(pace, lastEventAt, O)).toBe(due);
  });
});

describe('paceExpired', () => {
  it('drops a settled pace once its wait is over, a busy one only long after its look was due', () => {
    expect(paceExpired({ earliestAt: 100, unsettled: 0, holdUntil: 0 }, 100, O)).toBe(true);
    expect(paceExpired({ earliestAt: 100, unsettled: 0, holdUntil: 0 }, 99, O)).toBe(false);
    expect(paceExpired({ earliestAt: 100, unsettled: 2, holdUntil: 5000 }, 20_000, O)).toBe(false);
    expect(paceExpired({ earliestAt: 100, unsettled: 2, holdUntil: 5000 }, 5000 + PACE_DEFAULTS.maxMs, O)).toBe(true);
  });
});
