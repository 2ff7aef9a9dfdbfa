// What a running client says while the daemon cannot be reached (a tunnel down for hours): a
// warning at the first failure and whenever the reason changes, one line every ten minutes that
// it is still retrying, and each identical failure in between at debug only. Before, every
// attempt (at most 30 s apart) warned the same sentence: ~2,900 lines a day. Being connected
// again is said by the runner ("connected to …") and starts afresh. Pure.

/** How often a failure that goes on is said again, with its reason. */
export const STILL_RETRYING_EVERY_MS = 10 * 60_000;

export interface RetryMemory {
  /** The last failure's reason; null before the first since the last connection. */
  reason: string | null;
  /** When the first failure since the last connection happened (ms). */
  since: number;
  /** When a failure was last said at warn or info (ms). */
  saidAt: number;
}

export const NO_FAILURE: RetryMemory = { reason: null, since: 0, saidAt: 0 };

export type RetryNote =
  | { level: 'warn'; memory: RetryMemory }
  | { level: 'info'; memory: RetryMemory; minutes: number }
  | { level: 'debug'; memory: RetryMemory };

/** How to say the failure `reason` at `now`, given what was said of the ones before. */
export function retryNote(memory: RetryMemory, reason: string, now: number): RetryNote {
  if (memory.reason !== reason) {
    return { level: 'warn', memory: { reason, since: memory.reason === null ? now : memory.since, saidAt: now } };
  }
  if (now - memory.saidAt >= STILL_RETRYING_EVERY_MS) {
    return { level: 'info', memory: { ...memory, saidAt: now }, minutes: Math.round((now - memory.since) / 60_000) };
  }
  return { level: 'debug', memory };
}
