import { describe, expect, it } from 'vitest';
import type { UpstreamSessionState } from '@zync/common';
import { fileKey, type StagedRecord } from './plan-upstream.js';
import { applyStagedStates, describeDropped, neverApplied } from './staged-states.js';

const record = (path: string, staging_id: string): StagedRecord => ({
  base_dir: 'd',
  path,
  staging_id,
  kind: 'file',
  operation: 'modify',
  checksum: 'b'.repeat(64),
  base_checksum: 'a'.repeat(64),
  mode: 0o644,
});
const records = (...rs: StagedRecord[]) => new Map(rs.map((r) => [fileKey(r.base_dir, r.path), r]));

describe('applyStagedStates', () => {
  it.each<[string, UpstreamSessionState | undefined, boolean]>([
    ['pending: still waiting for zync-apply', 'pending', true],
    ['partly applied: the rest still waits', 'partly_applied', true],
    ['still uploading', 'uploading', true],
    ['applied: arrives with the next pull, not staged twice', 'applied', true],
    ['nothing said (an older daemon): taken as waiting', undefined, true],
    ['discarded on E: sent again', 'discarded', false],
    ['aborted: sent again', 'aborted', false],
    ['unknown to the daemon: sent again', 'unknown', false],
  ])('%s', (_why, state, kept) => {
    const states = new Map<string, UpstreamSessionState>(state === undefined ? [] : [['S1', state]]);
    const result = applyStagedStates(records(record('a', 'S1'), record('b', 'S1'), record('c', 'S2')), states);
    expect([...result.kept.values()].map((r) => r.path)).toEqual(kept ? ['a', 'b', 'c'] : ['c']);
    expect(result.dropped).toEqual(kept ? [] : [{ staging_id: 'S1', state, records: 2 }]);
  });

  it("drops an applied session's records once R has pulled all of E's log: E kept its version without a word", () => {
    const states = new Map<string, UpstreamSessionState>([['S1', 'applied'], ['S2', 'pending']]);
    const staged = records(record('a', 'S1'), record('c', 'S2'));
    expect([...applyStagedStates(staged, states, false).kept.keys()]).toEqual([fileKey('d', 'a'), fileKey('d', 'c')]);
    const result = applyStagedStates(staged, states, true);
    expect([...result.kept.keys()]).toEqual([fileKey('d', 'c')]);
    expect(result.dropped).toEqual([{ staging_id: 'S1', state: 'applied', records: 1 }]);
    expect(describeDropped(result.dropped[0]!)).toBe(
      "Session S1 was applied on E keeping E's version of a file R had changed, which R never heard of: its change is sent again if R still holds it.",
    );
  });

  it('reports each dropped session once, in staging id order', () => {
    const result = applyStagedStates(
      records(record('a', 'S2'), record('b', 'S1'), record('c', 'S2')),
      new Map<string, UpstreamSessionState>([
        ['S1', 'unknown'],
        ['S2', 'discarded'],
      ]),
    );
    expect(result.kept.size).toBe(0);
    expect(result.dropped.map((d) => [d.staging_id, d.records])).toEqual([
      ['S1', 1],
      ['S2', 2],
    ]);
  });
});

describe('describeDropped', () => {
  it.each<[UpstreamSessionState, number, string]>([
    ['discarded', 3, 'Session S1 was discarded on E: its 3 changes are sent again if R still holds them.'],
    ['aborted', 1, 'Session S1 was aborted on E: its change is sent again if R still holds it.'],
    ['unknown', 2, 'Session S1 is unknown to E (its staging records are gone): its 2 changes are sent again if R still holds them.'],
  ])('%s', (state, n, line) => {
    expect(describeDropped({ staging_id: 'S1', state, records: n })).toBe(line);
  });
});

describe('neverApplied', () => {
  it('names the sessions E discarded or aborted, not those it may still apply, applied, or does not know', () => {
    const states = new Map<string, UpstreamSessionState>([
      ['S1', 'discarded'],
      ['S2', 'aborted'],
      ['S3', 'pending'],
      ['S4', 'applied'],
      ['S5', 'unknown'],
      ['S6', 'partly_applied'],
    ]);
    expect(neverApplied(['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7'], states)).toEqual(['S1', 'S2']);
  });
});
