import { describe, expect, it } from 'vitest';
import { newBurstState, noteEvent, takeEndedBurst } from './event-bursts.js';

const options = { threshold: 3, quietMs: 100 };

interface Case {
  name: string;
  /** When events were seen. */
  events: number[];
  /** When takeEndedBurst is asked. */
  now: number;
  expected: { rescan: boolean; askAt: number | null };
}

const cases: Case[] = [
  { name: 'no events: nothing to do', events: [], now: 1000, expected: { rescan: false, askAt: null } },
  { name: 'a spell below the threshold: nothing to do', events: [0, 10], now: 1000, expected: { rescan: false, askAt: null } },
  { name: 'a spell that reached it, still going: ask again when it would end', events: [0, 10, 20], now: 50, expected: { rescan: false, askAt: 120 } },
  { name: 'a spell that reached it and ended: rescan', events: [0, 10, 20], now: 120, expected: { rescan: true, askAt: null } },
  { name: 'events spread out with quiet gaps are separate spells', events: [0, 100, 200, 300], now: 1000, expected: { rescan: false, askAt: null } },
  { name: 'a gap just short of quiet keeps the spell going', events: [0, 99, 198], now: 297, expected: { rescan: false, askAt: 298 } },
];

describe('event bursts', () => {
  it.each(cases)('$name', ({ events, now, expected }) => {
    const state = newBurstState();
    for (const at of events) noteEvent(state, at, options);
    expect(takeEndedBurst(state, now, options)).toEqual(expected);
  });

  it('asks for one rescan per spell, and counts the next spell afresh', () => {
    const state = newBurstState();
    for (const at of [0, 1, 2]) noteEvent(state, at, options);
    expect(takeEndedBurst(state, 200, options).rescan).toBe(true);
    expect(takeEndedBurst(state, 300, options).rescan).toBe(false);
    noteEvent(state, 400, options);
    expect(takeEndedBurst(state, 600, options).rescan).toBe(false); // one event is no burst
  });

  it('still asks for the rescan of a spell that ended when the next event comes before it is taken', () => {
    // The watcher asks when the spell would end; a busy event loop can deliver the first event
    // after the quiet gap before that timer runs.
    const state = newBurstState();
    for (const at of [0, 1, 2]) noteEvent(state, at, options);
    noteEvent(state, 150, options);
    expect(takeEndedBurst(state, 151, options)).toEqual({ rescan: true, askAt: null });
    expect(takeEndedBurst(state, 152, options).rescan).toBe(false); // once
  });

  it('rescans for an ended spell and still watches a new one that reached the threshold', () => {
    const state = newBurstState();
    for (const at of [0, 1, 2, 150, 151, 152]) noteEvent(state, at, options);
    expect(takeEndedBurst(state, 160, options)).toEqual({ rescan: true, askAt: 252 });
    expect(takeEndedBurst(state, 252, options)).toEqual({ rescan: true, askAt: null });
  });
});
