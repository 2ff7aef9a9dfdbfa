import { describe, expect, it } from 'vitest';
import { waitingSessionsNote } from './waiting-sessions.js';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const DAY = 24 * 3600_000;

describe('waitingSessionsNote', () => {
  it.each<[string, number[], string, string | null]>([
    ['no session waits: nothing to say', [], 'sync.db', null],
    ['one session', [NOW - 3 * DAY], '/srv/state/sync.db', '1 upstream session waits for zync-apply, since 2026-11-21 12:00 UTC (3 days ago): zync-apply --db /srv/state/sync.db list shows it'],
    [
      'several: counted, the oldest named, whatever their order',
      [NOW - 3600_000, NOW - 10 * DAY, NOW - DAY],
      'sync.db',
      '3 upstream sessions wait for zync-apply, the oldest since 2026-11-14 12:00 UTC (10 days ago): zync-apply --db sync.db list shows them',
    ],
    ['a --db that needs quoting is quoted', [NOW - 60_000], 'my state/sync.db', "1 upstream session waits for zync-apply, since 2026-11-24 11:59 UTC (1 minute ago): zync-apply --db 'my state/sync.db' list shows it"],
  ])('%s', (_name, created, db, expected) => {
    expect(waitingSessionsNote(created, NOW, db)).toBe(expected);
  });
});
