// A file system without hard links (FAT, some FUSE and network file systems): link(2) fails with
// EPERM, and a file put where nothing was goes through the check and a rename instead, as before
// links were used; after the first refusal no link is tried again.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { AtomicFileWriter } from './atomic-write.js';

const links = vi.hoisted(() => ({ tried: 0 }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const refuse = () => {
    links.tried++;
    throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
  };
  return { ...fs, default: { ...fs, linkSync: refuse }, linkSync: refuse };
});

const dir = mkdtempSync(path.join(tmpdir(), 'zync-no-links-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function put(name: string, content: string, beforeRename: () => Promise<void>): Promise<void> {
  const writer = await AtomicFileWriter.create(path.join(dir, name));
  await writer.write(Buffer.from(content));
  await writer.commit({ beforeRename, expectNothing: true });
}

it('puts files by the check and a rename, and stops trying links after the first refusal', async () => {
  const checked: string[] = [];
  await put('a.txt', 'first', async () => void checked.push('a.txt'));
  await put('b.txt', 'second', async () => void checked.push('b.txt'));
  expect(checked).toEqual(['a.txt', 'b.txt']);
  expect(links.tried).toBe(1);
  expect(readdirSync(dir).sort()).toEqual(['a.txt', 'b.txt']);
  expect(readFileSync(path.join(dir, 'b.txt'), 'utf8')).toBe('second');
});

it('still lets the check keep what was made at the target meanwhile', async () => {
  writeFileSync(path.join(dir, 'c.txt'), 'made here');
  await expect(
    put('c.txt', 'from E', async () => {
      throw new Error('changed meanwhile');
    }),
  ).rejects.toThrow(/changed meanwhile/);
  expect(readFileSync(path.join(dir, 'c.txt'), 'utf8')).toBe('made here');
});
