import { describe, expect, it } from 'vitest';
import { exitCodeFor, ZyncError } from '@zync/common';
import { changedWhileSent, ignoredOnE, leftOutError } from './left-out.js';

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

  it('exits 11: the rest was staged, but not everything was sent', () => {
    expect(exitCodeFor(leftOutError(['docs/run.log']))).toBe(11);
    expect(exitCodeFor(leftOutError([], ['docs/x.log']))).toBe(11);
  });
});
