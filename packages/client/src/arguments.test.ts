import { describe, expect, it } from 'vitest';
import { checkInterval, chooseProgressMode, MAX_INTERVAL_SECONDS, requireServerAndDirs, requireToken } from './arguments.js';

describe('checkInterval', () => {
  it('is the longest wait a Node timer holds, in whole seconds', () => {
    expect(MAX_INTERVAL_SECONDS).toBe(2_147_483);
    expect(MAX_INTERVAL_SECONDS * 1000).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  it.each([
    ['the default', 60],
    ['a fraction of a second', 0.5],
    ['the longest a timer holds', MAX_INTERVAL_SECONDS],
  ])('accepts %s', (_why, seconds) => {
    expect(() => checkInterval(seconds)).not.toThrow();
  });

  it.each([
    ['zero', 0, /--interval must be a positive number of seconds\./],
    ['a negative value', -5, /--interval must be a positive number of seconds\./],
    ['not a number', Number.NaN, /--interval must be a positive number of seconds\./],
    // setTimeout turns longer delays into 1 ms: the client would pull without pause.
    ['more than a timer holds', 3_000_000, /^--interval must be at most 2147483 seconds \(about 24 days\), not 3000000\.$/],
    ['infinity', Number.POSITIVE_INFINITY, /--interval must be at most 2147483 seconds/],
  ])('refuses %s', (_why, seconds, message) => {
    expect(() => checkInterval(seconds)).toThrow(message);
    expect(() => checkInterval(seconds)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  });
});

describe('requireToken', () => {
  it('returns the token it was given', () => {
    expect(requireToken('secret')).toBe('secret');
  });

  // The daemon always requires a token (it generates one when given none): connecting without
  // one could only end in a 401 that blames the token the user never gave.
  it('refuses no token at all', () => {
    expect(() => requireToken(undefined)).toThrow(/^No token given: use --token, --token-file or ZYNC_TOKEN\.$/);
    expect(() => requireToken(undefined)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  });
});

describe('chooseProgressMode', () => {
  it('shows a status line on a terminal unless told not to or asked for quiet logs', () => {
    expect(chooseProgressMode(undefined, true, 'info')).toBe('status-line');
    expect(chooseProgressMode(undefined, true, 'debug')).toBe('status-line');
    expect(chooseProgressMode(false, true, 'info')).toBe('off');
    expect(chooseProgressMode(undefined, true, 'warn')).toBe('off');
    expect(chooseProgressMode(true, true, 'silent')).toBe('status-line');
  });

  it('writes log lines elsewhere only when asked to', () => {
    expect(chooseProgressMode(undefined, false, 'info')).toBe('off');
    expect(chooseProgressMode(true, false, 'info')).toBe('log-lines');
    expect(chooseProgressMode(false, false, 'info')).toBe('off');
  });
});

describe('requireServerAndDirs', () => {
  it.each([
    ['neither', undefined, undefined, /^No daemon or directories given: pass --server and --dirs \(for example --server ws:\/\/localhost:8000 --dirs docs:\.\/docs\)\.$/],
    ['no --server', undefined, ['docs:./docs'], /^No daemon given: pass --server with its address \(for example --server ws:\/\/localhost:8000, the SSH tunnel's end\)\.$/],
    ['no --dirs, as the daemon says it', 'ws://localhost:8000', undefined, /^No directories given: pass --dirs NAME:PATH \(for example --dirs docs:\.\/docs\)\.$/],
  ])('says what to pass when given %s', (_why, server, dirs, message) => {
    expect(() => requireServerAndDirs(server, dirs)).toThrow(message);
  });

  it('passes both through', () => {
    expect(requireServerAndDirs('ws://x', ['a:b'])).toEqual({ server: 'ws://x', dirs: ['a:b'] });
  });
});
