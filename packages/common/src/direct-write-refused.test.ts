// A file system that takes O_DIRECT at open but refuses aligned writes (some FUSE and network
// file systems): the writer notices at its probe and writes buffered instead.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { AtomicFileWriter } from './atomic-write.js';
import { DIRECT_WRITE_MIN_BYTES } from './direct-write.js';
import { sha256 } from './hash.js';

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const refuse = () => {
    throw Object.assign(new Error('EINVAL: invalid argument, write'), { code: 'EINVAL' });
  };
  return { ...fs, default: { ...fs, writeSync: refuse }, writeSync: refuse };
});

const dir = mkdtempSync(path.join(tmpdir(), 'zync-direct-refused-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('writes buffered where the file system refuses direct writes, with the same result', async () => {
  const data = Buffer.alloc(DIRECT_WRITE_MIN_BYTES + 10, 7);
  const target = path.join(dir, 'big.bin');
  const writer = await AtomicFileWriter.create(target, { expectedSize: data.length });
  expect(writer.writesDirect).toBe(false);
  await writer.write(data);
  await writer.commit({ expectedChecksum: sha256(data) });
  expect(readFileSync(target).equals(data)).toBe(true);
  expect(readdirSync(dir)).toEqual(['big.bin']);
});
