// GET_FILE: any size streams in bounded memory (a 200 MiB file with the daemon's peak RSS under
// 150 MiB), a download cut short resumes at an offset, the daemon stops reading when the client stops reading (backpressure), and a file
// that changes while it is being sent ends in FILE_CHANGED (even when the writer puts its size
// and mtime back), never in a FILE_END whose checksum does not describe the bytes sent.
import { createHash } from 'node:crypto';
import { open, readFile, stat, utimes } from 'node:fs/promises';
import * as path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBinaryFrame, FileEndResponse, GetFileHeader } from '@zync/common';
import { connect, peakRssBytes, sha256File, startDaemon, tempDir, waitFor, writeRandomFile, writeText, type DaemonHandle } from '../helpers/index.js';

const MiB = 1024 * 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
/** Large files requested at once: more than the daemon's read budget serves together. */
const MANY = 24;
const SNEAKY_MTIME = new Date('2024-05-06T07:08:09Z');

interface Transfer {
  header: Record<string, unknown>;
  end: Record<string, unknown>;
  received: number;
  sha256: string;
}

/** A GET_FILE that hashes frames as they arrive (the test holds no 200 MiB buffer). */
function streamFile(
  daemon: DaemonHandle,
  baseDir: string,
  relPath: string,
  options: { onProgress?: (received: number, ws: WebSocket) => void; offset?: number } = {},
): Promise<Transfer> {
  const ws = new WebSocket(daemon.url, { headers: { Authorization: `Bearer ${daemon.token}` }, maxPayload: 16 * MiB });
  const hash = createHash('sha256');
  let header: Record<string, unknown> | null = null;
  let received = 0;
  return new Promise((resolve, reject) => {
    ws.on('open', () => ws.send(JSON.stringify({ operation: 'GET_FILE', id: 7, base_dir: baseDir, path: relPath, offset: options.offset })));
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const frame = decodeBinaryFrame(data as Buffer)!;
        expect(frame.id).toBe(7);
        hash.update(frame.payload);
        received += frame.payload.length;
        options.onProgress?.(received, ws);
        return;
      }
      const msg = JSON.parse(String(data)) as Record<string, unknown>;
      if (msg.operation === 'CHANGES_AVAILABLE') return;
      if (header === null && msg.status === 'ok' && msg.operation === 'GET_FILE') {
        header = msg;
        return;
      }
      ws.close();
      resolve({ header: header ?? msg, end: msg, received, sha256: hash.digest('hex') });
    });
    ws.on('error', reject);
  });
}

/** Bytes the daemon has read through read(2) and friends so far (Linux /proc). */
async function bytesRead(pid: number): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  return Number(/rchar:\s+(\d+)/.exec(io)![1]);
}

let root: string;
let daemon: DaemonHandle;

beforeAll(async () => {
  root = tempDir();
  await writeRandomFile(path.join(root, 'big.bin'), 200 * MiB);
  await writeRandomFile(path.join(root, 'medium.bin'), 96 * MiB);
  await writeRandomFile(path.join(root, 'sneaky.bin'), 48 * MiB);
  await utimes(path.join(root, 'sneaky.bin'), SNEAKY_MTIME, SNEAKY_MTIME); // whole seconds: utimes can put it back exactly
  await writeText(path.join(root, 'small.txt'), 'hello\n');
  await writeText(path.join(root, 'empty.txt'), '');
  for (let i = 0; i < MANY; i++) await writeRandomFile(path.join(root, 'many', `f${i}.bin`), 3 * MiB + i);
  daemon = await startDaemon({ dirs: { w: root } });
});
afterAll(async () => {
  await daemon?.stop();
});

describe('GET_FILE', () => {
  it('streams a 200 MiB file with the daemon peak RSS under 150 MiB', async () => {
    const expected = await sha256File(path.join(root, 'big.bin'));
    const transfer = await streamFile(daemon, 'w', 'big.bin');
    expect(GetFileHeader.parse(transfer.header)).toMatchObject({ checksum: expected, size: 200 * MiB });
    expect(FileEndResponse.parse(transfer.end)).toMatchObject({ checksum: expected, size: 200 * MiB });
    expect(transfer.received).toBe(200 * MiB);
    expect(transfer.sha256).toBe(expected);
    const peak = peakRssBytes(daemon.pid);
    console.log(`daemon peak RSS after streaming 200 MiB: ${(peak / MiB).toFixed(1)} MiB`);
    expect(peak).toBeLessThan(150 * MiB);
  });

  it('resumes at an offset: only the rest is sent, and the trailer names the whole file’s checksum', async () => {
    const file = path.join(root, 'medium.bin');
    const whole = await readFile(file);
    const offset = 60 * MiB + 12345;
    const transfer = await streamFile(daemon, 'w', 'medium.bin', { offset });
    expect(GetFileHeader.parse(transfer.header)).toMatchObject({ checksum: sha256(whole), size: 96 * MiB, offset });
    expect(transfer.received).toBe(96 * MiB - offset);
    expect(transfer.sha256).toBe(sha256(whole.subarray(offset)));
    expect(FileEndResponse.parse(transfer.end)).toMatchObject({ checksum: sha256(whole), size: 96 * MiB });
  });

  it.each([
    { name: 'an offset past the end', offset: 96 * MiB + 1, file: 'medium.bin', size: 96 * MiB },
    { name: 'a small file', offset: 3, file: 'small.txt', size: 6 },
  ])('starts from 0 for $name and says so', async ({ offset, file, size }) => {
    const transfer = await streamFile(daemon, 'w', file, { offset });
    expect(transfer.header.offset ?? 0).toBe(0);
    expect(transfer.received).toBe(size);
    expect(transfer.sha256).toBe(transfer.header.checksum);
    expect(transfer.end).toMatchObject({ operation: 'FILE_END', size });
  });

  it('small and empty files arrive whole', async () => {
    const small = await streamFile(daemon, 'w', 'small.txt');
    expect(small).toMatchObject({ received: 6, end: { operation: 'FILE_END', size: 6 } });
    expect(small.sha256).toBe(small.header.checksum);
    const empty = await streamFile(daemon, 'w', 'empty.txt');
    expect(empty).toMatchObject({ received: 0, end: { operation: 'FILE_END', size: 0 } });
    expect(empty.header.checksum).toBe(createHash('sha256').digest('hex'));
  });

  it('stops reading while the client does not read, and ends in FILE_CHANGED when the file changes meanwhile', async () => {
    const file = path.join(root, 'medium.bin');
    let readAtPause = 0;
    let paused: WebSocket | null = null;
    const transfer = streamFile(daemon, 'w', 'medium.bin', {
      onProgress: (received, ws) => {
        if (received >= 8 * MiB && paused === null) {
          paused = ws;
          ws.pause();
        }
      },
    });
    await waitFor(() => paused !== null, { what: 'the first 8 MiB' });
    readAtPause = await bytesRead(daemon.pid);
    // Wait until the daemon has stopped reading the file (two samples 300 ms apart agree).
    let last = -1;
    const stalledAt = await waitFor(
      async () => {
        const now = await bytesRead(daemon.pid);
        const stalled = now === last;
        last = now;
        return stalled ? now : 0;
      },
      { intervalMs: 300, timeoutMs: 20_000, what: 'the daemon to stop reading' },
    );
    // Backpressure: the daemon read at most a few socket buffers ahead, not the whole 96 MiB.
    expect(stalledAt - readAtPause).toBeLessThan(32 * MiB);

    // Change bytes near the end (same size) while the transfer is stalled.
    const handle = await open(file, 'r+');
    await handle.write(Buffer.from('changed while being sent'), 0, 24, 90 * MiB);
    await handle.close();
    paused!.resume();

    const result = await transfer;
    expect(result.end).toMatchObject({ id: 7, status: 'error', code: 'FILE_CHANGED' });
    expect(result.received).toBeLessThanOrEqual(96 * MiB);
    expect(peakRssBytes(daemon.pid)).toBeLessThan(150 * MiB);
  });

  it('ends in FILE_CHANGED when a write meanwhile puts the size and mtime back (touch -r)', async () => {
    const file = path.join(root, 'sneaky.bin');
    let paused: WebSocket | null = null;
    const transfer = streamFile(daemon, 'w', 'sneaky.bin', {
      onProgress: (received, ws) => {
        if (received >= 4 * MiB && paused === null) {
          paused = ws;
          ws.pause();
        }
      },
    });
    await waitFor(() => paused !== null, { what: 'the first 4 MiB' });
    const handle = await open(file, 'r+');
    await handle.write(Buffer.from('changed, and the mtime put back'), 0, 31, 40 * MiB);
    await handle.close();
    await utimes(file, SNEAKY_MTIME, SNEAKY_MTIME);
    expect((await stat(file)).mtimeMs).toBe(SNEAKY_MTIME.getTime());
    paused!.resume();

    const result = await transfer;
    expect(result.end).toMatchObject({ id: 7, status: 'error', code: 'FILE_CHANGED' });
  });

  it('serves many large files requested at once on one connection, each whole', async () => {
    const client = await connect(daemon.url, daemon.token);
    try {
      const results = await Promise.all(Array.from({ length: MANY }, (_, i) => client.getFile('w', `many/f${i}.bin`)));
      for (const [i, result] of results.entries()) {
        const expected = await sha256File(path.join(root, 'many', `f${i}.bin`));
        expect(result.end).toMatchObject({ operation: 'FILE_END', checksum: expected, size: 3 * MiB + i });
        expect(createHash('sha256').update(result.content).digest('hex')).toBe(expected);
      }
    } finally {
      await client.close();
    }
  });
});
