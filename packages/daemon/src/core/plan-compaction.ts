// Decides which change log entries compaction may drop, one chunk of the log at a time. Pure.
//
// A client replays the log as "the last entry per path" (the client collapses a page that way
// too), so an entry superseded by a later entry for the same (base_dir, path) tells nobody
// anything the later one does not: dropping it leaves every cursor's view intact and needs no
// resync. The latest entry of a path is kept, except a tombstone (a delete) older than the
// horizon: once it is gone, a client behind it would never learn of the deletion, so
// compacted_through rises to its sequence and a cursor below that must resync (RESYNC_REQUIRED).
// Its row in `files` goes too, so deleted paths do not accumulate.

/** One log entry with the sequence of its path's current state (files.sequence; null: no row). */
export interface CompactionCandidate {
  sequence: number;
  operation: 'add' | 'modify' | 'delete';
  /** When the entry was recorded (ms since the epoch, the daemon's clock). */
  timestamp: number;
  latest: number | null;
}

export interface CompactionPlan {
  /** Sequences to delete from `changes`. */
  drop: number[];
  /** Of those, the tombstones whose `files` rows go too. */
  tombstones: number[];
  /** compacted_through after the plan: the highest tombstone dropped, never lower than before. */
  compactedThrough: number;
}

export function planCompaction(
  candidates: readonly CompactionCandidate[],
  options: { tombstonesBefore: number; compactedThrough: number },
): CompactionPlan {
  const plan: CompactionPlan = { drop: [], tombstones: [], compactedThrough: options.compactedThrough };
  for (const c of candidates) {
    if (c.latest === null || c.sequence < c.latest) {
      // Superseded (or its path's state was itself compacted away, which already moved
      // compacted_through past it).
      plan.drop.push(c.sequence);
    } else if (c.sequence === c.latest && c.operation === 'delete' && c.timestamp < options.tombstonesBefore) {
      plan.drop.push(c.sequence);
      plan.tombstones.push(c.sequence);
      plan.compactedThrough = Math.max(plan.compactedThrough, c.sequence);
    }
  }
  return plan;
}
