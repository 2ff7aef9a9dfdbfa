// sendSession against a scripted daemon on 127.0.0.1 (port 0) that checks each upload's bytes
// against its checksum as E does: a file that changed after R hashed it is left out
// (DROP_UPSTREAM_FILE), read once more and sent again; one that keeps changing stays left out
// and the rest is finalized; a daemon too old for DROP_UPSTREAM_FILE stops the run as before.
// A link put in a file's place is left out the same way, never read through.
// An entry E refuses as ignored (IGNORED_PATH) is left out at once, and the rest finalized; one
// refused before its bytes is sent no further. A directory R removed during the upload is taken
// back out before FINALIZE (an older daemon keeps it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { PROTOCOL_VERSION, decodeBinaryFrame, sha256, type DirSpec } from '@zync/common';
import { Connection } from '../connection.js';
import type { UpstreamEntry } from './plan-upstream.js';
import { outdatedEntries, stagedWithoutBytes } from './left-out.js';
import { rereadEntry, statNow } from './scan-local.js';
import { sendSession, type UploadObserver } from './send-session.js';

let work: string;
let dirs: DirSpec[];
let servers: { http: Server; wss: WebSocketServer }[] = [];

beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'zync-send-session-'));
  dirs = [{ name: 'docs', root: work }];
});
afterEach(async () => {
  for (const { http, wss } of servers) {
    for (const client of wss.clients) client.terminate();
    wss.close();
    await new Promise((resolve) => http.close(resolve));
  }
  servers = [];
  rmSync(work, { recursive: true, force: true });
});

/** A daemon that stages what arrives whole and matching, and logs each operation it was asked. */
async function startDaemon(options: {
  knowsDrop: boolean;
  ignores?: (path: string) => boolean;
  takesOut?: boolean;
  refusesEarly?: boolean;
  /** Roots E refuses every entry of as unavailable (missing), before their bytes. */
  unavailable?: readonly string[];
}) {
  const asked: string[] = [];
  /** Content bytes that arrived for uploads refused before them. */
  const afterRefusal = { bytes: 0 };
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws) => {
    const uploads = new Map<number, { path: string; checksum: string; size: number; bytes: Buffer[] }>();
    const refused = new Set<number>();
    let staged = 0;
    const reply = (message: object) => ws.send(JSON.stringify(message));
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const frame = decodeBinaryFrame(data as Buffer)!;
        if (refused.has(frame.id)) {
          afterRefusal.bytes += frame.payload.length;
          return;
        }
        const up = uploads.get(frame.id)!;
        up.bytes.push(Buffer.from(frame.payload));
        const content = Buffer.concat(up.bytes);
        if (content.length < up.size) return;
        uploads.delete(frame.id);
        // E checks its ignore rules once an entry has arrived whole, as the daemon does.
        if (options.ignores?.(up.path)) {
          reply({ id: frame.id, status: 'error', code: 'IGNORED_PATH', error: `Refused path "${up.path}": E's ignore rules exclude it from syncing.` });
          return;
        }
        if (sha256(content) !== up.checksum) {
          reply({ id: frame.id, status: 'error', code: 'CHECKSUM_MISMATCH', error: `Content for ${up.path} does not match its checksum.` });
          return;
        }
        staged++;
        reply({ id: frame.id, status: 'ok', staging_id: 'S1', conflict: false });
        return;
      }
      const m = JSON.parse(String(data)) as { id: number; operation: string; base_dir?: string; path?: string; checksum?: string; size?: number; staged?: boolean };
      asked.push(m.path === undefined ? m.operation : `${m.operation}${m.staged ? ' (staged)' : ''} ${m.path}`);
      switch (m.operation) {
        case 'HELLO':
          return reply({ id: m.id, status: 'ok', log_id: 'L', last_sequence: 0, compacted_through: 0, dirs: ['docs'], protocol: PROTOCOL_VERSION, server_time: Date.now() });
        case 'PREPARE_UPSTREAM':
          return reply({ id: m.id, status: 'ok', staging_id: 'S1' });
        case 'UPSTREAM_FILE':
          if (options.unavailable?.includes(m.base_dir!)) {
            if (m.size! > 0) refused.add(m.id);
            return reply({ id: m.id, status: 'error', code: 'ROOT_UNAVAILABLE', error: `E's root "${m.base_dir}" is missing or not a directory.` });
          }
          // As the daemon does now: a path its rules exclude is refused before its bytes.
          if (options.refusesEarly && options.ignores?.(m.path!)) {
            refused.add(m.id);
            return reply({ id: m.id, status: 'error', code: 'IGNORED_PATH', error: `Refused path "${m.path}": E's ignore rules exclude it from syncing.` });
          }
          // A directory or a deletion: no bytes follow.
          if (m.size === 0) {
            staged++;
            return reply({ id: m.id, status: 'ok', staging_id: 'S1', conflict: false });
          }
          uploads.set(m.id, { path: m.path!, checksum: m.checksum!, size: m.size!, bytes: [] });
          return;
        case 'DROP_UPSTREAM_FILE':
          if (!options.knowsDrop) return reply({ id: m.id, status: 'error', code: 'UNKNOWN_OPERATION', error: 'Unknown operation "DROP_UPSTREAM_FILE".' });
          // A daemon from before `staged` drops the field and sees a staged path.
          if (m.staged && !options.takesOut) return reply({ id: m.id, status: 'error', code: 'UPSTREAM_STATE', error: `docs/${m.path} is already staged in session S1; it cannot be left out.` });
          if (m.staged) staged--;
          return reply({ id: m.id, status: 'ok', staging_id: 'S1', file_count: 0 });
        case 'FINALIZE_UPSTREAM':
          return reply({ id: m.id, status: 'ok', staging_id: 'S1', file_count: staged, conflict_count: 0 });
      }
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  servers.push({ http, wss });
  const connection = await Connection.open(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`, { token: 't', clientId: 'c', connectTimeoutMs: 3000 });
  return { connection, asked, afterRefusal };
}

/**
 * An entry for a file on disk, as the scan hashed it: `hashed` is what it held then, `now` what it
 * holds. (`now` must not merely extend `hashed`: R sends the `size` bytes it hashed, so a log only
 * appended to goes as it was hashed, unchanged.)
 */
function fileEntry(name: string, hashed: string, now = hashed): UpstreamEntry {
  writeFileSync(path.join(work, name), now);
  return { base_dir: 'docs', path: name, kind: 'file', operation: 'add', checksum: sha256(hashed), size: Buffer.byteLength(hashed), base_checksum: null, mode: 0o644 };
}

/**
 * An UploadObserver that checks, at every step, that what was sent stays within the totals
 * (0–100%), and keeps where they ended.
 */
function watchedProgress() {
  const at = { entries: 0, bytes: 0, totalEntries: 0, totalBytes: 0 };
  const steps: string[] = [];
  const check = (step: string) => {
    if (at.bytes < 0 || at.bytes > at.totalBytes || at.entries < 0 || at.entries > at.totalEntries) steps.push(`${step}: ${JSON.stringify(at)}`);
  };
  const observer: UploadObserver = {
    begin: (entries, bytes) => Object.assign(at, { totalEntries: entries, totalBytes: bytes }),
    bytesSent: (n) => {
      at.bytes += n;
      check(`bytesSent(${n})`);
    },
    entrySent: () => {
      at.entries++;
      check('entrySent');
    },
    recount: (entries, bytes) => {
      at.totalEntries += entries;
      at.totalBytes += bytes;
      check(`recount(${entries}, ${bytes})`);
    },
    end: () => undefined,
  };
  return { observer, at, outOfRange: steps };
}

describe('sendSession: the upload’s progress', () => {
  it('ends at 100% of what went when a file was read again at another size, or left out, and never passes it', async () => {
    const { connection } = await startDaemon({ knowsDrop: true, ignores: (p) => p.endsWith('.log') });
    const kept = fileEntry('kept.txt', 'unchanged\n');
    const grown = fileEntry('grown.txt', 'first save\n', 'second save, a good deal longer than the first\n');
    const shrunk = fileEntry('shrunk.txt', 'a first save that was long\n', 'short\n');
    const gone = fileEntry('gone.part', 'downloading\n');
    rmSync(path.join(work, 'gone.part'));
    const ignored = fileEntry('notes.log', 'R log\n');
    const progress = watchedProgress();
    const result = await sendSession(connection, dirs, [kept, grown, shrunk, gone, ignored], {
      concurrency: 1,
      progress: progress.observer,
      reread: (entry) => rereadEntry(dirs, entry),
    });
    await connection.close();
    expect(result.sent.map((e) => e.path)).toEqual(['kept.txt', 'grown.txt', 'shrunk.txt']);
    const sentBytes = result.sent.reduce((sum, e) => sum + e.size, 0);
    expect(progress.outOfRange).toEqual([]);
    expect(progress.at).toEqual({ entries: 3, bytes: sentBytes, totalEntries: 3, totalBytes: sentBytes });
  });
});

describe('sendSession: files that changed while they were sent', () => {
  it('sends a file saved once since the hash as R holds it now, in the same session', async () => {
    const { connection, asked } = await startDaemon({ knowsDrop: true });
    const kept = fileEntry('kept.txt', 'unchanged\n');
    const saved = fileEntry('draft.txt', 'first save\n', 'second save\n');
    const result = await sendSession(connection, dirs, [kept, saved], { concurrency: 1, reread: (entry) => rereadEntry(dirs, entry) });
    await connection.close();
    expect(result.left_out).toEqual([]);
    expect(result.sent).toEqual([kept, expect.objectContaining({ path: 'draft.txt', checksum: sha256('second save\n'), size: 12 })]);
    expect(result.session).toMatchObject({ staging_id: 'S1', file_count: 2 });
    expect(asked).toEqual([
      'HELLO',
      'PREPARE_UPSTREAM',
      'UPSTREAM_FILE kept.txt',
      'UPSTREAM_FILE draft.txt',
      'DROP_UPSTREAM_FILE draft.txt',
      'UPSTREAM_FILE draft.txt',
      'FINALIZE_UPSTREAM',
    ]);
  });

  it('leaves out a file that changed again when read once more, and finalizes the rest', async () => {
    const { connection, asked } = await startDaemon({ knowsDrop: true });
    const kept = fileEntry('kept.txt', 'unchanged\n');
    const log = fileEntry('run.log', 'line 1\n', 'LINE 1\nline 2\n');
    // Read once more, it has changed yet again before it is sent.
    const reread = async (entry: UpstreamEntry) => ({ ...entry, checksum: sha256('line 1\nline 2 (being written\n') });
    const result = await sendSession(connection, dirs, [log, kept], { concurrency: 1, reread });
    await connection.close();
    expect(result.left_out).toEqual([log]);
    expect(result.sent).toEqual([kept]);
    expect(result.session).toMatchObject({ staging_id: 'S1', file_count: 1 });
    expect(asked.filter((a) => a.endsWith('run.log'))).toEqual(['UPSTREAM_FILE run.log', 'DROP_UPSTREAM_FILE run.log', 'UPSTREAM_FILE run.log', 'DROP_UPSTREAM_FILE run.log']);
    expect(asked.at(-1)).toBe('FINALIZE_UPSTREAM');
  });

  it('leaves out a file that shrank under the read or vanished, without waiting for its bytes', async () => {
    const { connection } = await startDaemon({ knowsDrop: true });
    const shrunk = fileEntry('shrunk.log', 'a long line that was there\n', 'cut\n');
    const gone = fileEntry('gone.part', 'downloading\n');
    rmSync(path.join(work, 'gone.part'));
    const kept = fileEntry('kept.txt', 'unchanged\n');
    const result = await sendSession(connection, dirs, [shrunk, gone, kept]);
    await connection.close();
    expect(result.left_out).toEqual([shrunk, gone]);
    expect(result.sent).toEqual([kept]);
  });

  it('leaves out a file replaced by a FIFO or a directory since the hash, at once, not waiting on the FIFO', async () => {
    const { connection } = await startDaemon({ knowsDrop: true });
    const fifo = fileEntry('pipe.log', 'was a file\n');
    rmSync(path.join(work, 'pipe.log'));
    execFileSync('mkfifo', [path.join(work, 'pipe.log')]);
    const dir = fileEntry('now-a-dir', 'was a file\n');
    rmSync(path.join(work, 'now-a-dir'));
    mkdirSync(path.join(work, 'now-a-dir'));
    const kept = fileEntry('kept.txt', 'unchanged\n');
    const result = await sendSession(connection, dirs, [fifo, dir, kept]);
    await connection.close();
    expect(result.left_out).toEqual([fifo, dir]);
    expect(result.sent).toEqual([kept]);
  });

  it('leaves out a file replaced by a link since the hash, even to the very bytes it held', async () => {
    const { connection } = await startDaemon({ knowsDrop: true });
    writeFileSync(path.join(work, 'elsewhere.txt'), 'was a file\n');
    const linked = fileEntry('linked.txt', 'was a file\n');
    rmSync(path.join(work, 'linked.txt'));
    symlinkSync('elsewhere.txt', path.join(work, 'linked.txt'));
    const kept = fileEntry('kept.txt', 'unchanged\n');
    const result = await sendSession(connection, dirs, [linked, kept], { reread: (entry) => rereadEntry(dirs, entry) });
    await connection.close();
    expect(result.left_out).toEqual([linked]);
    expect(result.sent).toEqual([kept]);
  });

  it('hands the session and what it holds to onFinalize before FINALIZE_UPSTREAM goes out', async () => {
    const { connection, asked } = await startDaemon({ knowsDrop: true });
    const kept = fileEntry('kept.txt', 'unchanged\n');
    const gone = fileEntry('gone.part', 'downloading\n');
    rmSync(path.join(work, 'gone.part'));
    let seen: { stagingId: string; sent: readonly UpstreamEntry[]; askedBefore: string[] } | undefined;
    await sendSession(connection, dirs, [kept, gone], { onFinalize: (stagingId, sent) => (seen = { stagingId, sent, askedBefore: [...asked] }) });
    await connection.close();
    expect(seen).toEqual({ stagingId: 'S1', sent: [kept], askedBefore: expect.not.arrayContaining(['FINALIZE_UPSTREAM']) });
    expect(asked).toContain('FINALIZE_UPSTREAM');
  });

  it('finalizes nothing when every entry was left out', async () => {
    const { connection, asked } = await startDaemon({ knowsDrop: true });
    const log = fileEntry('run.log', 'line 1\n', 'LINE 1\nline 2\n');
    const result = await sendSession(connection, dirs, [log]);
    await connection.close();
    expect(result).toEqual({ session: null, sent: [], left_out: [log], ignored: [], unavailable: [], unavailable_roots: new Map(), from_e: { files: 0, bytes: 0 } });
    expect(asked).not.toContain('FINALIZE_UPSTREAM');
  });

  it('stops on the change, as before, with a daemon too old to leave a file out', async () => {
    const { connection, asked } = await startDaemon({ knowsDrop: false });
    const kept = fileEntry('kept.txt', 'unchanged\n');
    const log = fileEntry('run.log', 'line 1\n', 'LINE 1\nline 2\n');
    await expect(sendSession(connection, dirs, [kept, log], { concurrency: 1, reread: (entry) => rereadEntry(dirs, entry) })).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
      message: expect.stringContaining('run.log'),
    });
    await connection.close();
    expect(asked).not.toContain('FINALIZE_UPSTREAM');
  });
});

describe('sendSession: entries staged without bytes that R changed during the upload', () => {
  const outdated = async (went: readonly UpstreamEntry[]) => outdatedEntries(went, await statNow(dirs, went.filter(stagedWithoutBytes)));
  const dirEntry = (name: string): UpstreamEntry => ({ base_dir: 'docs', path: name, kind: 'dir', operation: 'add', checksum: null, size: 0, base_checksum: null, mode: 0o755 });

  /** A directory R made with a file in it, hashed, then removed (rm -rf) before it was sent. */
  function removedDir(): UpstreamEntry[] {
    mkdirSync(path.join(work, 'new'), { mode: 0o755 });
    const entries = [dirEntry('new'), fileEntry('new/a.txt', 'new on R\n')];
    rmSync(path.join(work, 'new'), { recursive: true });
    return entries;
  }

  it('takes the directory back out before FINALIZE and leaves it out with its files', async () => {
    const { connection, asked } = await startDaemon({ knowsDrop: true, takesOut: true });
    const [dir, file] = removedDir();
    const kept = fileEntry('kept.txt', 'unchanged\n');
    const result = await sendSession(connection, dirs, [dir!, file!, kept], { concurrency: 1, outdated });
    await connection.close();
    expect(result).toMatchObject({ sent: [kept], left_out: [dir, file], session: { staging_id: 'S1', file_count: 1 } });
    expect(asked.slice(-2)).toEqual(['DROP_UPSTREAM_FILE (staged) new', 'FINALIZE_UPSTREAM']);
  });

  it('finalizes nothing when the directory was all there was', async () => {
    const { connection, asked } = await startDaemon({ knowsDrop: true, takesOut: true });
    const [dir, file] = removedDir();
    const result = await sendSession(connection, dirs, [dir!, file!], { outdated });
    await connection.close();
    expect(result).toEqual({ session: null, sent: [], left_out: [dir, file], ignored: [], unavailable: [], unavailable_roots: new Map(), from_e: { files: 0, bytes: 0 } });
    expect(asked).not.toContain('FINALIZE_UPSTREAM');
  });

  it('finalizes with the directory, as before, when the daemon is too old to take it out', async () => {
    const { connection, asked } = await startDaemon({ knowsDrop: true, takesOut: false });
    const [dir, file] = removedDir();
    const result = await sendSession(connection, dirs, [dir!, file!], { outdated });
    await connection.close();
    expect(result).toMatchObject({ sent: [dir], left_out: [file], session: { staging_id: 'S1', file_count: 1 } });
    expect(asked.slice(-2)).toEqual(['DROP_UPSTREAM_FILE (staged) new', 'FINALIZE_UPSTREAM']);
  });

  it('takes nothing out while the directory is still there', async () => {
    const { connection, asked } = await startDaemon({ knowsDrop: true, takesOut: true });
    mkdirSync(path.join(work, 'new'), { mode: 0o755 });
    const dir = dirEntry('new');
    const result = await sendSession(connection, dirs, [dir], { outdated });
    await connection.close();
    expect(result).toMatchObject({ sent: [dir], left_out: [], session: { file_count: 1 } });
    expect(asked.filter((a) => a.startsWith('DROP_UPSTREAM_FILE'))).toEqual([]);
  });
});

describe('sendSession: paths E ignores', () => {
  const ignores = (p: string) => p.endsWith('.log');

  it('leaves out an entry E refuses as ignored, without reading it again, and finalizes the rest', async () => {
    const { connection, asked } = await startDaemon({ knowsDrop: true, ignores });
    const kept = fileEntry('kept.txt', 'unchanged\n');
    const log = fileEntry('notes.log', 'R log\n');
    const reread = async (): Promise<UpstreamEntry | null> => {
      throw new Error('an ignored entry is not read again');
    };
    const result = await sendSession(connection, dirs, [log, kept], { concurrency: 1, reread });
    await connection.close();
    expect(result).toMatchObject({ sent: [kept], left_out: [], ignored: [log], session: { staging_id: 'S1', file_count: 1 } });
    expect(asked.filter((a) => a.endsWith('notes.log'))).toEqual(['UPSTREAM_FILE notes.log', 'DROP_UPSTREAM_FILE notes.log']);
    expect(asked.at(-1)).toBe('FINALIZE_UPSTREAM');
  });

  it('stops sending a file E refuses before its bytes, and takes what went of it back from the progress', async () => {
    const { connection, afterRefusal } = await startDaemon({ knowsDrop: true, ignores, refusesEarly: true });
    const size = 64 * 1024 * 1024;
    writeFileSync(path.join(work, 'big.log'), '');
    truncateSync(path.join(work, 'big.log'), size);
    const big: UpstreamEntry = { base_dir: 'docs', path: 'big.log', kind: 'file', operation: 'add', checksum: sha256(Buffer.alloc(size)), size, base_checksum: null, mode: 0o644 };
    const kept = fileEntry('kept.txt', 'unchanged\n');
    const progress = watchedProgress();
    const result = await sendSession(connection, dirs, [big, kept], { progress: progress.observer });
    await connection.close();
    expect(result).toMatchObject({ sent: [kept], ignored: [big] });
    expect(afterRefusal.bytes).toBeLessThan(size / 4);
    expect(progress.outOfRange).toEqual([]);
    expect(progress.at).toEqual({ entries: 1, bytes: kept.size, totalEntries: 1, totalBytes: kept.size });
  });

  it('finalizes nothing when E ignores every entry', async () => {
    const { connection, asked } = await startDaemon({ knowsDrop: true, ignores });
    const log = fileEntry('notes.log', 'R log\n');
    const result = await sendSession(connection, dirs, [log]);
    await connection.close();
    expect(result).toEqual({ session: null, sent: [], left_out: [], ignored: [log], unavailable: [], unavailable_roots: new Map(), from_e: { files: 0, bytes: 0 } });
    expect(asked).not.toContain('FINALIZE_UPSTREAM');
  });
});

describe("sendSession: a root unavailable on E", () => {
  it("leaves out every entry of that root (the later ones without sending them) and finalizes the other roots' entries", async () => {
    const code = mkdtempSync(path.join(tmpdir(), 'zync-send-session-code-'));
    try {
      const { connection, asked } = await startDaemon({ knowsDrop: true, unavailable: ['docs'] });
      const a = fileEntry('a.txt', 'R a\n');
      const b = fileEntry('b.txt', 'R b\n');
      writeFileSync(path.join(code, 'c.txt'), 'R c\n');
      const c: UpstreamEntry = { ...fileEntry('unused.txt', 'R c\n'), base_dir: 'code', path: 'c.txt' };
      const progress = watchedProgress();
      const result = await sendSession(connection, [...dirs, { name: 'code', root: code }], [a, b, c], { concurrency: 1, progress: progress.observer });
      await connection.close();
      expect(result).toMatchObject({ sent: [c], left_out: [], ignored: [], unavailable: [a, b], session: { staging_id: 'S1', file_count: 1 } });
      expect(result.unavailable_roots).toEqual(new Map([['docs', 'E\'s root "docs" is missing or not a directory.']]));
      expect(asked).toEqual([
        'HELLO',
        'PREPARE_UPSTREAM',
        'UPSTREAM_FILE a.txt',
        'DROP_UPSTREAM_FILE a.txt',
        'DROP_UPSTREAM_FILE b.txt',
        'UPSTREAM_FILE c.txt',
        'FINALIZE_UPSTREAM',
      ]);
      expect(progress.outOfRange).toEqual([]);
      expect(progress.at).toMatchObject({ entries: 1, totalEntries: 1 });
    } finally {
      rmSync(code, { recursive: true, force: true });
    }
  });
});
