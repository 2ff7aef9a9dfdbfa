import { describe, expect, it } from 'vitest';
import { NO_FAILURE, retryNote, type RetryMemory } from './retry-news.js';

const MIN = 60_000;
const REFUSED = 'Cannot reach the daemon at ws://localhost:8000: connection refused.';
const SILENT = 'Cannot reach the daemon at ws://localhost:8000: no answer to the WebSocket handshake within 15 s.';

describe('retryNote', () => {
  it.each<[string, RetryMemory, string, number, { level: string; minutes?: number; memory: RetryMemory }]>([
    ['the first failure warns', NO_FAILURE, REFUSED, 0, { level: 'warn', memory: { reason: REFUSED, since: 0, saidAt: 0 } }],
    ['the same failure 30 s later is debug only', { reason: REFUSED, since: 0, saidAt: 0 }, REFUSED, 30_000, { level: 'debug', memory: { reason: REFUSED, since: 0, saidAt: 0 } }],
    [
      'ten minutes after it was said: one info line, with how long it has lasted',
      { reason: REFUSED, since: 0, saidAt: 0 },
      REFUSED,
      10 * MIN,
      { level: 'info', minutes: 10, memory: { reason: REFUSED, since: 0, saidAt: 10 * MIN } },
    ],
    ['and debug again after that', { reason: REFUSED, since: 0, saidAt: 10 * MIN }, REFUSED, 10 * MIN + 30_000, { level: 'debug', memory: { reason: REFUSED, since: 0, saidAt: 10 * MIN } }],
    [
      'another reason warns at once, the failure still counted from its start',
      { reason: REFUSED, since: 0, saidAt: 10 * MIN },
      SILENT,
      11 * MIN,
      { level: 'warn', memory: { reason: SILENT, since: 0, saidAt: 11 * MIN } },
    ],
  ])('%s', (_why, memory, reason, now, expected) => {
    expect(retryNote(memory, reason, now)).toEqual(expected);
  });

  it('a day of failures every 30 s says ~150 lines, not ~2,900', () => {
    let memory = NO_FAILURE;
    let said = 0;
    for (let now = 0; now < 24 * 60 * MIN; now += 30_000) {
      const note = retryNote(memory, REFUSED, now);
      memory = note.memory;
      if (note.level !== 'debug') said++;
    }
    expect(said).toBe(1 + 24 * 6 - 1);
  });
});
