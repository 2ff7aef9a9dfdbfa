import { describe, expect, it } from 'vitest';
import { backoffDelay, retryDelayMs } from './backoff.js';

describe('backoffDelay', () => {
  it.each<[string, number, number, number]>([
    ['first retry, lowest jitter', 0, 0, 125],
    ['first retry, highest jitter', 0, 1, 250],
    ['grows exponentially', 3, 1, 2000],
    ['capped', 20, 1, 30_000],
    ['capped with jitter', 20, 0, 15_000],
    ['huge attempt numbers stay capped', 10_000, 0.5, 22_500],
  ])('%s', (_name, attempt, random, expected) => {
    expect(backoffDelay(attempt, random)).toBe(expected);
  });
});

describe('retryDelayMs', () => {
  it.each<[string, number, number]>([
    ['the first failed pass retries after 2 s', 1, 2000],
    ['then doubles', 3, 8000],
    ['and is capped at a minute', 12, 60_000],
  ])('%s', (_name, failedPasses, ms) => {
    expect(retryDelayMs(failedPasses)).toBe(ms);
  });
});
