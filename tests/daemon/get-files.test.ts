// GET_FILES: many small files in one answer. Every requested path is answered in order — the
// content of the good ones back to back in one frame, a stable code for the others — and a
// file being rewritten while it is served never arrives under a checksum its bytes do not have.
import { createHash } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetFilesResponse, MAX_BATCH_FILE_BYTES, MAX_BATCH_FILES, type BatchedFile } from '@zync/common';
import { connect, startDaemon, tempDir, waitFor, writeRandomFile, writeText, type DaemonHandle, type RawClient } from '../helpers/index.js';
import { fetchLog } from './daemon-helpers.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The answer's files with the content each 'ok' one was given. */
function split(answer: GetFilesResponse, content: Buffer): (BatchedFile & { bytes?: Buffer })[] {
  let offset = 0;
  return answer.files.map((f) => {
    if (f.status !== 'ok') return f;
    const bytes = content.subarray(offset, offset + f.size);
    offset += f.size;
    return { ...f, bytes };
  });
}

let root: string;
let outside: string;
let daemon: DaemonHandle;
let client: RawClient;
const texts: Record<string, string> = {};

beforeAll(async () => {
  root = tempDir();
  outside = tempDir('zync-outside-');
  for (let i = 0; i < 40; i++) {
    texts[`d${i % 4}/f${i}.txt`] = `file ${i}\n`.repeat(i + 1);
    await writeText(path.join(root, `d${i % 4}`, `f${i}.txt`), texts[`d${i % 4}/f${i}.txt`]!);
  }
  await writeText(path.join(root, 'empty.txt'), '');
  await writeRandomFile(path.join(root, 'large.bin'), MAX_BATCH_FILE_BYTES + 1);
  await writeText(path.join(outside, 'secret.txt'), 'not for R\n');
  await symlink(path.join(outside, 'secret.txt'), path.join(root, 'link.txt'));
  daemon = await startDaemon({ dirs: { w: root } });
  client = await connect(daemon.url, daemon.token);
});
afterAll(async () => {
  await client?.close();
  await daemon?.stop();
});

describe('GET_FILES', () => {
  it('answers every path in order, with the good files back to back in one frame', async () => {
    const wanted = ['d0/f0.txt', 'missing.txt', 'empty.txt', 'd1/f9.txt', '../escape.txt', 'd2', 'large.bin', 'link.txt', 'd3/f39.txt'];
    const { answer, content } = await client.getFiles('w', wanted);
    const parsed = GetFilesResponse.parse(answer);
    const files = split(parsed, content);
    expect(files.map((f) => [f.path, f.status === 'ok' ? 'ok' : f.code])).toEqual([
      ['d0/f0.txt', 'ok'],
      ['missing.txt', 'NOT_FOUND'],
      ['empty.txt', 'ok'],
      ['d1/f9.txt', 'ok'],
      ['../escape.txt', 'UNSAFE_PATH'],
      ['d2', 'NOT_FOUND'],
      ['large.bin', 'TOO_LARGE'],
      ['link.txt', 'NOT_FOUND'],
      ['d3/f39.txt', 'ok'],
    ]);
    expect(parsed.size).toBe(content.length);
    for (const f of files) {
      if (f.status !== 'ok') continue;
      expect(f.bytes!.toString()).toBe(f.path === 'empty.txt' ? '' : texts[f.path]);
      expect(sha256(f.bytes!)).toBe(f.checksum);
    }
  });

  it('answers a batch with nothing to send without a content frame', async () => {
    const { answer, content } = await client.getFiles('w', ['missing.txt', 'empty.txt']);
    expect(answer).toMatchObject({ status: 'ok', size: 0 });
    expect(content.length).toBe(0);
  });

  it('refuses an unknown base_dir and an oversized request as a whole, and the connection carries on', async () => {
    expect((await client.getFiles('nope', ['a.txt'])).answer).toMatchObject({ status: 'error', code: 'UNKNOWN_BASE_DIR' });
    const tooMany = Array.from({ length: MAX_BATCH_FILES + 1 }, (_, i) => `f${i}`);
    expect((await client.getFiles('w', tooMany)).answer).toMatchObject({ status: 'error', code: 'BAD_MESSAGE' });
    expect((await client.getFiles('w', [])).answer).toMatchObject({ status: 'error', code: 'BAD_MESSAGE' });
    expect((await client.getFiles('w', ['d0/f0.txt'])).answer).toMatchObject({ status: 'ok' });
  });

  it('never serves a file being rewritten under a checksum its bytes do not have', async () => {
    const dir = path.join(root, 'churn');
    await mkdir(dir);
    const names = Array.from({ length: 20 }, (_, i) => `churn/c${i}.txt`);
    for (const name of names) await writeFile(path.join(root, name), 'version 0\n');
    await waitFor(async () => (await fetchLog(client)).filter((e) => e.path.startsWith('churn/c')).length === names.length);
    let served = 0;
    let changed = 0;
    for (let round = 1; round <= 30; round++) {
      // Rewrites land while the request is on its way and the watcher is catching up.
      const writes = Promise.all(names.map((name, i) => writeFile(path.join(root, name), `version ${round}\n`.repeat(1 + ((i + round) % 7)))));
      const { answer, content } = await client.getFiles('w', names);
      await writes;
      for (const f of split(GetFilesResponse.parse(answer), content)) {
        if (f.status === 'ok') {
          expect(sha256(f.bytes!)).toBe(f.checksum);
          served++;
        } else {
          expect(f.code).toBe('FILE_CHANGED');
          changed++;
        }
      }
    }
    console.log(`GET_FILES under rewrites: ${served} served intact, ${changed} answered FILE_CHANGED`);
    expect(served).toBeGreaterThan(0);
  });
});
