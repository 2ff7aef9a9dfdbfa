// GET_FILES: many small files in one answer. Every requested path is answered in order — the
// content of each good one in its own frame, a stable code for the others — and a file being
// rewritten while it is served never arrives under a checksum its bytes do not have.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetFilesResponse, MAX_BATCH_BYTES, MAX_BATCH_FILE_BYTES, MAX_BATCH_FILES, type BatchedFile } from '@zync/common';
import { connect, startDaemon, tempDir, waitFor, writeRandomFile, writeText, type DaemonHandle, type RawClient } from '../helpers/index.js';
import { fetchLog } from './daemon-helpers.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The answer's files with the content each 'ok' one was given (one frame per non-empty file). */
function split(answer: GetFilesResponse, frames: Buffer[]): (BatchedFile & { bytes?: Buffer })[] {
  let next = 0;
  const files = answer.files.map((f) => (f.status !== 'ok' ? f : { ...f, bytes: f.size > 0 ? frames[next++]! : Buffer.alloc(0) }));
  expect(next).toBe(frames.length);
  return files;
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
  it('answers every path in order, each good file in its own frame', async () => {
    const wanted = ['d0/f0.txt', 'missing.txt', 'empty.txt', 'd1/f9.txt', '../escape.txt', 'd2', 'large.bin', 'link.txt', 'd3/f39.txt'];
    const { answer, frames } = await client.getFiles('w', wanted);
    const parsed = GetFilesResponse.parse(answer);
    const files = split(parsed, frames);
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
    expect(parsed.size).toBe(frames.reduce((n, f) => n + f.length, 0));
    for (const f of files) {
      if (f.status !== 'ok') continue;
      expect(f.bytes!.toString()).toBe(f.path === 'empty.txt' ? '' : texts[f.path]);
      expect(sha256(f.bytes!)).toBe(f.checksum);
    }
  });

  it('keeps each answer its own bytes when many large answers are in flight at once', async () => {
    // Answers are built in reused blocks: one given back before the socket wrote all of it would
    // arrive holding a later answer's bytes. 12 answers of 3 MiB back up the socket.
    const big = Array.from({ length: 12 }, (_, i) => `big/b${i}.bin`);
    await mkdir(path.join(root, 'big'));
    const sums = new Map<string, string>();
    for (const p of big) {
      const bytes = randomBytes(MAX_BATCH_FILE_BYTES);
      await writeFile(path.join(root, p), bytes);
      sums.set(p, sha256(bytes));
    }
    await waitFor(async () => {
      const logged = new Map((await fetchLog(client)).map((e) => [e.path, e.checksum]));
      return big.every((p) => logged.get(p) === sums.get(p));
    });
    const orders = big.map((_, r) => big.map((_, i) => big[(i + r) % big.length]!));
    const results = await Promise.all(orders.map((order) => client.getFiles('w', order)));
    results.forEach(({ answer, frames }, r) => {
      const files = split(GetFilesResponse.parse(answer), frames);
      expect(files.map((f) => f.path)).toEqual(orders[r]);
      for (const f of files) expect(f.status === 'ok' && sha256(f.bytes!)).toBe(sums.get(f.path));
    });
  });

  it('never puts more than MAX_BATCH_BYTES of content in one answer', async () => {
    // 50 files of 100 KiB: more than one answer holds. Answer blocks are rounded up and reused,
    // so a block can be larger than the protocol's bound: the bound itself must stop the answer.
    const files = Array.from({ length: 50 }, (_, i) => `wide/w${i}.bin`);
    await mkdir(path.join(root, 'wide'));
    const sums = new Map<string, string>();
    for (const p of files) {
      const bytes = randomBytes(100 * 1024);
      await writeFile(path.join(root, p), bytes);
      sums.set(p, sha256(bytes));
    }
    await waitFor(async () => {
      const logged = new Map((await fetchLog(client)).map((e) => [e.path, e.checksum]));
      return files.every((p) => logged.get(p) === sums.get(p));
    });
    const { answer, frames } = await client.getFiles('w', files);
    const parsed = GetFilesResponse.parse(answer);
    expect(parsed.size).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    const served = split(parsed, frames).filter((f) => f.status === 'ok');
    expect(served.length).toBeGreaterThan(0);
    for (const f of served) expect(sha256(f.bytes!)).toBe(sums.get(f.path));
    // The rest is refused as TOO_LARGE, for R to ask again.
    expect(parsed.files.filter((f) => f.status === 'error').every((f) => f.status === 'error' && f.code === 'TOO_LARGE')).toBe(true);
  });

  it('answers a batch with nothing to send without a content frame', async () => {
    const { answer, frames } = await client.getFiles('w', ['missing.txt', 'empty.txt', 'd0/f0.txt']);
    expect(answer).toMatchObject({ status: 'ok' });
    // The frames that did come belong to d0/f0.txt alone.
    expect(frames.map((f) => f.toString())).toEqual([texts['d0/f0.txt']]);
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
    await waitFor(async () => new Set((await fetchLog(client)).filter((e) => e.path.startsWith('churn/c')).map((e) => e.path)).size === names.length);
    let served = 0;
    let changed = 0;
    for (let round = 1; round <= 30; round++) {
      // Rewrites land while the request is on its way and the watcher is catching up.
      const writes = Promise.all(names.map((name, i) => writeFile(path.join(root, name), `version ${round}\n`.repeat(1 + ((i + round) % 7)))));
      const { answer, frames } = await client.getFiles('w', names);
      await writes;
      for (const f of split(GetFilesResponse.parse(answer), frames)) {
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
    // Once the writes stop and the log catches up, every file is served with its last content.
    await waitFor(async () => {
      const { answer, frames } = await client.getFiles('w', names);
      return split(GetFilesResponse.parse(answer), frames).every((f, i) => f.status === 'ok' && f.bytes!.toString() === `version 30\n`.repeat(1 + ((i + 30) % 7)));
    });
  });
});
