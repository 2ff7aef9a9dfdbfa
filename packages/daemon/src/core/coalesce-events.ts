// Turns a stream of watcher events into settled work: one pending item per path, ready once no
// event has touched it for `settleMs` (the write has settled) or once it has waited `maxWaitMs`
// (a file appended to forever is still recorded now and then). The event type is only a hint:
// what is recorded is decided later from the path's state on disk, so a burst like
// add/change/change/unlink collapses to one look at the path, and an editor's save (write a
// temp file, rename it over the target) to one look at each name. Directory events ask for the
// subtree to be rescanned, which covers children whose own events were missed or dropped.
// Pure: no timers, no I/O; the watcher shell owns the clock.

export type WatchEventType = 'add' | 'addDir' | 'change' | 'unlink' | 'unlinkDir';

export interface WatchEvent {
  type: WatchEventType;
  base_dir: string;
  path: string;
  /** When the event was seen, ms. */
  at: number;
}

export interface PendingPath {
  base_dir: string;
  path: string;
  firstAt: number;
  lastAt: number;
  last: WatchEventType;
  /** A directory event was seen: rescan the whole subtree when settled. */
  subtree: boolean;
}

/** Pending work keyed by pendingKey(base_dir, path). Mutated in place by addEvents. */
export type PendingMap = Map<string, PendingPath>;

export const pendingKey = (base_dir: string, path: string): string => `${base_dir}\u0000${path}`;

/** Folds events (in the order they were seen) into the pending map and returns it. */
export function addEvents(pending: PendingMap, events: readonly WatchEvent[]): PendingMap {
  for (const event of events) {
    const key = pendingKey(event.base_dir, event.path);
    const isDirEvent = event.type === 'addDir' || event.type === 'unlinkDir';
    const existing = pending.get(key);
    if (existing) {
      existing.lastAt = Math.max(existing.lastAt, event.at);
      existing.last = event.type;
      existing.subtree ||= isDirEvent;
    } else {
      pending.set(key, {
        base_dir: event.base_dir,
        path: event.path,
        firstAt: event.at,
        lastAt: event.at,
        last: event.type,
        subtree: isDirEvent,
      });
    }
  }
  return pending;
}

export interface SettleOptions {
  settleMs: number;
  maxWaitMs: number;
  /** Most items taken at once (bounds one batch's memory and transaction). */
  limit: number;
}

/**
 * Removes and returns the items that are ready at `now`, ordered by base_dir and path, plus
 * when the next remaining item becomes ready (null when nothing is pending).
 */
export function takeSettled(
  pending: PendingMap,
  now: number,
  options: SettleOptions,
): { ready: PendingPath[]; nextDueAt: number | null } {
  const ready: PendingPath[] = [];
  let nextDueAt: number | null = null;
  for (const [key, item] of pending) {
    const dueAt = Math.min(item.lastAt + options.settleMs, item.firstAt + options.maxWaitMs);
    if (dueAt <= now && ready.length < options.limit) {
      ready.push(item);
      pending.delete(key);
    } else {
      const due = Math.max(dueAt, now);
      nextDueAt = nextDueAt === null ? due : Math.min(nextDueAt, due);
    }
  }
  ready.sort((a, b) => (a.base_dir !== b.base_dir ? (a.base_dir < b.base_dir ? -1 : 1) : a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ready, nextDueAt };
}
