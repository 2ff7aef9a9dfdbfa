// The memo of directories without hard links: which link(2) failures teach it, and that a
// directory is the same one however its path is spelt.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasNoHardLinks, noteLinkFailure } from './no-hard-links.js';

const fail = (code: string) => Object.assign(new Error(code), { code });

describe('noteLinkFailure', () => {
  it.each([
    { why: 'EPERM (Linux on vfat, onto a new name)', code: 'EPERM', learns: true },
    { why: 'EOPNOTSUPP (some FUSE file systems)', code: 'EOPNOTSUPP', learns: true },
    { why: 'ENOTSUP', code: 'ENOTSUP', learns: true },
    { why: 'ENOSYS', code: 'ENOSYS', learns: true },
    { why: 'EEXIST (an existing name is refused before links are checked)', code: 'EEXIST', learns: false },
    { why: 'ENOENT (the source is gone)', code: 'ENOENT', learns: false },
    { why: 'EXDEV', code: 'EXDEV', learns: false },
  ])('$why: learns $learns', ({ code, learns }) => {
    const dir = `/memo-test/${code}`;
    expect(noteLinkFailure(dir, fail(code))).toBe(learns);
    expect(hasNoHardLinks(dir)).toBe(learns);
  });

  it('learns nothing from an error without a code', () => {
    expect(noteLinkFailure('/memo-test/no-code', new Error('odd'))).toBe(false);
    expect(hasNoHardLinks('/memo-test/no-code')).toBe(false);
  });

  it('knows a directory however its path is spelt, and only that directory', () => {
    const dir = path.join(process.cwd(), 'memo-test-relative');
    noteLinkFailure('memo-test-relative/', fail('EPERM'));
    expect(hasNoHardLinks(dir)).toBe(true);
    expect(hasNoHardLinks(path.join(dir, 'sub'))).toBe(false);
    expect(hasNoHardLinks(path.dirname(dir))).toBe(false);
  });
});
