import { describe, expect, it } from 'vitest';
import { sleepUnlessAborted } from './abortable-sleep.js';

describe('sleepUnlessAborted', () => {
  it('ends early, without rejecting, when its signal aborts, and at once when it already has', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const waiting = sleepUnlessAborted(60_000, controller.signal);
    controller.abort();
    await expect(waiting).resolves.toBeUndefined();
    await expect(sleepUnlessAborted(60_000, controller.signal)).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('waits its time without a signal', async () => {
    const started = Date.now();
    await sleepUnlessAborted(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });
});
