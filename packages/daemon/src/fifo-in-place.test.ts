// A FIFO put where a recorded file was (`rm f && mkfifo f`) between a look and an open: a
// blocking open of a FIFO waits for a writer, and the daemon's synchronous reads would wait on
// its only thread — no requests, no heartbeats, no SIGTERM — until someone wrote to the pipe.
// Each read here must give up at once. A child opens the FIFO for writing after a second, so a
// reader that does block is set free (and fails on the time it took) instead of hanging the run.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashStable } from './scanner.js';
import { SmallFileReader } from './server/read-small-file.js';

async function readFifo(read: (root: string) => Promise<unknown>): Promise<{ ms: number; outcome: unknown }> {
  const root = mkdtempSync(path.join(tmpdir(), 'zync-fifo-'));
  const fifo = path.join(root, 'a.txt');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const writer = spawn('sh', ['-c', 'sleep 1; exec 3<>"$0"; sleep 0.2', fifo], { stdio: 'ignore' });
  try {
    const started = Date.now();
    const outcome = await read(root).catch((err: unknown) => err);
    return { ms: Date.now() - started, outcome };
  } finally {
    writer.kill();
    rmSync(root, { recursive: true, force: true });
  }
}

describe('a FIFO where a recorded file was', () => {
  it('is gone at once for the hashing scanner and watcher (hashStable)', async () => {
    const { ms, outcome } = await readFifo((root) => hashStable(root, 'a.txt', Buffer.alloc(64)));
    expect(outcome).toEqual({ status: 'gone' });
    expect(ms).toBeLessThan(500);
  });

  it('is FILE_CHANGED at once for GET_FILE(S) of a small file (SmallFileReader)', async () => {
    const { ms, outcome } = await readFifo(async (root) =>
      new SmallFileReader(root, 'docs').readInto('a.txt', { size: 5, checksum: '0'.repeat(64) }, Buffer.alloc(5), 0),
    );
    expect(outcome).toMatchObject({ code: 'FILE_CHANGED' });
    expect(ms).toBeLessThan(500);
  });
});
