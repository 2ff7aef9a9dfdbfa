// The built temp-file writer (what zync-client runs) writes on its worker thread: a GET_FILES
// answer's pooled buffer moves to the thread without a copy, every file lands with E's content,
// mode and mtime, and a bad checksum or a failed write is reported for that file alone. Unit
// tests cover the same batch code inline, from sources, where no worker can start.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { tempPathFor } from '@zync/common';
import { describe, expect, it } from 'vitest';
import { takeBuffer } from '../../packages/client/dist/batch-buffers.js';
import { tempFileWriter } from '../../packages/client/dist/temp-writer.js';
import { REPO_ROOT, tempDir } from '../helpers/index.js';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('temp-file writer thread', () => {
  it('is the compiled worker the binary uses', () => {
    expect(existsSync(path.join(REPO_ROOT, 'packages/client/dist/temp-writer-worker.js'))).toBe(true);
  });

  it('writes an answer’s files from its buffer without copying it, reporting failures per file', async () => {
    const root = tempDir('zync-writer-');
    const texts = ['alpha\n', 'beta beta\n', '', 'gamma\n', 'delta\n'];
    const answer = takeBuffer(texts.reduce((n, t) => n + t.length, 0));
    let offset = 0;
    const contents = texts.map((text) => {
      answer.write(text, offset);
      offset += text.length;
      return answer.subarray(offset - text.length, offset);
    });
    const targets = ['a.txt', 'b.sh', 'empty', 'missing/c.txt', 'd.txt'].map((name) => path.join(root, name));
    const writes = targets.map((target, i) => ({
      tempPath: tempPathFor(target),
      content: contents[i]!,
      checksum: i === 4 ? sha256(Buffer.from('what E has\n')) : sha256(contents[i]!),
      mode: i === 1 ? 0o755 : 0o644,
      mtime: 1_700_000_000_000 + i * 1000,
    }));

    const outcomes = await tempFileWriter.write(writes);

    expect(answer.buffer.byteLength).toBe(0); // transferred, not cloned
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.reason === 'fs' ? `fs ${o.code}` : o.reason))).toEqual(['ok', 'ok', 'ok', 'fs ENOENT', 'checksum']);
    for (const i of [0, 1, 2]) {
      const info = statSync(writes[i]!.tempPath);
      expect(readFileSync(writes[i]!.tempPath, 'utf8')).toBe(texts[i]);
      expect(info.mode & 0o7777).toBe(writes[i]!.mode);
      expect(Math.abs(info.mtimeMs - writes[i]!.mtime)).toBeLessThan(1);
    }
    expect(readdirSync(root).sort()).toEqual([0, 1, 2].map((i) => path.basename(writes[i]!.tempPath)).sort());
  });
});
