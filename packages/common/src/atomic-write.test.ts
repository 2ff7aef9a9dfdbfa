import { mkdtempSync, rmSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AtomicFileWriter, writeFileAtomic } from './atomic-write.js';
import { sha256 } from './hash.js';

describe('atomic writes', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zync-atomic-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the target with the new content, mode and mtime', async () => {
    const target = path.join(dir, 'a.sh');
    writeFileSync(target, 'old');
    const mtime = Date.UTC(2020, 0, 1);
    await writeFileAtomic(target, 'new', { mode: 0o755, mtime, expectedChecksum: sha256('new') });
    expect(readFileSync(target, 'utf8')).toBe('new');
    expect(statSync(target).mode & 0o777).toBe(0o755);
    expect(statSync(target).mtimeMs).toBe(mtime);
    expect(readdirSync(dir)).toEqual(['a.sh']);
  });

  it('leaves the target untouched and no temp file when the checksum is wrong', async () => {
    const target = path.join(dir, 'b.txt');
    writeFileSync(target, 'keep me');
    await expect(writeFileAtomic(target, 'corrupt', { expectedChecksum: sha256('other') })).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
    });
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    expect(readdirSync(dir).filter((n) => n.startsWith('.zync-tmp-'))).toEqual([]);
  });

  it('never shows partial content at the target while writing', async () => {
    const target = path.join(dir, 'c.bin');
    const writer = await AtomicFileWriter.create(target);
    await writer.write(Buffer.alloc(1000, 1));
    expect(() => statSync(target)).toThrow();
    await writer.abort();
    expect(readdirSync(dir).some((n) => n.startsWith('.zync-tmp-'))).toBe(false);
  });
});
