import { describe, expect, it } from 'vitest';
import { exitCodeFor, ZyncError } from '@zync/common';
import { changedWhileSent, ignoredOnE, leftOutError, outdatedEntries, unavailableOnE, type StatNow } from './left-out.js';
import { fileKey, type UpstreamEntry } from './plan-upstream.js';

const errno = (code: string) => Object.assign(new Error(code), { code });

describe('changedWhileSent', () => {
  it.each<[string, unknown, boolean]>([
    ['the file shrank under the read', new ZyncError('FILE_CHANGED', 'docs/a changed while it was being sent.'), true],
    ['E found other bytes than R hashed (a same-size rewrite)', new ZyncError('CHECKSUM_MISMATCH', 'Content does not match.'), true],
    ['the file was removed meanwhile', errno('ENOENT'), true],
    ['a directory above it became a file', errno('ENOTDIR'), true],
    ['R may no longer read it', errno('EACCES'), false],
    ['a read error of the disk', errno('EIO'), false],
    ['the connection was lost', new ZyncError('CONNECTION_FAILED', 'The connection closed.'), false],
    ["E's disk is full", new ZyncError('DISK_FULL', 'No space left.'), false],
    ['the session is gone on E', new ZyncError('UPSTREAM_STATE', 'Staging session S was aborted.'), false],
    ['anything else', new Error('boom'), false],
    ['E ignores the path', new ZyncError('IGNORED_PATH', 'Refused path "x.log": E\'s ignore rules exclude it from syncing.'), false],
  ])('%s: %s', (_why, err, expected) => {
    expect(changedWhileSent(err)).toBe(expected);
  });
});

describe('ignoredOnE', () => {
  it.each<[string, unknown, boolean]>([
    ["E's ignore rules exclude the path", new ZyncError('IGNORED_PATH', 'Refused path "x.log": E\'s ignore rules exclude it from syncing.'), true],
    ['a path E refuses as unsafe', new ZyncError('UNSAFE_PATH', 'Refused path "../x".'), false],
    ['the file changed while it was sent', new ZyncError('FILE_CHANGED', 'docs/a changed while it was being sent.'), false],
    ['anything else', new Error('boom'), false],
  ])('%s', (_why, err, expected) => {
    expect(ignoredOnE(err)).toBe(expected);
  });
});

describe('unavailableOnE', () => {
  const missing = 'E\'s root "docs" is missing or not a directory; nothing was staged for it — restore or mount it on E, then run --update-upstream again.';
  it.each<[string, unknown, string | null]>([
    ["E's root is unavailable: its sentence", new ZyncError('ROOT_UNAVAILABLE', missing), missing],
    ['E ignores the path', new ZyncError('IGNORED_PATH', 'Refused path "x.log".'), null],
    ['anything else', new Error('boom'), null],
  ])('%s', (_why, err, expected) => {
    expect(unavailableOnE(err)).toBe(expected);
  });
});

describe('leftOutError', () => {
  it.each<[string, string[], string]>([
    ['one file', ['docs/run.log'], 'left out: docs/run.log changed while it was being sent; it goes with the next --update-upstream.'],
    ['two files', ['docs/a.log', 'code/b.bin'], 'left out: docs/a.log, code/b.bin changed while they were being sent; they go with the next --update-upstream.'],
    [
      'more than ten: the rest counted',
      Array.from({ length: 12 }, (_, i) => `d/${i}`),
      'left out: d/0, d/1, d/2, d/3, d/4, d/5, d/6, d/7, d/8, d/9 and 2 more changed while they were being sent; they go with the next --update-upstream.',
    ],
    ['a name with a control character, printed inert', ['d/a\u001b[2Jb'], 'left out: d/a\\x1b[2Jb changed while it was being sent; it goes with the next --update-upstream.'],
  ])('%s', (_why, paths, message) => {
    expect(leftOutError(paths).message).toBe(message);
  });

  it.each<[string, string[], string[], string]>([
    [
      'one file E ignores',
      [],
      ['docs/x.log'],
      "left out: docs/x.log is ignored on E (its .zyncignore); R keeps it as it is — run zync-client to get E's rules before the next --update-upstream.",
    ],
    [
      'two files E ignores',
      [],
      ['docs/x.log', 'docs/y.log'],
      "left out: docs/x.log, docs/y.log are ignored on E (its .zyncignore); R keeps them as they are — run zync-client to get E's rules before the next --update-upstream.",
    ],
    [
      'a changed file and an ignored one: both said, each with what to do',
      ['docs/run.log'],
      ['docs/x.log'],
      'left out: docs/run.log changed while it was being sent; it goes with the next --update-upstream. ' +
        "Also left out: docs/x.log is ignored on E (its .zyncignore); R keeps it as it is — run zync-client to get E's rules before the next --update-upstream.",
    ],
  ])('%s', (_why, changed, ignored, message) => {
    expect(leftOutError(changed, ignored).message).toBe(message);
  });

  it("says that files R's own .zyncignore change un-ignores wait for that session, not for a pull", () => {
    const message = leftOutError([], ['docs/r.log', 'code/x.log'], [], new Map([['docs', 'S1']])).message;
    expect(message).toBe(
      "left out: docs/r.log is ignored on E (its .zyncignore); R's own change to docs/.zyncignore waits in session S1 on E: once it is applied there, docs/r.log goes with the next --update-upstream. " +
        "Also left out: code/x.log is ignored on E (its .zyncignore); R keeps it as it is — run zync-client to get E's rules before the next --update-upstream.",
    );
  });

  it("names the entries of each root unavailable on E with E's sentence, after the others", () => {
    const reason = (name: string) => `E's root "${name}" is missing or not a directory; nothing was staged for it — restore or mount it on E, then run --update-upstream again.`;
    const unavailable = [
      { base_dir: 'docs', reason: reason('docs'), paths: ['docs/a.txt'] },
      { base_dir: 'code', reason: reason('code'), paths: ['code/b.txt', 'code/c.txt'] },
    ];
    expect(leftOutError(['docs/run.log'], [], unavailable).message).toBe(
      'left out: docs/run.log changed while it was being sent; it goes with the next --update-upstream. ' +
        `Also left out: docs/a.txt stays on R: ${reason('docs')} Also left out: code/b.txt, code/c.txt stay on R: ${reason('code')}`,
    );
  });

  it('exits 11: the rest was staged, but not everything was sent', () => {
    expect(exitCodeFor(leftOutError(['docs/run.log']))).toBe(11);
    expect(exitCodeFor(leftOutError([], ['docs/x.log']))).toBe(11);
    expect(exitCodeFor(leftOutError([], [], [{ base_dir: 'docs', reason: 'x', paths: ['docs/a'] }]))).toBe(11);
  });
});

describe('outdatedEntries', () => {
  const SUM = 'a'.repeat(64);
  const dir = (path: string, mode?: number): UpstreamEntry => ({ base_dir: 'docs', path, kind: 'dir', operation: 'add', checksum: null, size: 0, base_checksum: null, ...(mode === undefined ? {} : { mode }) });
  const file = (path: string, size = 5): UpstreamEntry => ({ base_dir: 'docs', path, kind: 'file', operation: 'add', checksum: SUM, size, base_checksum: null, mode: 0o644 });
  const gone = (path: string, kind: 'file' | 'dir' = 'file'): UpstreamEntry => ({ base_dir: 'docs', path, kind, operation: 'delete', checksum: null, size: 0, base_checksum: kind === 'file' ? SUM : null });
  const absent: StatNow = { kind: 'absent' };
  const aDir: StatNow = { kind: 'dir', mode: 0o755 };
  const aFile = (size: number, mode = 0o644): StatNow => ({ kind: 'file', size, mode });
  it.each<[string, UpstreamEntry[], Record<string, StatNow>, string[]]>([
    ['a new directory R removed, nothing staged below it', [dir('new', 0o755)], { new: absent }, ['new']],
    ['a new directory still there', [dir('new', 0o755)], { new: aDir }, []],
    ['a new directory replaced by a file', [dir('new', 0o755)], { new: aFile(3) }, ['new']],
    ['a new directory chmod-ed since', [dir('new', 0o755)], { new: { kind: 'dir', mode: 0o700 } }, ['new']],
    ['a new directory sent without a mode', [dir('new')], { new: { kind: 'dir', mode: 0o700 } }, []],
    ['a removed directory, a file staged below it: still needed', [dir('new', 0o755), file('new/a.txt')], { new: absent }, []],
    ['nested directories removed, nothing below them staged', [dir('new', 0o755), dir('new/sub', 0o755)], { new: absent, 'new/sub': absent }, ['new', 'new/sub']],
    ['nested: the deeper one kept by a file keeps the upper one', [dir('new', 0o755), dir('new/sub', 0o755), file('new/sub/a.txt')], { new: absent, 'new/sub': absent }, []],
    ['a removed directory with an empty file below, also gone', [dir('new', 0o755), file('new/e.txt', 0)], { new: absent, 'new/e.txt': absent }, ['new', 'new/e.txt']],
    ['a deleted file R made again', [gone('old.txt')], { 'old.txt': aFile(9) }, ['old.txt']],
    ['a deleted file still gone', [gone('old.txt')], { 'old.txt': absent }, []],
    ['a deleted file, a directory in its place now', [gone('old.txt')], { 'old.txt': aDir }, ['old.txt']],
    ['a removed directory R made again', [gone('old', 'dir')], { old: aDir }, ['old']],
    ['a deletion below a directory R made again stays', [gone('old', 'dir'), gone('old/a.txt')], { old: aDir, 'old/a.txt': absent }, ['old']],
    ['an empty file R wrote into since', [file('e.txt', 0)], { 'e.txt': aFile(4) }, ['e.txt']],
    ['an empty file R removed since', [file('e.txt', 0)], { 'e.txt': absent }, ['e.txt']],
    ['an empty file chmod-ed since', [file('e.txt', 0)], { 'e.txt': aFile(0, 0o600) }, ['e.txt']],
    ['an empty file as it was', [file('e.txt', 0)], { 'e.txt': aFile(0) }, []],
    // A root without Unix modes shows 755; the edit leaves the bits to E (sent with E's 644).
    ['a received file emptied, with no chmod, on a root showing its own bits', [{ ...file('e.txt', 0), operation: 'modify', base_checksum: SUM, base_mode: 0o644 }], { 'e.txt': aFile(0, 0o755) }, []],
    ['a file whose bytes went, removed since', [file('a.txt')], { 'a.txt': absent }, ['a.txt']],
    ['a file whose bytes went, edited since: R\'s next edit', [file('a.txt')], { 'a.txt': aFile(9) }, []],
    ['a new directory removed with the files that went: all taken out', [dir('new', 0o755), file('new/a.txt'), file('new/sub/b.txt')], { new: absent, 'new/a.txt': absent, 'new/sub/b.txt': absent }, ['new', 'new/a.txt', 'new/sub/b.txt']],
    ['a path that could not be looked at', [dir('new', 0o755), gone('old.txt')], { new: { kind: 'unknown' }, 'old.txt': { kind: 'unknown' } }, []],
    ['a path not looked at', [dir('new', 0o755)], {}, []],
  ])('%s', (_why, sent, now, expected) => {
    const at = new Map(Object.entries(now).map(([p, s]) => [fileKey('docs', p), s]));
    expect(outdatedEntries(sent, at).map((e) => e.path)).toEqual(expected);
  });

  it('keeps a directory of one base dir for an entry below the same path in another', () => {
    const sent = [dir('new', 0o755), { ...file('new/a.txt'), base_dir: 'other' }];
    expect(outdatedEntries(sent, new Map([[fileKey('docs', 'new'), { kind: 'absent' } as StatNow]])).map((e) => e.path)).toEqual(['new']);
  });
});
