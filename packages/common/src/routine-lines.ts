// Routine log lines under churn (a log appended to 20 times a second: one change, one pass each)
// would flood a journal at one line per change. The first of a quiet spell is said at info; those
// following within ROUTINE_WINDOW_MS go to debug and are summed, and the sum is said once at the
// window's end; while the churn lasts, that is one info line per window. Pure: the caller keeps
// the clock and the timer. Only routine lines come here: warnings, conflicts and unusual events
// are said as they happen.

export const ROUTINE_WINDOW_MS = 10_000;

export interface RoutineSum<T> {
  /** The lines summed (said at debug). */
  count: number;
  total: T;
}

export class RoutineLines<T> {
  private windowEnd = Number.NEGATIVE_INFINITY;
  private pending: RoutineSum<T> | null = null;

  constructor(
    private readonly add: (a: T, b: T) => T,
    private readonly windowMs = ROUTINE_WINDOW_MS,
  ) {}

  /** One routine line: 'info' to say it now (a window starts), 'debug' when it is summed for later. */
  note(now: number, value: T): 'info' | 'debug' {
    if (this.pending === null && now >= this.windowEnd) {
      this.windowEnd = now + this.windowMs;
      return 'info';
    }
    this.pending = this.pending === null ? { count: 1, total: value } : { count: this.pending.count + 1, total: this.add(this.pending.total, value) };
    return 'debug';
  }

  /** When the sum is due (the window's end), or null when nothing was summed. */
  dueAt(): number | null {
    return this.pending === null ? null : this.windowEnd;
  }

  /** The sum, to be said at info now; a new window starts. null: nothing was summed. */
  flush(now: number): RoutineSum<T> | null {
    const sum = this.pending;
    this.pending = null;
    if (sum !== null) this.windowEnd = now + this.windowMs;
    return sum;
  }
}
