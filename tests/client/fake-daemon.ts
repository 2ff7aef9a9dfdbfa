// A scripted daemon for client tests that the real daemon cannot play: one that lies (unsafe
// paths, unknown base dirs, wrong checksums) or speaks another protocol. It serves a fixed log
// and fixed file contents over the real wire format (text frames + id-tagged binary frames).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { PROTOCOL_VERSION, encodeBinaryFrame, sha256, type ChangeEntry } from '@zync/common';

export interface FakeDaemonOptions {
  token: string;
  dirs: string[];
  changes: ChangeEntry[];
  /** Content served for `base_dir/path`; the header checksum is its real SHA-256 unless lied about. */
  files: Record<string, Buffer>;
  /** Checksums to announce instead of the real ones (header and trailer). */
  lies?: Record<string, string>;
  protocol?: number;
  logId?: string;
  /** Most changes per GET_CHANGES page (default: the whole log in one). */
  pageSize?: number;
  /** ACK_CHANGES answers are held back until a request matches (then all are sent). */
  holdAcksUntil?: (request: { operation: string; [key: string]: unknown }) => boolean;
  /** Sizes to announce in GET_FILES answers instead of the real ones (the content sent stays real). */
  batchSizes?: Record<string, number>;
  /** The first this many ACK_CHANGES are answered `recorded: false` (E's disk full). */
  unrecordedAcks?: number;
  /** The first request of this operation is answered with this error (a newer daemon's code, say). */
  failFirst?: { operation: string; code: string; error: string };
  /**
   * Per `base_dir/path`: GET_FILE and GET_FILES answer this error for the file the first `times`
   * it is asked for (all of them when absent), as E's daemon does for a file rewritten under its read.
   */
  fileErrors?: Record<string, { code: string; error: string; times?: number }>;
}

export interface FakeDaemon {
  url: string;
  acks: number[];
  requests: { operation: string; [key: string]: unknown }[];
  close(): Promise<void>;
}

export async function startFakeDaemon(options: FakeDaemonOptions): Promise<FakeDaemon> {
  const http: Server = createServer();
  const acks: number[] = [];
  const requests: FakeDaemon['requests'] = [];
  const wss = new WebSocketServer({
    server: http,
    verifyClient: (info, done) => done(info.req.headers.authorization === `Bearer ${options.token}`, 401, 'Unauthorized'),
  });
  const last = options.changes.reduce((m, c) => Math.max(m, c.sequence), 0);
  let acksHeld = options.holdAcksUntil !== undefined;
  let failFirst = options.failFirst;
  let unrecorded = options.unrecordedAcks ?? 0;
  const heldAcks: (() => void)[] = [];
  const asked = new Map<string, number>();
  /** The scripted error for this ask of a file, if any. */
  const fileError = (key: string): { code: string; error: string } | undefined => {
    const scripted = options.fileErrors?.[key];
    const n = (asked.get(key) ?? 0) + 1;
    asked.set(key, n);
    return scripted && (scripted.times === undefined || n <= scripted.times) ? scripted : undefined;
  };
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const m = JSON.parse(String(data)) as { operation: string; id: number; [key: string]: unknown };
      requests.push(m);
      if (acksHeld && options.holdAcksUntil?.(m)) {
        acksHeld = false;
        for (const send of heldAcks.splice(0)) send();
      }
      const reply = (body: Record<string, unknown>) => ws.send(JSON.stringify({ id: m.id, status: 'ok', ...body }));
      if (failFirst?.operation === m.operation) {
        const { code, error } = failFirst;
        failFirst = undefined;
        return ws.send(JSON.stringify({ id: m.id, status: 'error', code, error }));
      }
      switch (m.operation) {
        case 'HELLO':
          return reply({
            log_id: options.logId ?? 'fake-log',
            last_sequence: last,
            compacted_through: 0,
            dirs: options.dirs,
            protocol: options.protocol ?? PROTOCOL_VERSION,
            server_time: Date.now(),
          });
        case 'GET_CHANGES': {
          const since = m.since_sequence as number;
          const after = options.changes.filter((c) => c.sequence > since);
          const changes = after.slice(0, options.pageSize ?? after.length);
          const to = changes.at(-1)?.sequence ?? last;
          return reply({ changes, from_sequence: since, to_sequence: to, more_available: to < last, highest_sequence: last });
        }
        case 'ACK_CHANGES':
          acks.push(m.sequence_number as number);
          if (acksHeld) return void heldAcks.push(() => reply({ sequence_number: m.sequence_number }));
          if (unrecorded > 0) {
            unrecorded--;
            return reply({ sequence_number: m.sequence_number, recorded: false });
          }
          return reply({ sequence_number: m.sequence_number });
        case 'GET_FILE': {
          const key = `${String(m.base_dir)}/${String(m.path)}`;
          const content = options.files[key];
          const scripted = fileError(key);
          if (scripted) return ws.send(JSON.stringify({ id: m.id, status: 'error', code: scripted.code, error: scripted.error }));
          if (!content) {
            return ws.send(JSON.stringify({ id: m.id, status: 'error', code: 'NOT_FOUND', error: `${key} is not a file in the log.` }));
          }
          const checksum = options.lies?.[key] ?? sha256(content);
          reply({ operation: 'GET_FILE', checksum, size: content.length, mtime: 1_700_000_000_000, mode: 0o644 });
          if (content.length) ws.send(encodeBinaryFrame(m.id, content));
          return reply({ operation: 'FILE_END', checksum, size: content.length });
        }
        case 'GET_FILES': {
          const contents: Buffer[] = [];
          const files = (m.paths as string[]).map((path) => {
            const key = `${String(m.base_dir)}/${path}`;
            const content = options.files[key];
            const scripted = fileError(key);
            if (scripted) return { path, status: 'error', code: scripted.code, error: scripted.error };
            if (!content) return { path, status: 'error', code: 'NOT_FOUND', error: `${key} is not a file in the log.` };
            if (content.length > 0) contents.push(content);
            const size = options.batchSizes?.[key] ?? content.length;
            return { path, status: 'ok', checksum: options.lies?.[key] ?? sha256(content), size, mtime: 1_700_000_000_000, mode: 0o644 };
          });
          reply({ operation: 'GET_FILES', files, size: files.reduce((n, f) => n + (f.status === 'ok' ? (f.size as number) : 0), 0) });
          for (const content of contents) ws.send(encodeBinaryFrame(m.id, content));
          return;
        }
        default:
          return ws.send(JSON.stringify({ id: m.id, status: 'error', code: 'UNKNOWN_OPERATION', error: 'not scripted' }));
      }
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}`,
    acks,
    requests,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

/** A file entry for a scripted log. */
export function fileEntry(sequence: number, base_dir: string, path: string, content: Buffer, checksum = sha256(content)): ChangeEntry {
  return { sequence, operation: 'add', kind: 'file', base_dir, path, checksum, size: content.length, mtime: 1_700_000_000_000, mode: 0o644, timestamp: 1_700_000_000_000 };
}
