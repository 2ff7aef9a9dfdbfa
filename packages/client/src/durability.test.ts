// Durable batch writes on a real temp directory: temp files carry E's content, mode and mtime
// and nothing else is left behind when a write fails; a barrier over many files (syncfs) and
// over a few (fsync each) both resolve, and a file already renamed away is not an error.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SYNCFS_MIN_ITEMS, makeDurable, writeTempFileSync } from './durability.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempRoot = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'zync-durability-'));
  dirs.push(d);
  return d;
};

describe('writeTempFileSync', () => {
  it.each([
    { name: 'a plain file', mode: 0o644 },
    { name: 'an executable', mode: 0o755 },
    { name: 'a mode the umask would narrow', mode: 0o666 },
  ])('writes $name beside its target with E’s mode and mtime', ({ mode }) => {
    const root = tempRoot();
    const target = path.join(root, 'a.txt');
    const mtime = 1_700_000_000_123;
    const { tempPath, file } = writeTempFileSync(target, Buffer.from('content\n'), { mode, mtime });
    expect(path.dirname(tempPath)).toBe(root);
    expect(path.basename(tempPath)).toMatch(/^\.zync-tmp-a\.txt-/);
    expect(readFileSync(tempPath, 'utf8')).toBe('content\n');
    const info = statSync(tempPath);
    expect(info.mode & 0o7777).toBe(mode);
    expect(file).toEqual({ size: 8, mtime: info.mtimeMs, ino: info.ino, mode });
    expect(Math.abs(info.mtimeMs - mtime)).toBeLessThan(1);
    expect(readdirSync(root)).toEqual([path.basename(tempPath)]);
  });

  it('fails with a stable code and leaves nothing when the directory is missing', () => {
    const root = tempRoot();
    expect(() => writeTempFileSync(path.join(root, 'missing', 'a.txt'), Buffer.from('x'), { mode: 0o644, mtime: 0 })).toThrow(
      expect.objectContaining({ code: 'ENOENT' }) as unknown as Error,
    );
    expect(readdirSync(root)).toEqual([]);
  });
});

describe('makeDurable', () => {
  it.each([
    { name: 'a few files (fsync each)', count: 3 },
    { name: 'many files (one syncfs)', count: SYNCFS_MIN_ITEMS + 5 },
  ])('resolves for $name, and skips files already gone', async ({ count }) => {
    const root = tempRoot();
    const paths = Array.from({ length: count }, (_, i) => writeTempFileSync(path.join(root, `f${i}`), Buffer.from(`file ${i}`), { mode: 0o644, mtime: 0 }).tempPath);
    rmSync(paths[0]!);
    await expect(makeDurable([...paths, root], [root])).resolves.toBeUndefined();
  });

  it('resolves at once for nothing', async () => {
    await expect(makeDurable([], [])).resolves.toBeUndefined();
  });
});
