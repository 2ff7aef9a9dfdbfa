import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDirRoots, findNestedRoots, makeRoots, parseDirSpecs, refuseUnusableRoots, type DirSpec } from './dir-spec.js';

describe('parseDirSpecs', () => {
  it.each([
    ['one spec', ['docs:/srv/docs'], [{ name: 'docs', root: '/srv/docs' }]],
    ['a relative path', ['code:src'], [{ name: 'code', root: '/home/u/src' }]],
    ['a colon in the path', ['x:/a:b'], [{ name: 'x', root: '/a:b' }]],
    ['several specs', ['a:/a', 'b.2_c-d:/b'], [{ name: 'a', root: '/a' }, { name: 'b.2_c-d', root: '/b' }]],
    // Shells expand ~ only at the start of a word, not after `docs:`; zync does it for them.
    ['~ alone as the home directory', ['home:~'], [{ name: 'home', root: '/home/me' }]],
    ['a path below ~', ['docs:~/docs'], [{ name: 'docs', root: '/home/me/docs' }]],
    ['a path below ~ with a trailing slash', ['docs:~/docs/'], [{ name: 'docs', root: '/home/me/docs' }]],
    ['a ~ that is not at the start', ['docs:a/~/b'], [{ name: 'docs', root: '/home/u/a/~/b' }]],
  ])('parses %s', (_why, specs, expected) => {
    expect(parseDirSpecs(specs, '/home/u', '/home/me')).toEqual(expected);
  });

  it.each([
    ['no specs', [], /No directories given/],
    ['no colon', ['docs'], /is not NAME:PATH/],
    ['an empty name', [':/a'], /is not NAME:PATH/],
    ['an empty path', ['docs:'], /is not NAME:PATH/],
    ['a bad name', ['../x:/a'], /must start with a letter or digit/],
    ['a duplicate name', ['a:/x', 'a:/y'], /given twice/],
    ["another user's home (~name), which zync does not expand", ['docs:~bob/docs'], /starts with "~bob", which zync does not expand; give the full path/],
  ])('refuses %s', (_why, specs, message) => {
    expect(() => parseDirSpecs(specs, '/', '/home/me')).toThrow(message);
  });
});

describe('findNestedRoots', () => {
  it.each([
    ['disjoint roots', ['/a', '/b'], false],
    ['a prefix that is not a parent', ['/a', '/ab'], false],
    ['a root inside another', ['/a', '/a/b'], true],
    ['the same root twice', ['/a', '/a'], true],
  ])('%s', (_why, roots, nested) => {
    const dirs = roots.map((root, i) => ({ name: `d${i}`, root }));
    expect(findNestedRoots(dirs) !== null).toBe(nested);
  });
});

describe('checkDirRoots', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'zync-dirs-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  mkdirSync(path.join(base, 'docs'));
  writeFileSync(path.join(base, 'file'), 'x');

  it('refuses a missing root', async () => {
    await expect(checkDirRoots([{ name: 'm', root: path.join(base, 'missing') }])).rejects.toThrow(/does not exist/);
  });
  it('refuses a root that is a file', async () => {
    await expect(checkDirRoots([{ name: 'f', root: path.join(base, 'file') }])).rejects.toThrow(/is not a directory/);
  });
  it('refuses nested roots', async () => {
    await expect(checkDirRoots([{ name: 'a', root: base }, { name: 'b', root: path.join(base, 'docs') }])).rejects.toThrow(/overlap/);
  });
});

describe('refuseUnusableRoots, then makeRoots (the client)', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'zync-dirs-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  writeFileSync(path.join(base, 'file'), 'x');
  const refuseThenMake = async (dirs: DirSpec[]) => makeRoots(await refuseUnusableRoots(dirs, { allowMissing: true }));

  it('creates a missing root', async () => {
    await refuseThenMake([{ name: 'n', root: path.join(base, 'new/deep') }]);
    expect(existsSync(path.join(base, 'new/deep'))).toBe(true);
  });
  it.each([
    ['a file', 'file', /^"f" is not a directory: .*\/file\.$/],
    ['a path below a file', 'file/sub/deeper', /^"f" is not a directory: .*\/file\/sub\/deeper \(.*\/file is a file\)\.$/],
  ])('refuses a root that is %s, in one sentence', async (_why, rel, message) => {
    await expect(refuseThenMake([{ name: 'f', root: path.join(base, rel) }])).rejects.toThrow(message);
    await expect(refuseThenMake([{ name: 'f', root: path.join(base, rel) }])).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });
  it('creates nothing when another root is unusable', async () => {
    const fresh = path.join(base, 'fresh');
    await expect(refuseThenMake([{ name: 'n', root: fresh }, { name: 'f', root: path.join(base, 'file/x') }])).rejects.toThrow(/is not a directory/);
    expect(existsSync(fresh)).toBe(false);
  });
  it('creates nothing when missing roots would nest', async () => {
    const outer = path.join(base, 'outer');
    await expect(refuseThenMake([{ name: 'a', root: outer }, { name: 'b', root: path.join(outer, 'inner') }])).rejects.toThrow(/overlap/);
    expect(existsSync(outer)).toBe(false);
  });
  it('says so when two names are given the same directory', async () => {
    await expect(checkDirRoots([{ name: 'a', root: base }, { name: 'b', root: base }])).rejects.toThrow(
      `Directories "a" and "b" overlap (both are ${base}); give roots that do not nest.`,
    );
  });
});
