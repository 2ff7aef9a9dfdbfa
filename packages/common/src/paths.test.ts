import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRelativePath, isInsideDir, joinInRoot, realRootSync, resolveInRoot, resolveInRootSync } from './paths.js';

describe('checkRelativePath', () => {
  it.each([
    ['a plain file', 'a.txt'],
    ['a nested path', 'dir/sub/file.md'],
    ['dots inside a name', 'a..b/.hidden/..x'],
    ['unicode', 'résumé/日本.txt'],
    ['spaces', 'my docs/a b.txt'],
  ])('accepts %s', (_why, p) => {
    expect(checkRelativePath(p)).toBe(p);
  });

  it.each([
    ['empty', ''],
    ['parent traversal', '../etc/passwd'],
    ['traversal in the middle', 'a/../../b'],
    ['a lone dot-dot', '..'],
    ['a dot segment', './a'],
    ['absolute', '/etc/passwd'],
    ['a Windows drive', 'C:/Windows'],
    ['a backslash traversal', '..\\..\\etc'],
    ['a backslash inside', 'a\\b'],
    ['a NUL byte', 'a\u0000b'],
    ['a newline', 'a\nb'],
    ['an empty segment', 'a//b'],
    ['a trailing slash', 'a/'],
    ['too long', 'a/'.repeat(3000) + 'b'],
  ])('refuses %s with UNSAFE_PATH', (_why, p) => {
    expect(() => checkRelativePath(p)).toThrow(expect.objectContaining({ code: 'UNSAFE_PATH' }));
  });

  it('joins a safe path below the root', () => {
    expect(joinInRoot('/srv/root', 'a/b')).toBe(path.join('/srv/root', 'a', 'b'));
  });
});

describe('resolveInRoot', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'zync-paths-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const outside = mkdtempSync(path.join(tmpdir(), 'zync-outside-'));
  afterAll(() => rmSync(outside, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'real'));
  writeFileSync(path.join(root, 'plain-file'), 'x');
  symlinkSync(outside, path.join(root, 'escape'));
  symlinkSync(path.join(outside, 'x'), path.join(root, 'link-file'));

  it.each([
    ['an existing directory', 'real/file.txt'],
    ['a path that does not exist yet', 'new/dir/file.txt'],
    ['a path below a file (to be replaced by a directory)', 'plain-file/a.txt'],
    ['a path further below a file (E replaced a directory with it)', 'plain-file/sub/a.txt'],
  ])('resolves %s inside the root', async (_why, rel) => {
    const resolved = await resolveInRoot(root, rel);
    expect(resolved.startsWith(root)).toBe(true);
    expect(resolveInRootSync(realRootSync(root), rel)).toBe(resolved);
  });

  it.each([
    ['through a symlinked directory', 'escape/passwd'],
    ['a symlink itself', 'link-file'],
  ])('refuses %s', async (_why, rel) => {
    await expect(resolveInRoot(root, rel)).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
  });

  it('allows a final symlink when asked (rename replaces the link, never follows it)', async () => {
    await expect(resolveInRoot(root, 'link-file', { allowFinalSymlink: true })).resolves.toBe(path.join(root, 'link-file'));
  });
});

describe('isInsideDir', () => {
  it.each([
    { child: '/srv/docs/state', parent: '/srv/docs', inside: true },
    { child: '/srv/docs', parent: '/srv/docs', inside: true },
    { child: '/srv/docs/..hidden', parent: '/srv/docs', inside: true },
    { child: '/srv/docs2', parent: '/srv/docs', inside: false },
    { child: '/srv', parent: '/srv/docs', inside: false },
    { child: '/other/docs', parent: '/srv/docs', inside: false },
  ])('$child in $parent: $inside', ({ child, parent, inside }) => {
    expect(isInsideDir(child, parent)).toBe(inside);
  });
});
