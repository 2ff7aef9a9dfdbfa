// Notices bursts of watcher events big enough that the OS may have dropped some. Linux queues
// at most fs.inotify.max_queued_events (16,384 by default) per inotify instance, which every
// watched directory of the process shares, and past that drops events: libuv ignores the
// overflow notice, so nobody is told. A spell of events (none more than `quietMs` apart) that
// reaches the threshold asks for every root to be rescanned (stat only; unchanged files are not
// read) once the spell is over, so a dropped event delays a change by a second or so, not until
// the periodic rescan. Pure: the watcher shell owns the clock and the rescans.

export interface BurstOptions {
  /** Events in one spell that may have overflowed the OS queue. */
  threshold: number;
  /** A gap this long (ms) ends a spell. */
  quietMs: number;
}

export interface BurstState {
  /** Events in the current spell. */
  count: number;
  /** When the last one came (ms); null before the first. */
  lastAt: number | null;
  /**
   * Events of a spell that reached the threshold and ended (the next event came after the quiet
   * gap) before takeEndedBurst saw it end: its rescan is still owed. 0: none.
   */
  owed: number;
}

export const newBurstState = (): BurstState => ({ count: 0, lastAt: null, owed: 0 });

/** Counts one event seen at `at`; a gap of quietMs since the last one starts a new spell. */
export function noteEvent(state: BurstState, at: number, options: BurstOptions): void {
  if (state.lastAt === null || at - state.lastAt >= options.quietMs) {
    if (state.count >= options.threshold) state.owed = state.count;
    state.count = 0;
  }
  state.count++;
  state.lastAt = at;
}

/**
 * Whether a spell that reached the threshold has ended by `now`: then the roots must be
 * rescanned, and the spell is forgotten (true once per spell). Also, when to ask again for a
 * spell that reached it and is still going (null: nothing to wait for).
 */
export function takeEndedBurst(state: BurstState, now: number, options: BurstOptions): { rescan: boolean; askAt: number | null } {
  const owed = state.owed > 0;
  state.owed = 0;
  if (state.lastAt === null || state.count < options.threshold) return { rescan: owed, askAt: null };
  const endsAt = state.lastAt + options.quietMs;
  if (now < endsAt) return { rescan: owed, askAt: endsAt };
  state.count = 0;
  return { rescan: true, askAt: null };
}
