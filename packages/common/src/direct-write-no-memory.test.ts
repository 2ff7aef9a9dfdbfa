// Where the staging memory cannot be had (V8 reserves address space for a WebAssembly memory,
// which a tight `ulimit -v` refuses), large files are written buffered instead of failing.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { AtomicFileWriter } from './atomic-write.js';
import { DIRECT_WRITE_MIN_BYTES } from './direct-write.js';
import { sha256 } from './hash.js';

vi.stubGlobal('WebAssembly', {
  Memory: class {
    constructor() {
      throw new RangeError('WebAssembly.Memory(): could not allocate memory');
    }
  },
});

const dir = mkdtempSync(path.join(tmpdir(), 'zync-direct-no-memory-'));
afterAll(() => {
  vi.unstubAllGlobals();
  rmSync(dir, { recursive: true, force: true });
});

it('writes a large file buffered when no staging memory can be allocated', async () => {
  const data = Buffer.alloc(DIRECT_WRITE_MIN_BYTES + 3, 9);
  const target = path.join(dir, 'big.bin');
  const writer = await AtomicFileWriter.create(target, { expectedSize: data.length });
  expect(writer.writesDirect).toBe(false);
  await writer.write(data);
  await writer.commit({ expectedChecksum: sha256(data) });
  expect(readFileSync(target).equals(data)).toBe(true);
  expect(readdirSync(dir)).toEqual(['big.bin']);
});
