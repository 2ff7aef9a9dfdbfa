// The scanner reaches paths through real directories only: behind a directory swapped for a
// symlink there is nothing of E's tree, even where the link's target has files of the same name.
// Names that are not UTF-8 are left out (and the directory holding them is named to the caller).
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createIgnoreMatcher } from '@zync/common';
import { hashStable, lstatInRoot, unsyncableMessage, walkTree, type Utf8Check } from './scanner.js';

/** Every entry a walk finds, from the root or from a directory (with its inode, as its parent saw it). */
async function scanTree(root: string, matcher: ReturnType<typeof createIgnoreMatcher>, options: { under?: string; checkUtf8?: Utf8Check } = {}) {
  const entries: { path: string }[] = [];
  const under = options.under;
  let from: { rel: string; ino: number | null } | undefined;
  if (under !== undefined) {
    const stats = lstatInRoot(root, under);
    if (stats === null || stats === 'not-permitted' || !stats.isDirectory()) return { entries };
    from = { rel: under, ino: stats.ino };
  }
  for await (const listing of walkTree(root, matcher, { from, checkUtf8: options.checkUtf8 })) entries.push(...listing.entries);
  return { entries };
}

describe('scanner behind a symlinked directory', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'zync-scanner-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  mkdirSync(path.join(root, 'lib'), { recursive: true });
  writeFileSync(path.join(root, 'lib/a.txt'), 'in the root');
  mkdirSync(path.join(outside, 'sub'), { recursive: true });
  writeFileSync(path.join(outside, 'a.txt'), 'outside');
  writeFileSync(path.join(outside, 'sub/b.txt'), 'outside');

  it('sees lib/a.txt while lib is a directory', async () => {
    expect(lstatInRoot(root, 'lib/a.txt')).not.toBeNull();
    expect((await hashStable(root, 'lib/a.txt', Buffer.alloc(64))).status).toBe('ok');
  });

  it('takes lib/a.txt for gone once lib is a symlink, though the target has an a.txt', async () => {
    renameSync(path.join(root, 'lib'), path.join(root, 'lib.old'));
    symlinkSync(outside, path.join(root, 'lib'));
    expect(lstatInRoot(root, 'lib/a.txt')).toBeNull();
    expect(lstatInRoot(root, 'lib/sub')).toBeNull();
    expect(lstatInRoot(root, 'lib')).not.toBeNull(); // the link itself is there
    expect((await hashStable(root, 'lib/a.txt', Buffer.alloc(64))).status).toBe('gone');
  });

  it('lists nothing below a symlink, for the whole root or the subtree', async () => {
    const matcher = createIgnoreMatcher(null);
    expect((await scanTree(root, matcher, { under: 'lib' })).entries).toEqual([]);
    expect((await scanTree(root, matcher, { under: 'lib/sub' })).entries).toEqual([]);
    const whole = (await scanTree(root, matcher)).entries.map((e) => e.path).sort();
    expect(whole).toEqual(['lib.old', 'lib.old/a.txt']);
  });
});

describe('scanner with names that are not UTF-8', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'zync-scanner-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const raw = (rel: string, bad: number[]) => Buffer.concat([Buffer.from(`${root}/${rel}`), Buffer.from(bad)]);
  mkdirSync(path.join(root, 'sub'));
  writeFileSync(raw('sub/caf', [0xe9]), 'latin-1 name');
  mkdirSync(raw('d', [0xff]));
  writeFileSync(Buffer.concat([raw('d', [0xff]), Buffer.from('/inside.txt')]), 'below it');
  writeFileSync(path.join(root, 'sub/real\uFFFD.txt'), 'a real U+FFFD');

  it('leaves them out, keeps a real U+FFFD, and asks about each directory holding one once', async () => {
    const asked: string[] = [];
    const { entries } = await scanTree(root, createIgnoreMatcher(null), {
      checkUtf8: (dir) => {
        asked.push(dir);
        return dir === 'sub' ? new Set(['real\uFFFD.txt']) : new Set();
      },
    });
    expect(entries.map((e) => e.path).sort()).toEqual(['sub', 'sub/real\uFFFD.txt']);
    expect(asked.sort()).toEqual(['', 'sub']);
  });

  it('finds the real names itself without a checkUtf8', async () => {
    const { entries } = await scanTree(root, createIgnoreMatcher(null));
    expect(entries.map((e) => e.path).sort()).toEqual(['sub', 'sub/real\uFFFD.txt']);
  });
});

describe('the warning for a path zync does not sync', () => {
  it.each([
    ['a backslash', 'a\\b.txt', 'it contains a backslash'],
    ['a control character', 'a\u0001b', 'it contains a control character'],
    ['a path longer than the wire takes (deep directories of long names)', `${'d'.repeat(240)}/`.repeat(18) + 'f.txt', 'it is longer than 4096 characters'],
  ])('names the reason for %s', (_why, rel, reason) => {
    const message = unsyncableMessage(rel);
    expect(message).toMatch(/^name not syncable \(/);
    expect(message).toContain(reason);
  });
});
