import { describe, expect, it } from 'vitest';
import { LOG_LEVELS } from '../log.js';
import {
  HandOffEvent,
  HandOffLineUnreadable,
  HandOffRequest,
  HandOffRequestRefused,
  JsonLines,
  MAX_HAND_OFF_LINE,
  UpdateUpstreamHandOff,
  handOffLine,
  readHandOffEvent,
  readHandOffRequest,
  type HandOffRefusal,
} from './hand-off.js';

const request = {
  operation: 'UPDATE_UPSTREAM',
  pid: 4242,
  setup: { server: 'ws://localhost:8000', dirs: [{ name: 'docs', root: '/home/u/docs' }], token_sha256: 'a'.repeat(64), ca_sha256: null },
  new_disk: [],
  log_level: 'info',
  progress: 'status-line',
};

describe('hand-off messages', () => {
  it('takes every --log-level the client takes', () => {
    expect(UpdateUpstreamHandOff.shape.log_level.options).toEqual([...LOG_LEVELS]);
  });

  it.each([
    ['an upload request', request],
    ['a cancel', { operation: 'CANCEL' }],
    ['an upload request naming its protocol', { ...request, protocol: 1 }],
  ])('accepts %s', (_why, message) => {
    expect(HandOffRequest.safeParse(message).success).toBe(true);
  });

  it.each([
    ['a request without roots', { ...request, setup: { ...request.setup, dirs: [] } }],
    ['a token in the clear', { ...request, setup: { ...request.setup, token_sha256: 'secret' } }],
    ['an unknown progress mode', { ...request, progress: 'fancy' }],
    ['an unknown operation', { operation: 'RM_RF' }],
  ])('refuses %s', (_why, message) => {
    expect(HandOffRequest.safeParse(message).success).toBe(false);
  });

  it.each([
    ['a log record', { operation: 'LOG', level: 'warn', msg: 'careful', fields: { code: 'LEFT_OUT' } }],
    ['a result line', { operation: 'PRINT', line: 'Staged 1 change upstream as session S (…).' }],
    ['the status line cleared', { operation: 'PROGRESS', text: null }],
    ['success', { operation: 'DONE', status: 'ok' }],
    ['a refusal', { operation: 'DONE', status: 'error', code: 'BAD_ARGUMENT', error: '--dirs differs.' }],
    ['an unexpected error', { operation: 'DONE', status: 'error', code: null, error: 'Error: boom\n    at x' }],
  ])('accepts the event %s', (_why, message) => {
    expect(HandOffEvent.safeParse(message).success).toBe(true);
  });

  it("reads a result with an error code this build does not know (a newer service's) as BAD_MESSAGE, keeping its sentence", () => {
    expect(HandOffEvent.parse({ operation: 'DONE', status: 'error', code: 'NOPE', error: 'x' })).toEqual({ operation: 'DONE', status: 'error', code: 'BAD_MESSAGE', error: 'x' });
  });
});

describe('JsonLines', () => {
  it('parses whole lines, however the bytes are cut', () => {
    const lines = new JsonLines(HandOffRequest);
    const bytes = Buffer.from(handOffLine(request as HandOffRequest) + handOffLine({ operation: 'CANCEL' }));
    const got = [...lines.push(bytes.subarray(0, 10)), ...lines.push(bytes.subarray(10, bytes.length - 3)), ...lines.push(bytes.subarray(bytes.length - 3))];
    expect(got.map((m) => m.operation)).toEqual(['UPDATE_UPSTREAM', 'CANCEL']);
  });

  it.each([
    ['not JSON', 'nope\n', /not JSON/],
    ['of an unknown shape', '{"operation":"RM_RF"}\n', /unknown shape/],
  ])('refuses a line %s', (_why, text, error) => {
    expect(() => new JsonLines(HandOffRequest).push(Buffer.from(text))).toThrow(error);
  });

  it('refuses a line longer than the limit before it ends', () => {
    const lines = new JsonLines(HandOffRequest);
    expect(() => lines.push(Buffer.alloc(MAX_HAND_OFF_LINE + 1, 0x20))).toThrow(/longer than/);
  });
});

describe('readHandOffEvent', () => {
  it.each<[string, unknown, string | null]>([
    ['a known event', { operation: 'PRINT', line: 'x' }, 'PRINT'],
    ["a newer service's line of another type: skipped", { operation: 'NOTE', text: 'new' }, null],
  ])('reads %s', (_why, value, operation) => {
    expect(readHandOffEvent(value)?.operation ?? null).toBe(operation);
  });

  it.each<[string, unknown, RegExp]>([
    ['a known type of another shape (another version)', { operation: 'DONE', status: 'maybe' }, /a DONE line this zync-client cannot read/],
    ['a line without an operation', { status: 'ok' }, /unknown shape/],
    ['a line that is not an object', [1, 2], /unknown shape/],
  ])('refuses %s', (_why, value, error) => {
    expect(() => readHandOffEvent(value)).toThrow(error);
  });

  it('says a known line it cannot read is unreadable, not of an unknown shape', () => {
    expect(() => readHandOffEvent({ operation: 'LOG', level: 'notice', msg: 'x', fields: {} })).toThrow(HandOffLineUnreadable);
  });
});

describe('readHandOffRequest', () => {
  it.each<[string, unknown, string]>([
    ['an upload request', request, 'UPDATE_UPSTREAM'],
    ['one naming protocol 1', { ...request, protocol: 1 }, 'UPDATE_UPSTREAM'],
    ['a cancel', { operation: 'CANCEL' }, 'CANCEL'],
  ])('reads %s', (_why, value, operation) => {
    expect(readHandOffRequest(value).operation).toBe(operation);
  });

  const refusal = (value: unknown): HandOffRefusal | string => {
    try {
      readHandOffRequest(value);
      return 'read';
    } catch (err) {
      return err instanceof HandOffRequestRefused ? err.refusal : (err as Error).message;
    }
  };

  it.each<[string, unknown, HandOffRefusal | string]>([
    ["a newer one-shot's request type", { operation: 'STATUS', pid: 1 }, { kind: 'unknown-operation', operation: 'STATUS' }],
    ['a protocol this build does not serve, whatever the rest', { operation: 'UPDATE_UPSTREAM', protocol: 2, progress: 'fancy' }, { kind: 'protocol', protocol: 2 }],
    ['a known type of another shape', { ...request, progress: 'fancy' }, { kind: 'unreadable', operation: 'UPDATE_UPSTREAM' }],
    ['a line without an operation', { pid: 1 }, 'a message of an unknown shape (no operation)'],
  ])('refuses %s', (_why, value, expected) => {
    expect(refusal(value)).toEqual(expected);
  });
});
