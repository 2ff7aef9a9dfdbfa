// hashFile must give up at once on whatever replaced a file since the caller looked at it: a FIFO
// in its place would otherwise block the open until some writer came, and the pass (client),
// the upstream check (daemon) or the apply (zync-apply) with it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_SHA256, hashFile, sha256 } from './hash.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'zync-hash-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('hashFile', () => {
  it('hashes a regular file, empty or larger than one read', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 5, 'x');
    writeFileSync(path.join(dir, 'big'), big);
    writeFileSync(path.join(dir, 'empty'), '');
    expect(await hashFile(path.join(dir, 'big'))).toEqual({ checksum: sha256(big), size: big.length });
    expect(await hashFile(path.join(dir, 'empty'))).toEqual({ checksum: EMPTY_SHA256, size: 0 });
  });

  it('rejects a FIFO in the file\'s place at once with FILE_CHANGED', async () => {
    const fifo = path.join(dir, 'a.txt');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // Opens the FIFO for writing after a second: a reader that does block is set free (and fails
    // on the time it took) instead of hanging the run.
    const writer = spawn('sh', ['-c', 'sleep 1; exec 3<>"$0"; sleep 0.2', fifo], { stdio: 'ignore' });
    try {
      const started = Date.now();
      const outcome = await hashFile(fifo).catch((err: unknown) => err);
      expect(Date.now() - started).toBeLessThan(500);
      expect(outcome).toMatchObject({ code: 'FILE_CHANGED', message: expect.stringContaining('no longer a regular file') });
    } finally {
      writer.kill();
    }
  });

  it('rejects a directory in the file\'s place with FILE_CHANGED', async () => {
    mkdirSync(path.join(dir, 'd'));
    await expect(hashFile(path.join(dir, 'd'))).rejects.toMatchObject({ code: 'FILE_CHANGED' });
  });

  it('passes a missing file\'s ENOENT on', async () => {
    await expect(hashFile(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('hashFile with a stop signal', () => {
  it('ends the read when the signal is aborted, with an AbortError', async () => {
    const big = path.join(dir, 'big');
    writeFileSync(big, Buffer.alloc(64 * 1024 * 1024, 'y'));
    const stop = new AbortController();
    const hashing = hashFile(big, stop.signal);
    stop.abort('SIGINT');
    await expect(hashing).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('hashes to the end while it is not aborted', async () => {
    writeFileSync(path.join(dir, 'a'), 'abc');
    expect(await hashFile(path.join(dir, 'a'), new AbortController().signal)).toEqual({ checksum: sha256('abc'), size: 3 });
  });
});
