import { describe, expect, it } from 'vitest';
import { checkAllArrived, checkDropUpstreamFile, checkFinalize, checkNothingBelowFiles, checkPrepare, checkUpstreamFile, entryKey, type SessionView, type TreeEntry } from './upstream-rules.js';

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
    ['a path R left out, sent again (read once more): it counts back in', open({ file_count: 1, seen: new Set([entryKey('docs', 'b.txt')]), dropped: new Set([entryKey('docs', 'a.txt')]) }), file, null],
    ['another path once all but one left out are there', open({ file_count: 1, seen: new Set([entryKey('docs', 'b.txt')]), dropped: new Set([entryKey('docs', 'a.txt')]) }), { ...file, path: 'c.txt' }, 'UPSTREAM_STATE'],
  ])('%s', (_name, session, req, code) => {
    expect(checkUpstreamFile(session, req, dirs, { maxFileBytes: 10 })?.code ?? null).toBe(code);
  });
});

describe('checkDropUpstreamFile', () => {
  const a = entryKey('docs', 'a.txt');
  const b = entryKey('docs', 'b.txt');
  const drop = { base_dir: 'docs', path: 'a.txt' };
  it.each<[string, SessionView | null, typeof drop & { staging_id?: string }, boolean, string | null]>([
    ['a file whose upload failed (not seen any more)', open(), drop, false, null],
    ['a file whose upload still waits for bytes', open({ seen: new Set([a]) }), drop, true, null],
    ['the last entry, the others all sent', open({ seen: new Set([a, b]) }), drop, true, null],
    ['the session named explicitly', open(), { ...drop, staging_id: 'S1' }, false, null],
    ['no session', null, drop, false, 'UPSTREAM_STATE'],
    ['another session named', open(), { ...drop, staging_id: 'S2' }, false, 'UPSTREAM_STATE'],
    ['an aborted session', open({ status: 'aborted' }), drop, false, 'UPSTREAM_STATE'],
    ['a session being finalized', open({ status: 'finalizing' }), drop, false, 'UPSTREAM_STATE'],
    ['an unknown base dir', open(), { ...drop, base_dir: 'code' }, false, 'UNKNOWN_BASE_DIR'],
    ['a path escaping the root', open(), { ...drop, path: '../../etc/passwd' }, false, 'UNSAFE_PATH'],
    ['an absolute path', open(), { ...drop, path: '/etc/passwd' }, false, 'UNSAFE_PATH'],
    ['a path not in its plain form', open(), { ...drop, path: 'a//b' }, false, 'UNSAFE_PATH'],
    ['a file staged already', open({ seen: new Set([a]) }), drop, false, 'UPSTREAM_STATE'],
    ['a file left out already', open({ file_count: 1, dropped: new Set([a]) }), drop, false, 'UPSTREAM_STATE'],
    ['more left out than announced', open({ file_count: 1, seen: new Set([b]) }), drop, false, 'UPSTREAM_STATE'],
  ])('%s', (_name, session, req, uploading, code) => {
    expect(checkDropUpstreamFile(session, req, dirs, uploading)?.code ?? null).toBe(code);
  });

  const back = { ...drop, staged: true };
  it.each<[string, SessionView | null, typeof back & { staging_id?: string }, { uploading: boolean; recorded: boolean }, string | null]>([
    ['a staged entry taken back out', open({ seen: new Set([a]) }), back, { uploading: false, recorded: true }, null],
    ['the only entry of the session', open({ file_count: 1, seen: new Set([a]) }), back, { uploading: false, recorded: true }, null],
    ['one still being committed', open({ seen: new Set([a]) }), back, { uploading: false, recorded: false }, 'UPSTREAM_STATE'],
    ['one still waiting for bytes', open({ seen: new Set([a]) }), back, { uploading: true, recorded: false }, 'UPSTREAM_STATE'],
    ['one never sent', open(), back, { uploading: false, recorded: false }, 'UPSTREAM_STATE'],
    ['one left out already', open({ file_count: 1, dropped: new Set([a]) }), back, { uploading: false, recorded: false }, 'UPSTREAM_STATE'],
    ['an unsafe path, even if something claims it is recorded', open({ seen: new Set([a]) }), { ...back, path: '../a.txt' }, { uploading: false, recorded: true }, 'UNSAFE_PATH'],
    ['an unknown base dir', open({ seen: new Set([a]) }), { ...back, base_dir: 'code' }, { uploading: false, recorded: true }, 'UNKNOWN_BASE_DIR'],
    ['a session being finalized', open({ status: 'finalizing', seen: new Set([a]) }), back, { uploading: false, recorded: true }, 'UPSTREAM_STATE'],
  ])('staged: %s', (_name, session, req, at, code) => {
    expect(checkDropUpstreamFile(session, req, dirs, at.uploading, at.recorded)?.code ?? null).toBe(code);
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

describe('checkNothingBelowFiles', () => {
  const f = (path: string, operation: TreeEntry['operation'] = 'add', base_dir = 'docs'): TreeEntry => ({ base_dir, path, kind: 'file', operation });
  const d = (path: string, operation: TreeEntry['operation'] = 'add'): TreeEntry => ({ base_dir: 'docs', path, kind: 'dir', operation });
  it.each<[string, TreeEntry[], [string, string] | null]>([
    ['files side by side', [f('a'), f('b/c'), f('a.txt'), f('a-b/c')], null],
    ['a directory and what R put in it', [d('a'), f('a/b'), d('a/c'), f('a/c/d')], null],
    ['a file R replaced with a directory, as older clients send it (the file deleted)', [f('a', 'delete'), f('a/b')], null],
    ['a file, and a path below its name in another base dir', [f('a', 'add', 'code'), f('a/b')], null],
    ['a file and a file below it', [f('a'), f('a/b')], ['docs/a', 'docs/a/b']],
    ['a file below, sent first', [f('a/b'), f('a', 'modify')], ['docs/a', 'docs/a/b']],
    ['a file and a directory below it', [f('a'), d('a/c')], ['docs/a', 'docs/a/c']],
    ['a file and an entry deep below it', [f('x'), f('a'), f('a/b/c')], ['docs/a', 'docs/a/b/c']],
    ['a file and a deletion below it (order decides whether R’s file replaces E’s directory)', [f('a'), f('a/b', 'delete')], ['docs/a', 'docs/a/b']],
    ['a file and a removed directory below it', [f('a'), d('a/b', 'delete')], ['docs/a', 'docs/a/b']],
  ])('%s', (_name, entries, clash) => {
    const refused = checkNothingBelowFiles({ staging_id: 'S1' }, entries);
    if (clash === null) return expect(refused).toBeNull();
    expect(refused?.code).toBe('PATH_CLASH');
    expect(refused?.message).toBe(
      `Session S1 holds ${clash[0]} as a file and also ${clash[1]} below it; a path cannot be both a file and a directory, so nothing of the session was staged — rename one of them on R (or make that change on E) and run --update-upstream again.`,
    );
  });
});
