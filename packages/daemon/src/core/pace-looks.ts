// Paces the watcher's looks at one path so that a file that never stops changing (a log appended
// to without pause, a file rewritten in a loop) costs E bounded CPU: the next look waits
// `costFactor` times as long as the last hash took (at most about 1/costFactor of a core per
// path, whatever the writer does), and while looks keep finding the file changing (only a
// prefix, or nothing, could be logged) the wait doubles up to `maxMs`. A path that goes quiet
// (no event for `quietMs`) is looked at without waiting out that backoff, so the version the
// writer ends with reaches R promptly. Says when to warn: once the file has been changing for
// `warnAfter` looks in a row. Pure: times are numbers the watcher gives (monotonic ms).

export interface PaceOptions {
  costFactor: number;
  baseMs: number;
  maxMs: number;
  quietMs: number;
  warnAfter: number;
}

export const PACE_DEFAULTS: PaceOptions = { costFactor: 5, baseMs: 1000, maxMs: 30_000, quietMs: 1000, warnAfter: 3 };

/** Below this, a look's cost does not make the next one wait, and nothing is kept for the path. */
const KEEP_MS = 20;

/** What a look logged for a file. */
export type LookOutcome = 'whole' | 'prefix' | 'nothing';

export interface PathPace {
  /** The next look not before this, for the cost of the last hash. */
  earliestAt: number;
  /** Looks in a row that found the file changing. */
  unsettled: number;
  /** While unsettled: the next look not before this, unless the path goes quiet first. */
  holdUntil: number;
}

/**
 * The pace after a look that hashed the file for `hashMs` and ended at `now`; null when there
 * is nothing to keep (a cheap file that held still). `warn`: this look makes the file one that
 * keeps changing (said once per episode; the watcher says it once per path); `settled`: it held
 * still again after having been one.
 */
export function paceAfterLook(
  prev: PathPace | undefined,
  outcome: LookOutcome,
  now: number,
  hashMs: number,
  options: PaceOptions = PACE_DEFAULTS,
): { pace: PathPace | null; warn: boolean; settled: boolean } {
  const earliestAt = now + options.costFactor * hashMs;
  if (outcome === 'whole') {
    const settled = (prev?.unsettled ?? 0) >= options.warnAfter;
    return { pace: earliestAt - now < KEEP_MS ? null : { earliestAt, unsettled: 0, holdUntil: 0 }, warn: false, settled };
  }
  const unsettled = (prev?.unsettled ?? 0) + 1;
  const backoff = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(unsettled - 1, 30));
  return { pace: { earliestAt, unsettled, holdUntil: now + backoff }, warn: unsettled === options.warnAfter, settled: false };
}

/** The earliest a pending path may be looked at, given its pace and its latest event. */
export function paceDueAt(pace: PathPace, lastEventAt: number, options: PaceOptions = PACE_DEFAULTS): number {
  const backoffEnd = pace.unsettled > 0 ? Math.min(pace.holdUntil, lastEventAt + options.quietMs) : 0;
  return Math.max(pace.earliestAt, backoffEnd);
}

/** Whether a pace no longer says anything at `now` (its path was not looked at again): dropped, so the map stays small. */
export function paceExpired(pace: PathPace, now: number, options: PaceOptions = PACE_DEFAULTS): boolean {
  return pace.unsettled === 0 ? pace.earliestAt <= now : Math.max(pace.earliestAt, pace.holdUntil) + options.maxMs <= now;
}
