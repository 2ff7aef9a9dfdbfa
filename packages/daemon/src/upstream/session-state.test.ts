import { describe, expect, it } from 'vitest';
import { sessionState } from './session-state.js';

describe('sessionState', () => {
  it.each([
    ['no such session of this client', null, 'unknown'],
    ['complete, nothing applied', { status: 'complete', applied_count: 0 }, 'pending'],
    ['complete, an apply stopped half way', { status: 'complete', applied_count: 2 }, 'partly_applied'],
    ['applied', { status: 'applied', applied_count: 3 }, 'applied'],
    ['discarded', { status: 'discarded', applied_count: 0 }, 'discarded'],
    ['aborted', { status: 'aborted', applied_count: 0 }, 'aborted'],
    ['still uploading', { status: 'in_progress', applied_count: 0 }, 'uploading'],
  ] as const)('%s', (_why, session, state) => {
    expect(sessionState(session)).toBe(state);
  });
});
