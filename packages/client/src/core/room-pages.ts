// A file waiting for room on R's disk (room-waits.ts) must not stop the changes E logged after it:
// the pass reads on, page after page, applying and recording what fits, while R's position (the
// acknowledged sequence) stays just before the oldest entry still waiting. A sequence is thus
// acknowledged only once its effect is on disk, and a restart re-reads from there: nothing waiting
// is skipped. A later entry for the same path that R applied (E deleted or rewrote the file)
// resolves the wait. Pages re-read behind the position hold entries R already applied; one that
// R's record is at or past is passed over, so what R holds is not fetched again; R also keeps how
// far it read (ReadThrough, in its state with each page), and passes over every entry up to there
// but those still waiting: one R applied and E undid later (a file E deleted) leaves no record to
// go by. Pure.
import type { ChangeEntry } from '@zync/common';
import { entryKeyString, type RecordedEntry } from './types.js';

/** Entries that wait for room, by entryKeyString: the sequence of each. */
export type Waiting = ReadonlyMap<string, number>;

/**
 * The entries R's records are not already at or past. Only records confirmed in this resync
 * generation count: during a resync an older record must still be confirmed by E's entry (its
 * sweep would delete it otherwise), and the records' sequences may belong to another log.
 */
export function entriesToApply<T extends ChangeEntry>(entries: readonly T[], recorded: ReadonlyMap<string, Pick<RecordedEntry, 'sequence' | 'seen_gen'>>, generation: number): T[] {
  return entries.filter((entry) => {
    const record = recorded.get(entryKeyString(entry));
    return record === undefined || record.seen_gen !== generation || record.sequence < entry.sequence;
  });
}

/**
 * The waiting entries after a page: those of `tried` that did not fit (`noRoom`) wait; every
 * other one of them, applied or passed over, resolves an earlier wait at its path.
 */
export function nextWaiting(waiting: Waiting, tried: readonly ChangeEntry[], noRoom: readonly ChangeEntry[]): Map<string, number> {
  const next = new Map(waiting);
  const failed = new Map(noRoom.map((entry) => [entryKeyString(entry), entry.sequence]));
  for (const entry of tried) {
    const key = entryKeyString(entry);
    const sequence = failed.get(key);
    if (sequence === undefined) next.delete(key);
    else next.set(key, sequence);
  }
  return next;
}

/**
 * How far R may acknowledge after a page ending at `to`: not past an entry still waiting, nor past
 * another failure (`failed`), never back from `from` (what R acknowledged already).
 */
export function heldSequence(from: number, to: number, waiting: Waiting, failed: Iterable<number>): number {
  let ack = to;
  for (const sequence of waiting.values()) ack = Math.min(ack, sequence - 1);
  for (const sequence of failed) ack = Math.min(ack, sequence - 1);
  return Math.max(from, ack);
}

/** How far a run read past R's position while files waited, and those still waiting then. */
export interface ReadThrough {
  log_id: string;
  generation: number;
  sequence: number;
  waiting: Waiting;
}

/** Of entries re-read: those past what the run read already, and those still waiting then. */
export function readAgain<T extends ChangeEntry>(entries: readonly T[], through: ReadThrough | null): T[] {
  if (through === null) return [...entries];
  return entries.filter((entry) => entry.sequence > through.sequence || through.waiting.get(entryKeyString(entry)) === entry.sequence);
}

/**
 * The read-through as R's state keeps it (meta `read_through`), so a run after a restart re-reads
 * those pages as the run that read them would: an add replayed there, whose deletion R applied
 * a page later, must not take R's own file at the path for E's (and delete it with the replayed
 * deletion). Anything unreadable reads as none: R's records alone, as before.
 */
export function encodeReadThrough(through: ReadThrough): string {
  return JSON.stringify({ ...through, waiting: [...through.waiting] });
}

export function decodeReadThrough(text: string | null | undefined): ReadThrough | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as { log_id?: unknown; generation?: unknown; sequence?: unknown; waiting?: unknown };
    const { log_id, generation, sequence, waiting } = value;
    if (typeof log_id !== 'string' || typeof generation !== 'number' || typeof sequence !== 'number' || !Array.isArray(waiting)) return null;
    const pairs = waiting.filter((pair): pair is [string, number] => Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'number');
    if (pairs.length !== waiting.length) return null;
    return { log_id, generation, sequence, waiting: new Map(pairs) };
  } catch {
    return null;
  }
}
