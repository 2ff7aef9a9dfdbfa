import { describe, expect, it } from 'vitest';
import { decideStart, type DaemonPosition, type StartDecision, type StoredPosition } from './start-position.js';

const daemon: DaemonPosition = { log_id: 'L1', last_sequence: 100, compacted_through: 20 };
const stored = (over: Partial<StoredPosition> = {}): StoredPosition => ({ log_id: 'L1', sequence: 50, resyncing: false, ...over });

describe('decideStart', () => {
  it.each<[string, StoredPosition, DaemonPosition, string[], StartDecision['kind'], number | null, string[]?, string[]?]>([
    ['first contact', stored({ log_id: null, sequence: 0 }), daemon, [], 'resync', null],
    ['resume after the last ack', stored(), daemon, [], 'resume', 50],
    ['up to date', stored({ sequence: 100 }), daemon, [], 'resume', 100],
    ['the daemon database was recreated', stored(), { ...daemon, log_id: 'L2' }, [], 'resync', null],
    ['cursor older than what the log holds', stored({ sequence: 10 }), daemon, [], 'resync', null],
    ['cursor exactly at the compaction point', stored({ sequence: 20 }), daemon, [], 'resume', 20],
    ['cursor ahead of the log', stored({ sequence: 150 }), daemon, [], 'resync', null],
    ['an interrupted resync continues', stored({ sequence: 30, resyncing: true }), daemon, [], 'continue-resync', 30],
    ['an interrupted resync from 0 continues', stored({ sequence: 0, resyncing: true }), daemon, [], 'continue-resync', 0],
    ['an interrupted resync overtaken by compaction restarts', stored({ sequence: 10, resyncing: true }), daemon, [], 'resync', null],
    ['a local root changed', stored(), daemon, ['docs'], 'resync', null],
    ['a root left out of a pull since the last resync', stored(), daemon, [], 'resync', null, ['code']],
    ['such a root during an interrupted resync', stored({ sequence: 30, resyncing: true }), daemon, [], 'resync', null, ['code']],
    ['a local root gone missing (its records forgotten)', stored({ sequence: 100 }), daemon, [], 'resync', null, ['docs'], ['docs']],
    ['a root gone missing during an interrupted resync', stored({ sequence: 30, resyncing: true }), daemon, [], 'resync', null, ['docs'], ['docs']],
  ])('%s', (_name, s, d, roots, kind, since, uncovered = [], missing = []) => {
    const decision = decideStart(s, d, roots, uncovered, missing);
    expect(decision.kind).toBe(kind);
    expect('since' in decision ? decision.since : null).toBe(since);
  });

  const run = { run_id: 'A', sequence: 60 };
  it.each<[string, StoredPosition, DaemonPosition, StartDecision['kind'], number | null]>([
    ['the run R holds still logged its sequence', stored({ run }), { ...daemon, run_of: { sequence: 60, run_id: 'A' } }, 'resume', 50],
    ['another run logged it: E restored an older copy', stored({ run }), { ...daemon, run_of: { sequence: 60, run_id: 'B' } }, 'resync', null],
    ['no run logged it: its runs were all after the copy', stored({ run }), { ...daemon, run_of: { sequence: 60, run_id: null } }, 'resync', null],
    ['during an interrupted resync too', stored({ run, resyncing: true }), { ...daemon, run_of: { sequence: 60, run_id: 'B' } }, 'resync', null],
    ['an answer about another sequence says nothing', stored({ run }), { ...daemon, run_of: { sequence: 61, run_id: 'B' } }, 'resume', 50],
    ['an older daemon answers nothing', stored({ run }), daemon, 'resume', 50],
    ['an older client, or none since the resync began, holds no run', stored({ run: null }), { ...daemon, run_of: { sequence: 60, run_id: 'B' } }, 'resume', 50],
    ['another log_id is said as such', stored({ run }), { ...daemon, log_id: 'L2', run_of: { sequence: 60, run_id: 'B' } }, 'resync', null],
  ])('runs: %s', (_name, s, d, kind, since) => {
    const decision = decideStart(s, d);
    expect(decision.kind).toBe(kind);
    expect('since' in decision ? decision.since : null).toBe(since);
  });

  it('says a restored copy as such, and marks the log as another one', () => {
    const decision = decideStart(stored({ run }), { ...daemon, run_of: { sequence: 60, run_id: 'B' } }, ['docs'], ['code']);
    expect(decision).toMatchObject({ kind: 'resync', restored: true });
    expect(decision.kind === 'resync' && decision.reason).toMatch(/^E's database was restored from an older copy/);
    expect(decideStart(stored({ run }), { ...daemon, log_id: 'L2', run_of: { sequence: 60, run_id: 'B' } })).not.toHaveProperty('restored');
  });

  it('names a missing local directory as the reason, not a run that left the root out', () => {
    const decision = decideStart(stored(), daemon, [], ['docs'], ['docs']);
    expect(decision).toEqual({ kind: 'resync', reason: 'the local directory for docs was missing' });
  });
});
