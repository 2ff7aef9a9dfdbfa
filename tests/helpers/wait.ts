// Waiting on observed state, never on fixed sleeps.
import { constants, openSync } from 'node:fs';

/** Polls `check` until it returns a truthy value (which is returned) or the deadline passes. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const { timeoutMs = 20_000, intervalMs = 25, what = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Waits until a process has the FIFO open for reading (a non-blocking open for writing fails with
 * ENXIO before), and returns the write end: the reader waits there until it is closed.
 */
export function waitForFifoReader(fifo: string, what: string): Promise<number> {
  return waitFor(
    () => {
      try {
        return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      } catch {
        return null;
      }
    },
    { what },
  );
}
