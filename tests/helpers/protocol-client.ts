// A deliberately raw protocol client for daemon tests: it sends whatever it is told (including
// garbage) and records everything it receives, so tests can assert on the wire itself.
import WebSocket from 'ws';
import { decodeBinaryFrame, encodeBinaryFrame } from '@zync/common';

export interface WireMessage {
  id?: number | null;
  status?: 'ok' | 'error';
  operation?: string;
  code?: string;
  error?: string;
  [key: string]: unknown;
}

export interface FileResult {
  header: WireMessage;
  content: Buffer;
  /** The FILE_END trailer, or the error that replaced it. */
  end: WireMessage;
}

export interface FilesResult {
  answer: WireMessage;
  /** The content frames' payloads, one per non-empty 'ok' file, in order. */
  frames: Buffer[];
}

export interface RawClient {
  ws: WebSocket;
  /** Sends a request with the next id and resolves with the first text frame answering it. */
  request(operation: string, fields?: Record<string, unknown>): Promise<WireMessage>;
  getFile(baseDir: string, path: string): Promise<FileResult>;
  /** GET_FILES: the answer and the content frames that follow it. */
  getFiles(baseDir: string, paths: string[]): Promise<FilesResult>;
  /** Sends bytes or text as they are. */
  sendRaw(data: string | Buffer): void;
  sendBinary(id: number, payload: Buffer): void;
  /** Resolves with the next text frame that has this id (or null id for unparseable requests). */
  nextMessage(predicate: (m: WireMessage) => boolean, timeoutMs?: number): Promise<WireMessage>;
  pushes: WireMessage[];
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

/** Opens a WebSocket to the daemon; rejects with the HTTP status on a refused upgrade. */
export function connect(url: string, token: string | null, options: { maxPayload?: number } = {}): Promise<RawClient> {
  const headers: Record<string, string> = token === null ? {} : { Authorization: `Bearer ${token}` };
  const ws = new WebSocket(url, { headers, maxPayload: options.maxPayload ?? 64 * 1024 * 1024 });
  const messages: WireMessage[] = [];
  const waiters: { predicate: (m: WireMessage) => boolean; resolve: (m: WireMessage) => void }[] = [];
  const binaries = new Map<number, Buffer[]>();
  const binaryWaiters = new Map<number, () => void>();
  const pushes: WireMessage[] = [];
  let nextId = 1;

  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      const frame = decodeBinaryFrame(data as Buffer);
      if (!frame) return;
      const list = binaries.get(frame.id) ?? [];
      list.push(Buffer.from(frame.payload));
      binaries.set(frame.id, list);
      binaryWaiters.get(frame.id)?.();
      return;
    }
    const message = JSON.parse(String(data)) as WireMessage;
    if (message.operation === 'CHANGES_AVAILABLE' && message.id === undefined) pushes.push(message);
    const index = waiters.findIndex((w) => w.predicate(message));
    if (index >= 0) waiters.splice(index, 1)[0]!.resolve(message);
    else messages.push(message);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) }));
  });

  const nextMessage = (predicate: (m: WireMessage) => boolean, timeoutMs = 30_000) =>
    new Promise<WireMessage>((resolve, reject) => {
      const queued = messages.findIndex(predicate);
      if (queued >= 0) return resolve(messages.splice(queued, 1)[0]!);
      const timer = setTimeout(() => reject(new Error('no matching message from the daemon in time')), timeoutMs);
      waiters.push({
        predicate,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });

  const client: RawClient = {
    ws,
    pushes,
    closed,
    request(operation, fields = {}) {
      const id = nextId++;
      ws.send(JSON.stringify({ operation, id, ...fields }));
      return nextMessage((m) => m.id === id);
    },
    async getFile(baseDir, path) {
      const id = nextId++;
      ws.send(JSON.stringify({ operation: 'GET_FILE', id, base_dir: baseDir, path }));
      const header = await nextMessage((m) => m.id === id);
      if (header.status !== 'ok') return { header, content: Buffer.alloc(0), end: header };
      const end = await nextMessage((m) => m.id === id, 120_000);
      const content = Buffer.concat(binaries.get(id) ?? []);
      binaries.delete(id);
      return { header, content, end };
    },
    async getFiles(baseDir, paths) {
      const id = nextId++;
      ws.send(JSON.stringify({ operation: 'GET_FILES', id, base_dir: baseDir, paths }));
      const answer = await nextMessage((m) => m.id === id);
      const listed = Array.isArray(answer.files) ? (answer.files as { status?: string; size?: number }[]) : [];
      const expected = listed.filter((f) => f.status === 'ok' && (f.size ?? 0) > 0).length;
      while ((binaries.get(id)?.length ?? 0) < expected) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('GET_FILES content frames missing')), 30_000);
          binaryWaiters.set(id, () => {
            clearTimeout(timer);
            resolve();
          });
        });
        binaryWaiters.delete(id);
      }
      const frames = binaries.get(id) ?? [];
      binaries.delete(id);
      return { answer, frames };
    },
    sendRaw(data) {
      ws.send(data);
    },
    sendBinary(id, payload) {
      ws.send(encodeBinaryFrame(id, payload));
    },
    nextMessage,
    async close() {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
      await closed;
    },
  };

  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`upgrade refused with HTTP ${res.statusCode}`), { statusCode: res.statusCode }));
      ws.terminate();
    });
    ws.once('error', reject);
  });
}
