// A file system without hard links (FAT, some FUSE and network file systems) under one
// directory only: link(2) fails there with EPERM, and the writer falls back to a rename there,
// while every other directory keeps putting new files in place by a link.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { linkIntoPlace } from './atomic-write.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zync-no-links-'));
const fat = path.join(dir, 'fat');
const ext = path.join(dir, 'ext');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const linkSync = vi.fn((from: fs.PathLike, to: fs.PathLike) => {
    if (String(to).includes(`${path.sep}fat${path.sep}`)) throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
    real.linkSync(from, to);
  });
  return { ...real, default: { ...real, linkSync }, linkSync };
});

it('falls back to a rename only in the directory whose file system has no hard links', () => {
  mkdirSync(fat);
  mkdirSync(ext);
  const temp = (d: string, n: number) => {
    const p = path.join(d, `.zync-tmp-f${n}.txt-00000000000${n}`);
    writeFileSync(p, `content ${n}`);
    return p;
  };
  expect(linkIntoPlace(temp(fat, 1), path.join(fat, 'f1.txt'))).toBe(false);
  expect(linkIntoPlace(temp(fat, 2), path.join(fat, 'f2.txt'))).toBe(false);
  expect(vi.mocked(fs.linkSync)).toHaveBeenCalledTimes(1); // the second is not tried again there
  // Elsewhere a new file still lands by a link, and only its one name is left.
  expect(linkIntoPlace(temp(ext, 3), path.join(ext, 'f3.txt'))).toBe(true);
  expect(readdirSync(ext)).toEqual(['f3.txt']);
  expect(statSync(path.join(ext, 'f3.txt')).nlink).toBe(1);
});
