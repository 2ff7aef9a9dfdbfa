// The end of a full resync: paths R had received that the daemon's current state no longer
// holds were deleted on E while R could not follow the log. They become ordinary deletions, so
// the no-loss rule of planPull applies (unchanged files go, R's edits are kept). Pure.
import type { ChangeEntry } from '@zync/common';
import type { RecordedEntry } from './types.js';

/** Synthetic delete entries for recorded paths the resync pass did not confirm. */
export function planSweep(unseen: readonly RecordedEntry[], sequence: number, now: number): ChangeEntry[] {
  return unseen.map((recorded) => ({
    sequence,
    operation: 'delete',
    kind: recorded.kind,
    base_dir: recorded.base_dir,
    path: recorded.path,
    checksum: null,
    size: 0,
    mtime: recorded.mtime,
    mode: recorded.mode,
    timestamp: now,
  }));
}
