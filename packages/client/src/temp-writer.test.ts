// The temp-file writer on a real temp directory (inline here: unit tests run from sources, the
// binaries use the worker thread with the same batch code): each file gets E's content, mode
// and mtime beside its target; a content that does not match its checksum, or a write that
// fails, leaves nothing behind and is reported for that file alone.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { tempPathFor } from '@zync/common';
import { afterEach, describe, expect, it } from 'vitest';
import { tempFileWriter, type TempFileWrite } from './temp-writer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempRoot = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'zync-temp-writer-'));
  dirs.push(d);
  return d;
};
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const job = (target: string, text: string, fields: Partial<TempFileWrite> = {}): TempFileWrite => ({
  tempPath: tempPathFor(target),
  content: Buffer.from(text),
  checksum: sha256(text),
  mode: 0o644,
  mtime: 1_700_000_000_123,
  ...fields,
});

describe('tempFileWriter', () => {
  it.each([
    { name: 'a plain file', mode: 0o644 },
    { name: 'an executable', mode: 0o755 },
    { name: 'a mode the umask would narrow', mode: 0o666 },
  ])('writes $name beside its target with E’s mode and mtime', async ({ mode }) => {
    const root = tempRoot();
    const write = job(path.join(root, 'a.txt'), 'content\n', { mode });
    const [outcome] = await tempFileWriter.write([write]);
    expect(path.basename(write.tempPath)).toMatch(/^\.zync-tmp-a\.txt-/);
    expect(readFileSync(write.tempPath, 'utf8')).toBe('content\n');
    const info = statSync(write.tempPath);
    expect(info.mode & 0o7777).toBe(mode);
    expect(outcome).toEqual({ ok: true, file: { size: 8, mtime: info.mtimeMs, ino: info.ino, mode } });
    expect(Math.abs(info.mtimeMs - write.mtime)).toBeLessThan(1);
    expect(readdirSync(root)).toEqual([path.basename(write.tempPath)]);
  });

  it('reports a bad checksum or a failed write for that file alone and leaves nothing of it', async () => {
    const root = tempRoot();
    const good = job(path.join(root, 'good.txt'), 'good\n');
    const outcomes = await tempFileWriter.write([
      job(path.join(root, 'bad.txt'), 'what arrived\n', { checksum: sha256('what E has\n') }),
      job(path.join(root, 'missing', 'a.txt'), 'x'),
      good,
      job(path.join(root, 'empty.txt'), ''),
    ]);
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.reason === 'fs' ? `fs ${o.code}` : o.reason))).toEqual(['checksum', 'fs ENOENT', 'ok', 'ok']);
    expect(readFileSync(good.tempPath, 'utf8')).toBe('good\n');
    expect(readdirSync(root).filter((n) => !n.startsWith('.zync-tmp-good.txt') && !n.startsWith('.zync-tmp-empty.txt'))).toEqual([]);
  });
});
