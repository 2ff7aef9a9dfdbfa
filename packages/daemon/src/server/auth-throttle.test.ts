import { describe, expect, it } from 'vitest';
import { AuthThrottle, refusalDelay, shouldLogFailure } from './auth-throttle.js';

describe('refusalDelay', () => {
  it.each([
    { name: 'the first failure is answered at once (a typo)', failures: 1, ms: 0 },
    { name: 'the second waits the base delay', failures: 2, ms: 250 },
    { name: 'then it doubles', failures: 4, ms: 1000 },
    { name: 'up to the cap', failures: 7, ms: 5000 },
    { name: 'and stays capped for huge counts', failures: 1_000_000, ms: 5000 },
  ])('$name', ({ failures, ms }) => {
    expect(refusalDelay(failures)).toBe(ms);
  });
});

describe('shouldLogFailure', () => {
  it.each([
    { failures: 1, log: true },
    { failures: 10, log: true },
    { failures: 11, log: false },
    { failures: 200, log: true },
  ])('failure $failures -> $log', ({ failures, log }) => {
    expect(shouldLogFailure(failures)).toBe(log);
  });
});

describe('AuthThrottle', () => {
  it('counts per address, and a success resets only that address', () => {
    const t = new AuthThrottle({}, () => 0);
    t.failed('10.0.0.1');
    expect(t.failed('10.0.0.1').delayMs).toBe(250);
    expect(t.failed('10.0.0.2').delayMs).toBe(0);
    t.succeeded('10.0.0.1');
    expect(t.failed('10.0.0.1').delayMs).toBe(0);
    expect(t.failed('10.0.0.2').delayMs).toBe(250);
  });

  it('forgets an address that stayed quiet long enough', () => {
    let now = 0;
    const t = new AuthThrottle({ forgetAfterMs: 1000 }, () => now);
    t.failed('a');
    t.failed('a');
    now = 5000;
    expect(t.failed('a')).toMatchObject({ failures: 1, delayMs: 0 });
  });

  it('tracks a bounded number of addresses, forgetting the least recently failing', () => {
    const t = new AuthThrottle({ maxAddresses: 3 }, () => 0);
    for (const a of ['a', 'b', 'c', 'd']) t.failed(a);
    expect(t.trackedAddresses).toBe(3);
    expect(t.failed('a').failures).toBe(1);
    expect(t.failed('d').failures).toBe(2);
  });

  it('holds a bounded number of refusals per address; the rest are answered at once', () => {
    const t = new AuthThrottle({ maxPending: 2 }, () => 0);
    expect(t.failed('a').delayMs).toBe(0);
    expect(t.failed('a').delayMs).toBe(250);
    expect(t.failed('a').delayMs).toBe(0);
    t.released('a');
    t.released('a');
    expect(t.failed('a').delayMs).toBe(1000);
  });
});
