import { describe, expect, it } from 'vitest';
import { judgeLiveness, type LivenessSample } from './heartbeat.js';

const options = { intervalMs: 2000, missedBeats: 2 };
const base: LivenessSample = { at: 10_000, bytesRead: 500, flushed: 1000, backlog: 0, readingPaused: false };
const next = (fields: Partial<LivenessSample>): LivenessSample => ({ ...base, at: base.at + 2000, ...fields });

describe('judgeLiveness', () => {
  it.each([
    { name: 'bytes arrived (a pong, a ping or data)', prev: base, cur: next({ bytesRead: 506 }), silent: 1, sign: 'read', dead: false },
    { name: 'our backlog is draining (slow link, ping queued behind content)', prev: { ...base, backlog: 4_000_000 }, cur: next({ flushed: 3_000_000, backlog: 2_000_000 }), silent: 1, sign: 'flushed', dead: false },
    { name: 'the tick ran late (our own event loop was blocked)', prev: base, cur: next({ at: base.at + 9000 }), silent: 1, sign: 'late-tick', dead: false },
    { name: 'we paused reading and have nothing to send', prev: base, cur: next({ readingPaused: true }), silent: 1, sign: 'paused', dead: false },
    { name: 'first silent interval', prev: base, cur: next({}), silent: 0, sign: null, dead: false },
    { name: 'second silent interval: dead', prev: base, cur: next({}), silent: 1, sign: null, dead: true },
    { name: 'only our own ping left (no backlog before): silent', prev: base, cur: next({ flushed: 1006 }), silent: 1, sign: null, dead: true },
    { name: 'a backlog that does not move: dead (stalled tunnel)', prev: { ...base, backlog: 8_000_000 }, cur: next({ backlog: 8_000_006 }), silent: 1, sign: null, dead: true },
    { name: 'paused but a backlog that does not move: dead', prev: { ...base, backlog: 300 }, cur: next({ backlog: 300, readingPaused: true }), silent: 1, sign: null, dead: true },
  ] as const)('$name', ({ prev, cur, silent, sign, dead }) => {
    const verdict = judgeLiveness(prev, cur, silent, options);
    expect(verdict.sign).toBe(sign);
    expect(verdict.dead).toBe(dead);
    expect(verdict.silentBeats).toBe(sign === null ? silent + 1 : 0);
  });
});
