// A file system without hard links (FAT, some FUSE and network file systems) under one directory:
// link(2) fails there with EPERM onto a new name, but with EEXIST onto an existing one (Linux
// checks the name first, as on vfat), and a file put where nothing was goes through the check and
// a rename instead, as before links were used; after the first EPERM no link is tried there again,
// while every other directory keeps putting new files in place by a link.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeEach, expect, it, vi } from 'vitest';
import { AtomicFileWriter, linkIntoPlace } from './atomic-write.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zync-no-links-'));
const fat = path.join(dir, 'fat');
const ext = path.join(dir, 'ext');
mkdirSync(fat);
mkdirSync(ext);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const inFat = (p: fs.PathLike) => String(p).includes(`${path.sep}fat${path.sep}`);
  const linkSync = vi.fn((from: fs.PathLike, to: fs.PathLike) => {
    // As Linux does (seen on vfat): an existing name is refused before links are.
    if (inFat(to) && real.lstatSync(to, { throwIfNoEntry: false })) throw Object.assign(new Error('EEXIST: file already exists, link'), { code: 'EEXIST' });
    if (inFat(to)) throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
    real.linkSync(from, to);
  });
  return { ...real, default: { ...real, linkSync }, linkSync };
});

beforeEach(() => {
  vi.mocked(fs.linkSync).mockClear();
});

async function put(name: string, content: string, beforeRename: () => Promise<void>, where = fat): Promise<void> {
  const writer = await AtomicFileWriter.create(path.join(where, name));
  await writer.write(Buffer.from(content));
  await writer.commit({ beforeRename, expectNothing: true });
}

it('puts files there by the check and a rename, trying a link only once', async () => {
  const checked: string[] = [];
  await put('a.txt', 'first', async () => void checked.push('a.txt'));
  await put('b.txt', 'second', async () => void checked.push('b.txt'));
  expect(checked).toEqual(['a.txt', 'b.txt']);
  expect(vi.mocked(fs.linkSync)).toHaveBeenCalledTimes(1);
  expect(readdirSync(fat).sort()).toEqual(['a.txt', 'b.txt']);
  expect(readFileSync(path.join(fat, 'b.txt'), 'utf8')).toBe('second');
});

it('still lets the check keep what was made at the target meanwhile, also before a link has failed there', async () => {
  // A directory nothing was learnt about yet: its first link meets the name made meanwhile, and
  // EEXIST says nothing about links there.
  const fresh = path.join(fat, 'fresh');
  mkdirSync(fresh);
  writeFileSync(path.join(fresh, 'c.txt'), 'made here');
  await expect(
    put(
      'c.txt',
      'from E',
      async () => {
        throw new Error('changed meanwhile');
      },
      fresh,
    ),
  ).rejects.toThrow(/changed meanwhile/);
  expect(readFileSync(path.join(fresh, 'c.txt'), 'utf8')).toBe('made here');
  expect(vi.mocked(fs.linkSync)).toHaveBeenCalledTimes(1);
  // The next new name there still tries a link, learns from its EPERM, and goes by the check.
  const checked: string[] = [];
  await put('d.txt', 'new', async () => void checked.push('d.txt'), fresh);
  expect(checked).toEqual(['d.txt']);
  expect(vi.mocked(fs.linkSync)).toHaveBeenCalledTimes(2);
  expect(readdirSync(fresh).sort()).toEqual(['c.txt', 'd.txt']);
});

it('keeps linking in every other directory', () => {
  expect(linkIntoPlace(path.join(fat, 'x'), path.join(fat, 'never-tried.txt'))).toBe(false);
  const temp = path.join(ext, '.zync-tmp-f.txt-000000000001');
  writeFileSync(temp, 'content');
  expect(linkIntoPlace(temp, path.join(ext, 'f.txt'))).toBe(true);
  expect(readdirSync(ext)).toEqual(['f.txt']);
  expect(statSync(path.join(ext, 'f.txt')).nlink).toBe(1);
});
