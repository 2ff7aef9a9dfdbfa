// Collapses a page of change log entries to the last state per (base_dir, path): applying only
// the last entry of each path reaches the same state as replaying them all. Pure.
import type { ChangeEntry } from '@zync/common';

/** The last entry per path, in the order of those last entries' sequences. */
export function collapseChanges(changes: readonly ChangeEntry[]): ChangeEntry[] {
  const last = new Map<string, ChangeEntry>();
  for (const change of changes) {
    const key = `${change.base_dir}\u0000${change.path}`;
    const previous = last.get(key);
    if (!previous || previous.sequence <= change.sequence) last.set(key, change);
  }
  return [...last.values()].sort((a, b) => a.sequence - b.sequence);
}
