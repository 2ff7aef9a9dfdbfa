// Reconnect delays: capped exponential backoff with jitter, so a fleet of clients does not
// reconnect in lockstep after the daemon restarts. Pure (the random number is a parameter).

export const BACKOFF_BASE_MS = 250;
export const BACKOFF_CAP_MS = 30_000;

/** Delay before reconnect attempt `attempt` (0-based): base·2^attempt capped, times 0.5–1.0. */
export function backoffDelay(attempt: number, random: number, baseMs = BACKOFF_BASE_MS, capMs = BACKOFF_CAP_MS): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + Math.min(1, Math.max(0, random)) / 2));
}

/**
 * Delay before retrying what a pass left unapplied (a full disk, a file still changing): 2 s,
 * doubling per failed pass (or attempt), at most 60 s.
 */
export function retryDelayMs(failedPasses: number): number {
  return Math.min(60_000, 2000 * 2 ** Math.max(0, failedPasses - 1));
}
