// Durability barriers on a real temp directory: over many files (syncfs) and over a few (fsync
// each) both resolve, and a file already renamed away is not an error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SYNCFS_MIN_ITEMS, makeDurable, onePerFileSystem } from './durability.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempRoot = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'zync-durability-'));
  dirs.push(d);
  return d;
};

describe('makeDurable', () => {
  it.each([
    { name: 'a few files (fsync each)', count: 3 },
    { name: 'many files (one syncfs)', count: SYNCFS_MIN_ITEMS + 5 },
  ])('resolves for $name, and skips paths already gone (or below what is now a file)', async ({ count }) => {
    const root = tempRoot();
    const paths = Array.from({ length: count }, (_, i) => {
      const file = path.join(root, `f${i}`);
      writeFileSync(file, `file ${i}`);
      return file;
    });
    rmSync(paths[0]!);
    // A directory the batch touched and then replaced, with its parent, by a file of E's.
    const belowFile = path.join(paths[1]!, 'sub');
    await expect(makeDurable([...paths, belowFile, root], [root])).resolves.toBeUndefined();
  });

  it('resolves at once for nothing', async () => {
    await expect(makeDurable([], [])).resolves.toBeUndefined();
  });

  it('flushes every file system the paths are on, once each: a disk mounted inside a root too', () => {
    const devices: Record<string, number | null> = { '/r': 1, '/r/a': 1, '/r/mnt': 2, '/r/mnt/b': 2, '/r/gone': null };
    const chosen = onePerFileSystem(['/r/a', '/r/mnt/b', '/r', '/r/mnt', '/r/a', '/r/gone'], (dir) => devices[dir] ?? null);
    expect(chosen).toEqual(['/r/a', '/r/mnt/b']);
  });
});
