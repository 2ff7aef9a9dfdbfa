// Which of R's staged records still hold, given where E says their sessions stand
// (UPSTREAM_STATUS). A record makes --update-upstream skip an edit a session on E already holds;
// once that session can never be applied — discarded on E, aborted, or unknown to the daemon —
// the record is dropped and the edit goes again. Records of a session still waiting (pending,
// partly applied, uploading) stay. So do those of an applied session: its changes reach R at the
// next pull, which forgets the records whose content it saw E hold (StagedRecords.forgetReturned,
// even when E changed or deleted the file since); dropping them earlier would stage R's content a
// second time, for E to apply again.
// Unless R has pulled all of E's log already (`rUpToDate`): then nothing of an applied session is
// still coming, and a record of it that stands is an edit E did not take without logging a thing
// (keep E's in a zync-apply older than this, which logged nothing): sent again, for E to decide.
// A session E said nothing about (an older daemon) is taken as waiting. Pure: no I/O.
import type { UpstreamSessionState } from '@zync/common';
import type { StagedRecord } from './plan-upstream.js';

const GONE: ReadonlySet<UpstreamSessionState> = new Set(['discarded', 'aborted', 'unknown']);

export interface StagedStates {
  /** The records that still make an edit "already staged". */
  kept: Map<string, StagedRecord>;
  /** Sessions whose records were dropped, with why and how many records, in staging id order. */
  dropped: { staging_id: string; state: UpstreamSessionState; records: number }[];
}

export function applyStagedStates(
  staged: ReadonlyMap<string, StagedRecord>,
  states: ReadonlyMap<string, UpstreamSessionState>,
  rUpToDate = false,
): StagedStates {
  const kept = new Map<string, StagedRecord>();
  const dropped = new Map<string, { staging_id: string; state: UpstreamSessionState; records: number }>();
  for (const [key, record] of staged) {
    const state = states.get(record.staging_id);
    if (state === undefined || (!GONE.has(state) && !(rUpToDate && state === 'applied'))) {
      kept.set(key, record);
      continue;
    }
    const entry = dropped.get(record.staging_id) ?? { staging_id: record.staging_id, state, records: 0 };
    entry.records++;
    dropped.set(record.staging_id, entry);
  }
  return { kept, dropped: [...dropped.values()].sort((a, b) => (a.staging_id < b.staging_id ? -1 : a.staging_id > b.staging_id ? 1 : 0)) };
}

/**
 * The sessions among these that E will never apply: discarded or aborted there. Not one E does
 * not know (an older daemon says nothing, and "unknown" is no proof that it was never applied).
 */
export function neverApplied(stagingIds: readonly string[], states: ReadonlyMap<string, UpstreamSessionState>): string[] {
  return stagingIds.filter((id) => {
    const state = states.get(id);
    return state === 'discarded' || state === 'aborted';
  });
}

/** One line for the person on R: why these edits go again. */
export function describeDropped(d: { staging_id: string; state: UpstreamSessionState; records: number }): string {
  const why =
    d.state === 'discarded'
      ? 'was discarded on E'
      : d.state === 'aborted'
        ? 'was aborted on E'
        : d.state === 'applied'
          ? `was applied on E keeping E's version of ${d.records === 1 ? 'a file' : `${d.records} files`} R had changed, which R never heard of`
          : 'is unknown to E (its staging records are gone)';
  return `Session ${d.staging_id} ${why}: its ${d.records === 1 ? 'change is' : `${d.records} changes are`} sent again if R still holds ${d.records === 1 ? 'it' : 'them'}.`;
}
