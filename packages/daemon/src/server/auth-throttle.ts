// Slows down guessing the token: failed authentications are counted per remote address and each
// further failure from that address is answered (401) after a longer delay — none for the first
// (a typo), then 250 ms doubling up to 5 s. A success from the address resets its count. Only
// refusals wait: a correct token is accepted at once from any address, so an attacker can never
// lock a real client out (through an SSH tunnel every client is 127.0.0.1). Memory is bounded:
// at most `maxAddresses` are tracked (the least recently failing is forgotten first), a quiet
// address is forgotten after `forgetAfterMs`, and at most `maxPending` refusals per address are
// held open at once (beyond that they are answered without delay rather than hoarding sockets).
// No sockets or timers here: the server asks, this answers.
import { performance } from 'node:perf_hooks';

export interface ThrottleSettings {
  baseMs: number;
  capMs: number;
  forgetAfterMs: number;
  maxAddresses: number;
  maxPending: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = {
  baseMs: 250,
  capMs: 5000,
  forgetAfterMs: 15 * 60_000,
  maxAddresses: 1024,
  maxPending: 32,
};

/** Delay before answering the `failures`-th consecutive failure from one address. Pure. */
export function refusalDelay(failures: number, settings: Pick<ThrottleSettings, 'baseMs' | 'capMs'> = DEFAULT_THROTTLE): number {
  if (failures <= 1) return 0;
  return Math.min(settings.capMs, settings.baseMs * 2 ** Math.min(failures - 2, 30));
}

/** Whether the `failures`-th failure is worth a warning (all of the first ten, then every 100th). */
export function shouldLogFailure(failures: number): boolean {
  return failures <= 10 || failures % 100 === 0;
}

interface AddressState {
  failures: number;
  lastAt: number;
  pending: number;
}

export class AuthThrottle {
  private readonly byAddress = new Map<string, AddressState>();
  private readonly settings: ThrottleSettings;
  private readonly now: () => number;

  constructor(settings: Partial<ThrottleSettings> = {}, now: () => number = () => performance.now()) {
    this.settings = { ...DEFAULT_THROTTLE, ...settings };
    this.now = now;
  }

  /** Records a failure; says how long to wait before answering it and whether to log it. */
  failed(address: string): { failures: number; delayMs: number; logIt: boolean } {
    const now = this.now();
    let state = this.byAddress.get(address);
    if (state && now - state.lastAt > this.settings.forgetAfterMs) state.failures = 0;
    if (!state) state = { failures: 0, lastAt: now, pending: 0 };
    // Re-inserted so the map's order is least recently failing first.
    this.byAddress.delete(address);
    this.byAddress.set(address, state);
    state.failures++;
    state.lastAt = now;
    state.pending++;
    while (this.byAddress.size > this.settings.maxAddresses) {
      this.byAddress.delete(this.byAddress.keys().next().value!);
    }
    const delayMs = state.pending > this.settings.maxPending ? 0 : refusalDelay(state.failures, this.settings);
    return { failures: state.failures, delayMs, logIt: shouldLogFailure(state.failures) };
  }

  /** A refusal from the address was answered (or its socket closed). */
  released(address: string): void {
    const state = this.byAddress.get(address);
    if (state && state.pending > 0) state.pending--;
  }

  /** A correct token from the address: its count starts again. */
  succeeded(address: string): void {
    const state = this.byAddress.get(address);
    if (state) state.failures = 0;
  }

  get trackedAddresses(): number {
    return this.byAddress.size;
  }
}
