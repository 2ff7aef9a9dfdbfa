import { describe, expect, it } from 'vitest';
import type { StagingSession } from '@zync/daemon';
import { planDiscard } from './discard-plan.js';

const session = (over: Partial<StagingSession> = {}): StagingSession => ({
  staging_id: 'S1',
  client_id: 'r1',
  host_name: null,
  applied_from: null,
  status: 'complete',
  created: 1,
  updated: Date.UTC(2026, 0, 2),
  file_count: 5,
  received_count: 5,
  conflict_count: 0,
  total_bytes: 10,
  reason: null,
  ...over,
});

describe('planDiscard', () => {
  it.each<[string, StagingSession | null, number, string | RegExp]>([
    ['a complete session nothing was applied of is discarded', session(), 0, 'discard'],
    ['a session discarded already is finished again (a re-run after a crash)', session({ status: 'discarded' }), 0, 'finish'],
    ['an unknown id', null, 0, /^There is no staging session S1; run zync-apply list --all/],
    ['an applied session', session({ status: 'applied' }), 5, /^Session S1 was applied on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d; an applied session cannot be discarded\.$/],
    ['a partly applied session', session(), 2, /^Session S1 is partly applied \(2 of 5 changes\); it cannot be discarded — finish it with zync-apply apply S1\.$/],
    ['an aborted session', session({ status: 'aborted' }), 0, /^Session S1 was aborted before it was complete; there is nothing to discard/],
    ['a session still uploading', session({ status: 'in_progress' }), 0, /^Session S1 is still being uploaded/],
  ])('%s', (_why, s, touched, expected) => {
    const plan = planDiscard(s, touched, 'S1', null);
    if (typeof expected === 'string') expect(plan.action).toBe(expected);
    else {
      expect(plan.action).toBe('refuse');
      if (plan.action === 'refuse') {
        expect(plan.error.message).toMatch(expected);
        expect(plan.error.code).toBe('SESSION_NOT_APPLIABLE');
      }
    }
  });
});
