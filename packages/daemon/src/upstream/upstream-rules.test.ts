import { describe, expect, it } from 'vitest';
import { checkAllArrived, checkFinalize, checkPrepare, checkUpstreamFile, entryKey, type SessionView } from './upstream-rules.js';

const SUM = 'a'.repeat(64);
const dirs = new Set(['docs']);
const open = (over: Partial<SessionView> = {}): SessionView => ({
  staging_id: 'S1',
  status: 'in_progress',
  file_count: 2,
  seen: new Set<string>(),
  ...over,
});
const file = { base_dir: 'docs', path: 'a.txt', checksum: SUM, size: 3, delete: false } as const;

describe('checkPrepare', () => {
  it.each<[string, SessionView | null, string | null]>([
    ['no session yet', null, null],
    ['previous session complete', open({ status: 'complete' }), null],
    ['previous session aborted', open({ status: 'aborted' }), null],
    ['session still open', open(), 'UPSTREAM_STATE'],
    ['session finalizing', open({ status: 'finalizing' }), 'UPSTREAM_STATE'],
  ])('%s', (_name, session, code) => {
    expect(checkPrepare(session)?.code ?? null).toBe(code);
  });
});

describe('checkUpstreamFile', () => {
  it.each<[string, SessionView | null, Parameters<typeof checkUpstreamFile>[1], string | null]>([
    ['a file in an open session', open(), file, null],
    ['a deletion', open(), { ...file, checksum: null, size: 0, delete: true }, null],
    ['the session named explicitly', open(), { ...file, staging_id: 'S1' }, null],
    ['no session', null, file, 'UPSTREAM_STATE'],
    ['another session named', open(), { ...file, staging_id: 'S2' }, 'UPSTREAM_STATE'],
    ['an aborted session', open({ status: 'aborted', reason: 'disk full' }), file, 'UPSTREAM_STATE'],
    ['a finalized session', open({ status: 'complete' }), file, 'UPSTREAM_STATE'],
    ['an unknown base dir', open(), { ...file, base_dir: 'code' }, 'UNKNOWN_BASE_DIR'],
    ['a path with ..', open(), { ...file, path: '../etc/passwd' }, 'UNSAFE_PATH'],
    ['an absolute path', open(), { ...file, path: '/etc/passwd' }, 'UNSAFE_PATH'],
    ['a deletion with a checksum', open(), { ...file, delete: true }, 'BAD_MESSAGE'],
    ['a directory made on R', open(), { ...file, kind: 'dir', checksum: null, size: 0, base_checksum: null }, null],
    ['a directory removed on R', open(), { ...file, kind: 'dir', checksum: null, size: 0, base_checksum: null, delete: true }, null],
    ['a directory with content', open(), { ...file, kind: 'dir', checksum: null, size: 3, base_checksum: null }, 'BAD_MESSAGE'],
    ['a directory made over a received file (its base)', open(), { ...file, kind: 'dir', checksum: null, size: 0, base_checksum: SUM }, null],
    ['a directory removed with a base checksum', open(), { ...file, kind: 'dir', checksum: null, size: 0, base_checksum: SUM, delete: true }, 'BAD_MESSAGE'],
    ['a file without checksum', open(), { ...file, checksum: null }, 'BAD_MESSAGE'],
    ['a file over the size limit', open(), { ...file, size: 11 }, 'TOO_LARGE'],
    ['the same path twice', open({ seen: new Set([entryKey('docs', 'a.txt')]) }), file, 'UPSTREAM_STATE'],
    ['more entries than announced', open({ file_count: 1, seen: new Set([entryKey('docs', 'b.txt')]) }), file, 'UPSTREAM_STATE'],
  ])('%s', (_name, session, req, code) => {
    expect(checkUpstreamFile(session, req, dirs, { maxFileBytes: 10 })?.code ?? null).toBe(code);
  });
});

describe('checkFinalize / checkAllArrived', () => {
  it.each<[string, SessionView | null, string | undefined, string | null]>([
    ['the open session', open(), undefined, null],
    ['named', open(), 'S1', null],
    ['no session', null, undefined, 'UPSTREAM_STATE'],
    ['wrong id', open(), 'S9', 'UPSTREAM_STATE'],
    ['already finalizing', open({ status: 'finalizing' }), undefined, 'UPSTREAM_STATE'],
  ])('%s', (_name, session, id, code) => {
    expect(checkFinalize(session, { staging_id: id })?.code ?? null).toBe(code);
  });
  it.each([
    ['all arrived', 2, null],
    ['one missing', 1, 'UPSTREAM_STATE'],
  ] as const)('%s', (_name, staged, code) => {
    expect(checkAllArrived(open(), staged)?.code ?? null).toBe(code);
  });
});
