// What the daemon's "upstream session staged" line says about a finalized session, from what the
// session holds at FINALIZE — not from what happened to its requests on the way: an entry E staged
// from its own copy (from_e) and R then took back out, or sent again with its bytes, is no file
// taken from E's copies. Pure: no I/O.
import type { StagedEntry } from './staging-store.js';

export interface StagedSummary {
  staging_id: string;
  file_count: number;
  conflict_count: number;
  /** Files of the session E staged from its own copies (absent when none). */
  from_e?: number;
}

/**
 * `stagedFromE`: the entry numbers E staged from its own copies; an entry taken out is no longer
 * among `entries`, and one sent again has a new number.
 */
export function summarizeStaged(
  done: { staging_id: string; file_count: number; conflict_count: number },
  entries: readonly Pick<StagedEntry, 'entry_no'>[],
  stagedFromE: ReadonlySet<number>,
): StagedSummary {
  const fromE = entries.filter((e) => stagedFromE.has(e.entry_no)).length;
  return { staging_id: done.staging_id, file_count: done.file_count, conflict_count: done.conflict_count, ...(fromE > 0 ? { from_e: fromE } : {}) };
}
