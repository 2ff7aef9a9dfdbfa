import { describe, expect, it } from 'vitest';
import { decodeBinaryFrame, encodeBinaryFrame } from './framing.js';
import { BatchedFile, ChangeEntry, ErrorResponse, GetChangesResponse, HelloResponse, MAX_STATUS_IDS, Request, UpstreamFileResponse, UpstreamStatusResponse } from './messages.js';

const sum = 'a'.repeat(64);

describe('Request schema', () => {
  it.each([
    ['PING', { operation: 'PING', id: 1 }],
    ['HELLO', { operation: 'HELLO', id: 2, client_id: 'r1', protocol: 2 }],
    ['GET_CHANGES with the default limit', { operation: 'GET_CHANGES', id: 3, since_sequence: 0 }],
    ['a resync asking for current entries only', { operation: 'GET_CHANGES', id: 3, since_sequence: 0, current_only: true }],
    ['GET_FILE', { operation: 'GET_FILE', id: 4, base_dir: 'docs', path: 'a/b.txt' }],
    ['an upstream deletion', { operation: 'UPSTREAM_FILE', id: 5, base_dir: 'd', path: 'x', checksum: null, size: 0, base_checksum: sum, delete: true }],
    ['a status question', { operation: 'UPSTREAM_STATUS', id: 6, staging_ids: ['S1', 'S2'] }],
    ['a file left out of the session', { operation: 'DROP_UPSTREAM_FILE', id: 7, staging_id: 'S1', base_dir: 'd', path: 'logs/run.log' }],
    ['a staged directory taken back out', { operation: 'DROP_UPSTREAM_FILE', id: 8, staging_id: 'S1', base_dir: 'd', path: 'new-dir', staged: true }],
    ['a session from an older client (no host name)', { operation: 'PREPARE_UPSTREAM', id: 9, file_count: 3 }],
    ['a session with R’s host name', { operation: 'PREPARE_UPSTREAM', id: 10, file_count: 3, host_name: 'r-laptop' }],
  ])('accepts %s', (_why, message) => {
    expect(Request.safeParse(message).success).toBe(true);
  });

  it.each([
    ['an unknown operation', { operation: 'RM_RF', id: 1 }],
    ['a missing id', { operation: 'PING' }],
    ['a negative id', { operation: 'PING', id: -1 }],
    ['a string sequence', { operation: 'GET_CHANGES', id: 1, since_sequence: '5' }],
    ['a huge limit', { operation: 'GET_CHANGES', id: 1, since_sequence: 0, limit: 1e9 }],
    ['a string current_only', { operation: 'GET_CHANGES', id: 1, since_sequence: 0, current_only: 'yes' }],
    ['a non-hex checksum', { operation: 'UPSTREAM_FILE', id: 1, base_dir: 'd', path: 'x', checksum: 'zz', size: 1, base_checksum: null }],
    ['a fractional size', { operation: 'UPSTREAM_FILE', id: 1, base_dir: 'd', path: 'x', checksum: sum, size: 1.5, base_checksum: null }],
    ['an array', [1, 2, 3]],
    ['a status question about nothing', { operation: 'UPSTREAM_STATUS', id: 1, staging_ids: [] }],
    ['a status question about too many sessions', { operation: 'UPSTREAM_STATUS', id: 1, staging_ids: Array.from({ length: MAX_STATUS_IDS + 1 }, (_, i) => `S${i}`) }],
    ['a status question with an empty id', { operation: 'UPSTREAM_STATUS', id: 1, staging_ids: [''] }],
    ['a file left out without its path', { operation: 'DROP_UPSTREAM_FILE', id: 1, base_dir: 'd' }],
    ['a file left out with an empty base dir', { operation: 'DROP_UPSTREAM_FILE', id: 1, base_dir: '', path: 'x' }],
    ['a staged entry taken out with a string flag', { operation: 'DROP_UPSTREAM_FILE', id: 1, base_dir: 'd', path: 'x', staged: 'yes' }],
    ['a session with an empty host name', { operation: 'PREPARE_UPSTREAM', id: 1, file_count: 3, host_name: '' }],
  ])('refuses %s', (_why, message) => {
    expect(Request.safeParse(message).success).toBe(false);
  });

  it('parses a change entry with a null checksum for a delete', () => {
    const entry = { sequence: 9, operation: 'delete', kind: 'file', base_dir: 'd', path: 'x', checksum: null, size: 0, mtime: 0, mode: 0, timestamp: 1 };
    expect(ChangeEntry.parse(entry)).toEqual(entry);
  });

  it('parses a file dated before 1970 (a negative mtime), but not a log timestamp before it', () => {
    const entry = { sequence: 9, operation: 'add', kind: 'file', base_dir: 'd', path: 'x', checksum: 'a'.repeat(64), size: 1, mtime: -315619200000, mode: 0o644, timestamp: 1 };
    expect(ChangeEntry.parse(entry)).toEqual(entry);
    expect(ChangeEntry.safeParse({ ...entry, timestamp: -1 }).success).toBe(false);
  });
});

describe('binary frames', () => {
  it('round-trips the request id and payload', () => {
    const frame = decodeBinaryFrame(encodeBinaryFrame(0xdeadbeef, Buffer.from('hello')));
    expect(frame?.id).toBe(0xdeadbeef);
    expect(frame?.payload.toString()).toBe('hello');
  });
  it('refuses a frame too short to carry an id', () => {
    expect(decodeBinaryFrame(Buffer.from([1, 2]))).toBeNull();
  });
});

describe('UpstreamFileResponse', () => {
  const answer = { id: 7, status: 'ok', operation: 'UPSTREAM_FILE', staging_id: 'S1', conflict: true };
  it.each([
    ['a known e_change', { ...answer, e_change: 'deleted' }, 'deleted'],
    ['no e_change (an older daemon)', answer, undefined],
    ['an e_change a newer daemon added: read as absent, the answer still taken', { ...answer, e_change: 'replaced_with_link' }, undefined],
  ])('takes %s', (_why, message, eChange) => {
    const parsed = UpstreamFileResponse.safeParse(message);
    expect(parsed.success).toBe(true);
    expect(parsed.data?.e_change).toBe(eChange);
  });
});

describe('GetChangesResponse', () => {
  const page = { id: 1, status: 'ok', changes: [], from_sequence: 3, to_sequence: 3, more_available: false, highest_sequence: 3 };
  it.each<[string, object, boolean]>([
    ['without unavailable_dirs (an older daemon, or every root there)', page, true],
    ['naming the roots E holds as unavailable', { ...page, unavailable_dirs: ['docs'] }, true],
    ['naming an empty root name', { ...page, unavailable_dirs: [''] }, false],
    ['with unavailable_dirs that is not a list', { ...page, unavailable_dirs: 'docs' }, false],
    ['naming the run of its end', { ...page, run_id: 'r'.repeat(32) }, true],
    ['naming an empty run', { ...page, run_id: '' }, false],
  ])('%s', (_why, message, ok) => {
    expect(GetChangesResponse.safeParse(message).success).toBe(ok);
  });
});

describe('HELLO and run_of', () => {
  const hello = { operation: 'HELLO', id: 1, client_id: 'c', protocol: 2 };
  const answer = { id: 1, status: 'ok', log_id: 'L', last_sequence: 9, compacted_through: 0, dirs: ['docs'], protocol: 2, server_time: 0 };
  it.each<[string, object, boolean]>([
    ['a HELLO asking nothing (an older client)', hello, true],
    ['a HELLO asking the run of a sequence', { ...hello, run_of: 9 }, true],
    ['a HELLO asking about a negative sequence', { ...hello, run_of: -1 }, false],
  ])('%s', (_why, message, ok) => {
    expect(Request.safeParse(message).success).toBe(ok);
  });
  it.each<[string, object, boolean]>([
    ['an answer without run_of (an older daemon)', answer, true],
    ['naming the run', { ...answer, run_of: { sequence: 9, run_id: 'A' } }, true],
    ['naming none (no run of this database logged it)', { ...answer, run_of: { sequence: 9, run_id: null } }, true],
    ['without the sequence it answers for', { ...answer, run_of: { run_id: 'A' } }, false],
  ])('%s', (_why, message, ok) => {
    expect(HelloResponse.safeParse(message).success).toBe(ok);
  });
});

describe('UpstreamStatusResponse', () => {
  it('reads a state a newer daemon added as pending (R waits rather than sending twice)', () => {
    const parsed = UpstreamStatusResponse.parse({
      id: 1,
      status: 'ok',
      sessions: [
        { staging_id: 'S1', state: 'discarded' },
        { staging_id: 'S2', state: 'quarantined' },
      ],
    });
    expect(parsed.sessions.map((s) => s.state)).toEqual(['discarded', 'pending']);
  });

  it('keeps an applied session\'s applied_from, and reads a malformed one as absent (R judges as before)', () => {
    const parsed = UpstreamStatusResponse.parse({
      id: 1,
      status: 'ok',
      sessions: [
        { staging_id: 'S1', state: 'applied', applied_from: 42 },
        { staging_id: 'S2', state: 'applied', applied_from: 'soon' },
        { staging_id: 'S3', state: 'applied' },
      ],
    });
    expect(parsed.sessions.map((s) => s.applied_from)).toEqual([42, undefined, undefined]);
  });
});

describe('error codes a newer peer added', () => {
  it.each([
    ['a known code is kept', 'PATH_CLASH', 'PATH_CLASH'],
    // Not INTERNAL, which the continuous client takes as fatal (tests/client/newer-daemon.test.ts).
    ['an unknown code reads as BAD_MESSAGE, with the sentence kept', 'SOMETHING_NEWER', 'BAD_MESSAGE'],
  ])('%s', (_why, code, expected) => {
    const error = ErrorResponse.parse({ id: 3, status: 'error', code, error: 'What the daemon said.' });
    expect(error).toEqual({ id: 3, status: 'error', code: expected, error: 'What the daemon said.' });
    const file = BatchedFile.parse({ path: 'a/b', status: 'error', code, error: 'Why this file was not sent.' });
    expect(file).toMatchObject({ status: 'error', code: expected, error: 'Why this file was not sent.' });
  });

  it('still refuses an error without a sentence', () => {
    expect(ErrorResponse.safeParse({ id: 3, status: 'error', code: 'SOMETHING_NEWER' }).success).toBe(false);
  });
});
