// Where a pull starts: resume after the last acknowledged sequence, or a full resync from 0.
// The position is (log_id, sequence): a foreign log_id (the daemon's database was recreated), a
// cursor older than what the log still holds, or a cursor ahead of the log all mean that the
// log after the cursor cannot be trusted to describe every change, so R compares itself with
// the daemon's whole current state instead of skipping a gap; so does the same log_id whose
// sequence R holds the run of was logged by another run in E's database now (restored from an
// older copy: the sequences after the copy's end were logged again, for other changes, so R's
// position may even lie within the log and name none of them); so does a root the position does
// not cover (left out of --dirs by a run since the last resync, or held as not mounted by one,
// core/root-disks.ts: that run acknowledged its log without pulling it), or whose local directory
// went missing (core/missing-roots.ts: its records were forgotten, so the position no longer
// covers it either). Pure.

/** The run of E's log that logged `sequence` (GET_CHANGES `run_id` for its `to_sequence`). */
export interface LogRun {
  run_id: string;
  sequence: number;
}

export interface StoredPosition {
  log_id: string | null;
  sequence: number;
  resyncing: boolean;
  /** Of the same log, a sequence at or after `sequence` and its run; absent: none known (an older daemon, or none since the last resync began). */
  run?: LogRun | null | undefined;
}

export interface DaemonPosition {
  log_id: string;
  last_sequence: number;
  compacted_through: number;
  /** HELLO's answer to `run_of`: which run logged that sequence in E's database now. */
  run_of?: { sequence: number; run_id: string | null } | undefined;
}

export type StartDecision =
  | { kind: 'resume'; since: number }
  /** Continue a full pass that was interrupted (same generation; the sweep is still pending). */
  | { kind: 'continue-resync'; since: number }
  /** `restored`: the log's sequences after some point were logged again; R's are another log's. */
  | { kind: 'resync'; reason: string; restored?: true };

/**
 * Whether E's database no longer holds the run R was told logged its sequence there: R's position
 * is at or before that sequence, so E's log up to it is not the one R pulled. An answer about
 * another sequence (a daemon that misread the question) says nothing.
 */
export function runMismatch(stored: StoredPosition, daemon: DaemonPosition): boolean {
  const run = stored.run;
  const answer = daemon.run_of;
  if (!run || !answer || answer.sequence !== run.sequence) return false;
  return answer.run_id !== run.run_id;
}

export function decideStart(
  stored: StoredPosition,
  daemon: DaemonPosition,
  rootsChanged: readonly string[] = [],
  uncovered: readonly string[] = [],
  missing: readonly string[] = [],
): StartDecision {
  if (stored.log_id === null) return { kind: 'resync', reason: 'first sync with this daemon' };
  if (stored.log_id !== daemon.log_id) {
    return { kind: 'resync', reason: "the daemon's change log was recreated (its log id changed)" };
  }
  // Before the reasons below: the sequences R's records carry name entries of another log.
  if (runMismatch(stored, daemon)) {
    return {
      kind: 'resync',
      reason: `E's database was restored from an older copy: its log no longer holds the changes up to ${stored.run!.sequence} that this client received, and logs other changes under those sequences`,
      restored: true,
    };
  }
  if (rootsChanged.length > 0) {
    return { kind: 'resync', reason: `the local directory for ${rootsChanged.join(', ')} changed` };
  }
  // Before `uncovered`, which also names these roots, for the reason the user can act on.
  if (missing.length > 0) {
    return { kind: 'resync', reason: `the local directory for ${missing.join(', ')} was missing` };
  }
  if (uncovered.length > 0) {
    return { kind: 'resync', reason: `${uncovered.join(', ')} ${uncovered.length === 1 ? 'was' : 'were'} left out of an earlier pull (not in --dirs, its disk not mounted, or not served by E), which passed over its changes` };
  }
  if (stored.sequence > daemon.last_sequence) {
    return { kind: 'resync', reason: `the daemon's log ends at ${daemon.last_sequence}, before this client's position ${stored.sequence}` };
  }
  if (stored.sequence > 0 && stored.sequence < daemon.compacted_through) {
    if (stored.resyncing) return { kind: 'resync', reason: 'the log was compacted during the resync' };
    return { kind: 'resync', reason: `the log was compacted past this client's position ${stored.sequence}` };
  }
  return stored.resyncing ? { kind: 'continue-resync', since: stored.sequence } : { kind: 'resume', since: stored.sequence };
}
