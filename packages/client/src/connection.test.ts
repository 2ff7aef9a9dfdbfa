// The connection against a scripted WebSocket server on 127.0.0.1 (port 0): auth and connect
// failures map to stable codes, responses are matched by id, GET_FILE streams into the sink,
// bodies go out as tagged binary frames, pushes reach listeners.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { AtomicFileWriter, PROTOCOL_VERSION, decodeBinaryFrame, encodeBinaryFrame, sha256 } from '@zync/common';
import { Connection, RECEIVE_HIGH_WATER_BYTES, checkCaContent, checkServerUrl, connectError, describeClose, serverShown, whyClosed } from './connection.js';
import { YOUNG_GC_BYTES } from './young-gc.js';

type Handler = (ws: WebSocket, message: Record<string, unknown>) => void;

const LOG_ID = 'log-1';
const helloOk = (id: unknown, protocol = PROTOCOL_VERSION) => ({
  id,
  status: 'ok',
  log_id: LOG_ID,
  last_sequence: 0,
  compacted_through: 0,
  dirs: ['docs'],
  protocol,
  server_time: Date.now(),
});

let servers: { http: Server; wss: WebSocketServer }[] = [];
afterEach(async () => {
  for (const { http, wss } of servers) {
    for (const client of wss.clients) client.terminate();
    wss.close();
    await new Promise((resolve) => http.close(resolve));
  }
  servers = [];
});

async function startServer(handler: Handler, options: { token?: string; binary?: (ws: WebSocket, id: number, payload: Buffer) => void } = {}) {
  const http = createServer();
  const wss = new WebSocketServer({
    server: http,
    verifyClient: (info, done) => {
      if (options.token && info.req.headers.authorization !== `Bearer ${options.token}`) done(false, 401, 'Unauthorized');
      else done(true);
    },
  });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const frame = decodeBinaryFrame(data as Buffer)!;
        options.binary?.(ws, frame.id, frame.payload);
        return;
      }
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      if (message.operation === 'HELLO') ws.send(JSON.stringify(helloOk(message.id)));
      else handler(ws, message);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  servers.push({ http, wss });
  return `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

const open = (url: string, token?: string) => Connection.open(url, { token, clientId: 'test-client', connectTimeoutMs: 3000 });

describe('Connection.open', () => {
  it('says HELLO and keeps the answer', async () => {
    const url = await startServer(() => undefined, { token: 'secret' });
    const connection = await open(url, 'secret');
    expect(connection.hello.log_id).toBe(LOG_ID);
    await connection.close();
  });

  it.each<[string, string | undefined]>([
    ['a wrong token', 'wrong'],
    ['no token', undefined],
  ])('maps HTTP 401 for %s to UNAUTHORIZED', async (_name, token) => {
    const url = await startServer(() => undefined, { token: 'secret' });
    await expect(open(url, token)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('maps a refused connection to CONNECTION_FAILED', async () => {
    const url = await startServer(() => undefined);
    const port = new URL(url).port;
    await afterEachClose();
    await expect(open(`ws://127.0.0.1:${port}`)).rejects.toMatchObject({ code: 'CONNECTION_FAILED', message: expect.stringMatching(/connection refused/) });
  });

  // ws://127.0.0.1 dials port 80: the sentence names it, since the address alone does not.
  it.each([
    ['an address with its port, as given', 'ws://127.0.0.1:8000', 'ws://127.0.0.1:8000'],
    ['ws:// without a port, with port 80', 'ws://127.0.0.1', 'ws://127.0.0.1 (port 80)'],
    ['wss:// without a port, with port 443', 'wss://e.example/', 'wss://e.example/ (port 443)'],
    ['an IPv6 address with its port, as given', 'ws://[::1]:8000', 'ws://[::1]:8000'],
    ['an IPv6 address without a port, with port 80', 'ws://[::1]', 'ws://[::1] (port 80)'],
    ['port 80 given explicitly, as given', 'ws://localhost:80', 'ws://localhost:80'],
    ['a port after ws: without slashes, as given (Node dials it)', 'ws:127.0.0.1:18432', 'ws:127.0.0.1:18432'],
  ])('shows %s', (_why, url, shown) => {
    expect(serverShown(url)).toBe(shown);
  });

  // Node's parser reads credentials without `//` too, and a password with `#` parses as no URL.
  it.each([
    ['ws://user:secret@h:1', 'ws://…@h:1'],
    ['ws:user:secret@127.0.0.1:1', 'ws:…@127.0.0.1:1'],
    ['ws:\\\\user:secret@h', 'ws:\\\\…@h'],
    ['ws://u:se#c/r?et@h:1', 'ws://…@h:1'],
    ['ws://h:1/path', 'ws://h:1/path'],
  ])('refuses %s without echoing its password', (url, shown) => {
    const refusal = (() => {
      try {
        checkServerUrl(url);
      } catch (err) {
        return err;
      }
      return null;
    })();
    if (!url.includes('@')) {
      expect(refusal).toBeNull();
      return;
    }
    expect(refusal).toMatchObject({ code: 'BAD_ARGUMENT' });
    expect((refusal as Error).message).toContain(shown);
    expect((refusal as Error).message).not.toMatch(/secret|se#c/);
  });

  it.each([
    ['a refused connection names the port an address without one goes to', 'ws://127.0.0.1', 'ECONNREFUSED', 'Cannot reach the daemon at ws://127.0.0.1 (port 80): connection refused; is the daemon running and the tunnel up?'],
    [
      'a host not found is a sentence with what to check',
      'ws://nosuchhost.invalid:8000',
      'ENOTFOUND',
      'Cannot reach the daemon at ws://nosuchhost.invalid:8000: host nosuchhost.invalid not found; check the name in --server (through an SSH tunnel it is localhost, and the tunnel must be up).',
    ],
  ])('%s', (_why, url, code, message) => {
    expect(connectError(url, Object.assign(new Error(code), { code }))).toMatchObject({ code: 'CONNECTION_FAILED', message });
  });

  // A wrong port in --server: the sentence says what answered there and what to check.
  it.each<[string, (socket: Socket) => void, RegExp]>([
    ['a web server', (socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'), /: the server there answered HTTP 200 instead of a WebSocket upgrade; is --server the daemon's address and port\?$/],
    ['an SSH server', (socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\n'), /: what answers there does not speak HTTP; is --server the daemon's address and port\?$/],
    ['a server that says nothing', () => undefined, /: no answer to the WebSocket handshake within 0\.3 s; is --server the daemon's address and port\?$/],
  ])('maps %s at the address to CONNECTION_FAILED, saying to check --server', async (_name, answer, message) => {
    const sockets: Socket[] = [];
    const server = createNetServer((socket) => {
      sockets.push(socket);
      socket.once('data', () => answer(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const opening = Connection.open(url, { token: 't', clientId: 'test-client', connectTimeoutMs: 300 });
      await expect(opening).rejects.toMatchObject({ code: 'CONNECTION_FAILED', message: expect.stringMatching(new RegExp(`^Cannot reach the daemon at ${url}${message.source}`)) });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  // A connection closed before any answer: an SSH tunnel whose far end has no daemon (sshd closes,
  // or a proxy resets) must not be taken for a daemon serving wss://, which does the same to ws://.
  it.each<[string, (socket: Socket) => void]>([
    ['closed', (socket) => socket.destroy()],
    ['reset', (socket) => socket.resetAndDestroy()],
  ])('says a tunnel that accepted and %s the connection has nothing at its end, not to use wss://', async (_how, drop) => {
    const sockets: Socket[] = [];
    const server = createNetServer((socket) => {
      sockets.push(socket);
      drop(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const opening = Connection.open(url, { token: 't', clientId: 'test-client', connectTimeoutMs: 2000 });
      await expect(opening).rejects.toMatchObject({
        code: 'CONNECTION_FAILED',
        message: `Cannot reach the daemon at ${url}: the connection was accepted, then closed before any answer: through an SSH tunnel, the tunnel is up but nothing answers at E's end; is zync-daemon running on E?`,
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('says to use wss:// when ws:// reaches a server that answers TLS', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'zync-tls-'));
    let tls: { cert: Buffer; key: Buffer };
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')], { stdio: 'ignore' });
      tls = { cert: readFileSync(path.join(dir, 'c.pem')), key: readFileSync(path.join(dir, 'k.pem')) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const server = createHttpsServer(tls);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await expect(Connection.open(url, { token: 't', clientId: 'test-client', connectTimeoutMs: 2000 })).rejects.toMatchObject({
        code: 'CONNECTION_FAILED',
        message: `Cannot reach the daemon at ${url}: connection reset, and what answers there speaks TLS; the daemon serves wss:// (--tls-cert): give --server a wss:// address.`,
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('gives up at once when its signal aborts while HELLO is unanswered', async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http }); // upgrades, never answers
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    servers.push({ http, wss });
    const controller = new AbortController();
    // Aborted once the daemon has HELLO in hand and leaves it unanswered.
    wss.once('connection', (ws) => ws.once('message', () => controller.abort()));
    const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const started = Date.now();
    await expect(Connection.open(url, { clientId: 'test-client', connectTimeoutMs: 10_000, signal: controller.signal })).rejects.toMatchObject({
      code: 'CONNECTION_FAILED',
      message: `Stopped while connecting to ${url}.`,
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses a bad URL with BAD_ARGUMENT', async () => {
    await expect(open('http//nowhere')).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });

  it('maps a HELLO error INCOMPATIBLE_PROTOCOL to INCOMPATIBLE_PROTOCOL', async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (ws) =>
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { id: number };
        ws.send(JSON.stringify({ id: m.id, status: 'error', code: 'INCOMPATIBLE_PROTOCOL', error: 'Protocol 1 is not supported; this daemon speaks 2.' }));
      }),
    );
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    servers.push({ http, wss });
    await expect(open(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`)).rejects.toMatchObject({ code: 'INCOMPATIBLE_PROTOCOL' });
  });

  it('refuses a daemon answering with an unsupported protocol version', async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (ws) =>
      ws.on('message', (data) => ws.send(JSON.stringify(helloOk((JSON.parse(String(data)) as { id: number }).id, 99)))),
    );
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    servers.push({ http, wss });
    await expect(open(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`)).rejects.toMatchObject({ code: 'INCOMPATIBLE_PROTOCOL' });
  });
});

async function afterEachClose() {
  for (const { http, wss } of servers) {
    wss.close();
    await new Promise((resolve) => http.close(resolve));
  }
  servers = [];
}

describe('requests', () => {
  it('matches pipelined responses by id, whatever their order', async () => {
    const held: Record<string, unknown>[] = [];
    const url = await startServer((ws, m) => {
      held.push(m);
      if (held.length === 3) {
        for (const r of held.reverse()) ws.send(JSON.stringify({ id: r.id, status: 'ok', last_sequence: Number(r.id) * 10 }));
      }
    });
    const connection = await open(url);
    const results = await Promise.all([1, 2, 3].map(() => connection.request('GET_LAST_SEQUENCE', {})));
    expect(new Set(results.map((r) => r.id)).size).toBe(3);
    for (const r of results) expect(r.last_sequence).toBe(r.id * 10);
    await connection.close();
  });

  it('rejects an error response with its code', async () => {
    const url = await startServer((ws, m) =>
      ws.send(JSON.stringify({ id: m.id, status: 'error', code: 'RESYNC_REQUIRED', error: 'The log was compacted.' })),
    );
    const connection = await open(url);
    await expect(connection.request('GET_CHANGES', { since_sequence: 3, limit: 10 })).rejects.toMatchObject({ code: 'RESYNC_REQUIRED' });
    await connection.close();
  });

  it('rejects a malformed response with BAD_MESSAGE', async () => {
    const url = await startServer((ws, m) => ws.send(JSON.stringify({ id: m.id, status: 'ok', changes: 'nope' })));
    const connection = await open(url);
    await expect(connection.request('GET_CHANGES', { since_sequence: 0, limit: 10 })).rejects.toMatchObject({ code: 'BAD_MESSAGE' });
    await connection.close();
  });

  it('fails pending requests with CONNECTION_FAILED when the socket closes', async () => {
    const url = await startServer((ws) => ws.terminate());
    const connection = await open(url);
    await expect(connection.request('PING', {})).rejects.toMatchObject({ code: 'CONNECTION_FAILED' });
    expect(connection.isOpen).toBe(false);
  });

  it('says the connection is closing, not that the daemon cannot be reached, for a request sent after its close frame', async () => {
    // The daemon's close frame (SIGTERM) arrives; its TCP close has not yet.
    const url = await startServer((ws) => {
      const socket = (ws as unknown as { _socket: { write(b: Buffer): void; pause(): void } })._socket;
      socket.write(Buffer.from([0x88, 0x02, 0x03, 0xe9]));
      socket.pause(); // R's answering close frame goes unread: the TCP connection stays up
    });
    const connection = await open(url);
    void connection.request('PING', {}).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const late = (await connection.request('PING', {}).then(() => new Error('answered'), (err: unknown) => err)) as Error;
    expect(late).toMatchObject({ code: 'CONNECTION_FAILED' });
    expect(late.message).not.toMatch(/readyState|Cannot reach/);
  });

  it("fails a request sent after the daemon's close frame with the close's reason: a token no longer accepted", async () => {
    // E rotated its token: the daemon closes with CLOSE_TOKEN_REVOKED; its TCP close follows a
    // little later (R's answering close frame is read after 300 ms).
    const url = await startServer((ws) => {
      const socket = (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      ws.close(4401, 'the token this connection presented is no longer accepted');
      socket.pause();
      setTimeout(() => socket.resume(), 300);
    });
    const connection = await open(url);
    const first = connection.request('PING', {}).then(() => new Error('answered'), (err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const late = (await connection.request('PING', {}).then(() => new Error('answered'), (err: unknown) => err)) as Error;
    const refused = { code: 'UNAUTHORIZED', message: `The daemon at ${url} refused the token (HTTP 401); check --token, --token-file or ZYNC_TOKEN.` };
    expect(late).toMatchObject(refused);
    expect(await first).toMatchObject(refused);
  });

  it('says a connection cut mid-request was cut, not "closed (1006)"', async () => {
    // kill -9 of the daemon, or a dropped tunnel: the socket ends with no close frame.
    const url = await startServer((ws, m) => {
      if (m.operation === 'PING') ws.terminate();
    });
    const connection = await open(url);
    const cut = (await connection.request('PING', {}).then(() => new Error('answered'), (err: unknown) => err)) as Error;
    expect(cut).toMatchObject({ code: 'CONNECTION_FAILED', message: `The connection to the daemon at ${url} was cut (the daemon stopped, or the network or tunnel dropped).` });
  });

  it('delivers CHANGES_AVAILABLE pushes', async () => {
    const url = await startServer((ws, m) => {
      ws.send(JSON.stringify({ operation: 'CHANGES_AVAILABLE', highest_sequence: 42 }));
      ws.send(JSON.stringify({ id: m.id, status: 'ok', server_time: 1, uptime: 1 }));
    });
    const connection = await open(url);
    const pushes: number[] = [];
    connection.onPush((p) => pushes.push(p.highest_sequence));
    await connection.request('PING', {});
    expect(pushes).toEqual([42]);
    await connection.close();
  });
});

/**
 * Waits until the connection stopped reading for backpressure. Once it has, nothing more is
 * received: what a socket read brought in past the pause was handled in the same tick.
 */
async function pausedReading(connection: Connection): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!connection.readingPaused && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  expect(connection.readingPaused).toBe(true);
}

describe('getFile', () => {
  const content = Buffer.from('x'.repeat(700_000));
  const serveFile = (ws: WebSocket, id: number, data: Buffer, trailer: Record<string, unknown> | null) => {
    ws.send(JSON.stringify({ id, status: 'ok', operation: 'GET_FILE', checksum: sha256(data), size: data.length, mtime: 1000, mode: 0o755 }));
    for (let i = 0; i < data.length; i += 256 * 1024) ws.send(encodeBinaryFrame(id, data.subarray(i, i + 256 * 1024)));
    ws.send(JSON.stringify(trailer ?? { id, status: 'ok', operation: 'FILE_END', checksum: sha256(data), size: data.length }));
  };

  it('streams interleaved transfers into their sinks in order', async () => {
    const other = Buffer.from('y'.repeat(300_000));
    const url = await startServer((ws, m) => serveFile(ws, m.id as number, m.path === 'a' ? content : other, null));
    const connection = await open(url);
    const sinks = ['a', 'b'].map((path) => {
      const chunks: Buffer[] = [];
      let opened = 0;
      const transfer = connection.getFile('docs', path, {
        open: () => void opened++,
        write: async (chunk) => {
          await new Promise((resolve) => setImmediate(resolve));
          chunks.push(chunk);
        },
      });
      return { transfer, chunks, opened: () => opened };
    });
    const [a, b] = await Promise.all(sinks.map((s) => s.transfer));
    expect(a!.header.mode).toBe(0o755);
    expect(Buffer.concat(sinks[0]!.chunks).equals(content)).toBe(true);
    expect(Buffer.concat(sinks[1]!.chunks).equals(other)).toBe(true);
    expect(b!.trailer.size).toBe(other.length);
    expect(sinks.map((s) => s.opened())).toEqual([1, 1]);
    await connection.close();
  });

  it('rejects FILE_CHANGED sent instead of the trailer, after the sink caught up', async () => {
    const url = await startServer((ws, m) =>
      serveFile(ws, m.id as number, content, { id: m.id, status: 'error', code: 'FILE_CHANGED', error: 'The file changed while it was read.' }),
    );
    const connection = await open(url);
    let written = 0;
    await expect(connection.getFile('docs', 'a', { open: () => undefined, write: (c) => void (written += c.length) })).rejects.toMatchObject({
      code: 'FILE_CHANGED',
    });
    expect(written).toBe(content.length);
    await connection.close();
  });

  it('refuses more bytes than the header announced', async () => {
    const url = await startServer((ws, m) => {
      ws.send(JSON.stringify({ id: m.id, status: 'ok', operation: 'GET_FILE', checksum: sha256('ab'), size: 2, mtime: 1, mode: 0o644 }));
      ws.send(encodeBinaryFrame(m.id as number, Buffer.from('abc')));
    });
    const connection = await open(url);
    await expect(connection.getFile('docs', 'a', { open: () => undefined, write: () => undefined })).rejects.toMatchObject({ code: 'BAD_MESSAGE' });
    await connection.close();
  });

  it('stops reading before a stalled sink holds as much as a young GC spans, then delivers the rest', async () => {
    const big = Buffer.alloc(16 * 1024 * 1024, 7);
    const url = await startServer((ws, m) => serveFile(ws, m.id as number, big, null));
    const connection = await open(url);
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    let written = 0;
    const transfer = connection.getFile('docs', 'a', {
      open: () => undefined,
      write: async (chunk) => {
        await stalled;
        written += chunk.length;
      },
    });
    await pausedReading(connection);
    expect(connection.received.bytes).toBeGreaterThan(RECEIVE_HIGH_WATER_BYTES);
    // Everything received waits for the sink: more than YOUNG_GC_BYTES would be promoted (young-gc.ts).
    expect(connection.received.bytes).toBeLessThan(YOUNG_GC_BYTES);
    release();
    await transfer;
    expect(written).toBe(big.length);
    await connection.close();
  });

  it("stops reading while one file's sink holds a chunk up, however fast the other files' bytes are written", async () => {
    const held = Buffer.alloc(1024 * 1024, 1);
    const flowing = Buffer.alloc(32 * 1024 * 1024, 2);
    const url = await startServer((ws, m) => serveFile(ws, m.id as number, m.path === 'held' ? held : flowing, null));
    const connection = await open(url);
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    const written = { held: 0, flowing: 0 };
    const heldTransfer = connection.getFile('docs', 'held', {
      open: () => undefined,
      write: async (chunk) => {
        await stalled;
        written.held += chunk.length;
      },
    });
    const flowingTransfer = connection.getFile('docs', 'flowing', { open: () => undefined, write: (chunk) => void (written.flowing += chunk.length) });
    await pausedReading(connection);
    expect(connection.received.bytes).toBeGreaterThan(RECEIVE_HIGH_WATER_BYTES);
    // The held chunk arrived first: what came after it is what a young GC would spare it through.
    expect(connection.received.bytes).toBeLessThan(YOUNG_GC_BYTES);
    release();
    await Promise.all([heldTransfer, flowingTransfer]);
    expect(written).toEqual({ held: held.length, flowing: flowing.length });
    await connection.close();
  });

  it('stops reading while a slow disk holds up several files written buffered (8-16 MiB), then delivers them whole', async () => {
    const MiB = 1024 * 1024;
    const files = Array.from({ length: 8 }, (_, i) => Buffer.alloc(12 * MiB, i + 1));
    const url = await startServer((ws, m) => serveFile(ws, m.id as number, files[Number(m.path)]!, null));
    const connection = await open(url);
    const dir = mkdtempSync(path.join(tmpdir(), 'zync-buffered-'));
    // The disk takes nothing until released.
    const probe = await openFile(path.join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { writev: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const writev = proto.writev;
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    proto.writev = async function (this: unknown, ...args: unknown[]) {
      await stalled;
      return writev.apply(this, args);
    };
    try {
      const transfers = files.map(async (data, i) => {
        let writer: AtomicFileWriter | null = null;
        await connection.getFile('docs', String(i), {
          open: async (header) => void (writer = await AtomicFileWriter.create(path.join(dir, `${i}.bin`), { expectedSize: header.size })),
          write: (chunk) => writer!.write(chunk),
        });
        expect(writer!.writesDirect).toBe(false);
        await writer!.commit({ expectedChecksum: sha256(data) });
      });
      await pausedReading(connection);
      expect(connection.received.bytes).toBeGreaterThan(RECEIVE_HIGH_WATER_BYTES);
      // What the writers queue counts too: more than YOUNG_GC_BYTES alive would be promoted (young-gc.ts).
      expect(connection.received.bytes).toBeLessThan(YOUNG_GC_BYTES);
      release();
      await Promise.all(transfers);
    } finally {
      proto.writev = writev;
    }
    for (const [i, data] of files.entries()) expect(readFileSync(path.join(dir, `${i}.bin`)).equals(data)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
    await connection.close();
  });

  it("reports the sink's own failure", async () => {
    const url = await startServer((ws, m) => serveFile(ws, m.id as number, content, null));
    const connection = await open(url);
    await expect(
      connection.getFile('docs', 'a', {
        open: () => undefined,
        write: () => {
          throw new Error('disk on fire');
        },
      }),
    ).rejects.toThrow('disk on fire');
    await connection.close();
  });
});

describe('getFiles', () => {
  const a = Buffer.from('alpha\n');
  const b = Buffer.from('bravo bravo\n');
  const entry = (path: string, data: Buffer) => ({ path, status: 'ok', checksum: sha256(data), size: data.length, mtime: 1000, mode: 0o644 });
  /** Answers GET_FILES with `files` and `frames` (as given, so tests can make them disagree). */
  const answerWith = (files: (m: Record<string, unknown>) => unknown[], frames: Buffer[], size?: number) =>
    startServer((ws, m) => {
      const listed = files(m);
      const announced = size ?? listed.reduce<number>((n, f) => n + ((f as { size?: number }).size ?? 0), 0);
      ws.send(JSON.stringify({ id: m.id, status: 'ok', operation: 'GET_FILES', files: listed, size: announced }));
      for (const frame of frames) ws.send(encodeBinaryFrame(m.id as number, frame));
    });

  it('gives each file the frame that follows in its place, errors in place', async () => {
    const url = await answerWith(() => [entry('a.txt', a), { path: 'gone.txt', status: 'error', code: 'NOT_FOUND', error: 'gone' }, entry('b.txt', b)], [a, b]);
    const connection = await open(url);
    const files = await connection.getFiles('docs', ['a.txt', 'gone.txt', 'b.txt']);
    expect(files.map((f) => (f.status === 'ok' ? [f.path, f.content.toString()] : [f.path, f.code]))).toEqual([
      ['a.txt', 'alpha\n'],
      ['gone.txt', 'NOT_FOUND'],
      ['b.txt', 'bravo bravo\n'],
    ]);
    await connection.close();
  });

  it('resolves without waiting for a frame when nothing was sent', async () => {
    const url = await answerWith(() => [{ path: 'x', status: 'error', code: 'FILE_CHANGED', error: 'changed' }], []);
    const connection = await open(url);
    expect(await connection.getFiles('docs', ['x'])).toMatchObject([{ path: 'x', status: 'error', code: 'FILE_CHANGED' }]);
    await connection.close();
  });

  it.each([
    { name: 'files other than the ones requested', files: () => [entry('other.txt', a)], frames: [a], size: undefined },
    { name: 'fewer files than requested', files: () => [], frames: [], size: undefined },
    { name: 'a size that is not the sum of the files', files: () => [entry('a.txt', a)], frames: [a], size: a.length + 1 },
    { name: 'a frame shorter than its file', files: () => [entry('a.txt', a)], frames: [a.subarray(1)], size: undefined },
  ])('rejects an answer with $name as BAD_MESSAGE', async ({ files, frames, size }) => {
    const url = await answerWith(files, frames, size);
    const connection = await open(url);
    await expect(connection.getFiles('docs', ['a.txt'])).rejects.toMatchObject({ code: 'BAD_MESSAGE' });
    await connection.close();
  });
});

describe('requestWithBody', () => {
  it('sends the body as binary frames tagged with the request id, then resolves', async () => {
    const received = new Map<number, Buffer[]>();
    let declared = 0;
    let requestId = -1;
    const url = await startServer(
      (_ws, m) => {
        requestId = m.id as number;
        declared = m.size as number;
      },
      {
        binary: (ws, id, payload) => {
          const list = received.get(id) ?? [];
          list.push(Buffer.from(payload));
          received.set(id, list);
          if (list.reduce((n, b) => n + b.length, 0) === declared) {
            ws.send(JSON.stringify({ id, status: 'ok', staging_id: 's1', conflict: false }));
          }
        },
      },
    );
    const connection = await open(url);
    const body = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    async function* chunks() {
      for (let i = 0; i < body.length; i += 1024 * 1024) yield body.subarray(i, i + 1024 * 1024);
    }
    const response = await connection.requestWithBody(
      'UPSTREAM_FILE',
      { base_dir: 'docs', path: 'a', checksum: sha256(body), size: body.length, base_checksum: null },
      chunks(),
    );
    expect(response).toMatchObject({ staging_id: 's1', conflict: false });
    expect([...received.keys()]).toEqual([requestId]);
    expect(Buffer.concat(received.get(requestId)!).equals(body)).toBe(true);
    expect(Math.max(...received.get(requestId)!.map((b) => b.length))).toBeLessThanOrEqual(256 * 1024);
    await connection.close();
  });

  it('stops sending when an early error response arrives', async () => {
    let frames = 0;
    const url = await startServer(
      (ws, m) => ws.send(JSON.stringify({ id: m.id, status: 'error', code: 'UNSAFE_PATH', error: 'Refused path.' })),
      { binary: () => void frames++ },
    );
    const connection = await open(url);
    async function* endless() {
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        yield Buffer.alloc(1024);
      }
    }
    await expect(
      connection.requestWithBody('UPSTREAM_FILE', { base_dir: 'docs', path: '../x', checksum: null, size: 0, base_checksum: null }, endless()),
    ).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    await connection.close();
    expect(frames).toBeLessThan(50);
  });
});

describe('checkCaContent (--ca)', () => {
  const certificate = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'zync-ca-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')], { stdio: 'ignore' });
      return { cert: readFileSync(path.join(dir, 'c.pem')), key: readFileSync(path.join(dir, 'k.pem')) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const made = certificate();

  it('accepts PEM certificates, one or several', () => {
    expect(() => checkCaContent(made.cert, 'ca.pem')).not.toThrow();
    expect(() => checkCaContent(Buffer.concat([made.cert, made.cert]), 'ca.pem')).not.toThrow();
  });

  it('refuses a file with no certificate, saying what to give instead', () => {
    expect(() => checkCaContent(Buffer.from('not a certificate\n'), 'ca.pem')).toThrow(
      "The CA file ca.pem holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the daemon's certificate (its --tls-cert file) or its CA's, in PEM.",
    );
  });

  it('refuses a private key given by mistake', () => {
    expect(() => checkCaContent(made.key, 'key.pem')).toThrow(/holds a private key; give the certificate instead/);
  });

  it('refuses a damaged certificate block', () => {
    const damaged = made.cert.toString().replace(/^(-----BEGIN CERTIFICATE-----\n)[A-Za-z0-9]{8}/, '$1AAAAAAAA');
    expect(() => checkCaContent(Buffer.from(damaged), 'ca.pem')).toThrow(/holds a certificate that cannot be read/);
  });
});

describe('describeClose', () => {
  const url = 'ws://localhost:8000';
  it('says a connection cut without a closing handshake was cut, and what may have done it', () => {
    expect(describeClose(url, 1006, '')).toBe('The connection to the daemon at ws://localhost:8000 was cut (the daemon stopped, or the network or tunnel dropped).');
  });

  it("gives the daemon's reason when it sent one, inert", () => {
    expect(describeClose(url, 1001, 'zync-daemon is shutting down')).toBe('The daemon at ws://localhost:8000 closed the connection: zync-daemon is shutting down.');
    expect(describeClose(url, 1008, 'bad\u001b[2Jthing')).toBe('The daemon at ws://localhost:8000 closed the connection: bad\\x1b[2Jthing.');
  });

  it('names the code of any other close', () => {
    expect(describeClose(url, 1011, '')).toBe('The daemon at ws://localhost:8000 closed the connection (WebSocket code 1011).');
  });

  it('names the port an address without one went to, as a failure to connect does', () => {
    expect(describeClose('ws://127.0.0.1', 1006, '')).toBe('The connection to the daemon at ws://127.0.0.1 (port 80) was cut (the daemon stopped, or the network or tunnel dropped).');
  });
});

describe('whyClosed', () => {
  const url = 'ws://localhost:8000';
  it.each<[string, number, string, { code: string; message: string }]>([
    [
      'a token E no longer accepts (rotated) is the refused-token sentence said at connecting',
      4401,
      'the token this connection presented is no longer accepted',
      { code: 'UNAUTHORIZED', message: 'The daemon at ws://localhost:8000 refused the token (HTTP 401); check --token, --token-file or ZYNC_TOKEN.' },
    ],
    ['a daemon stopping is a lost connection', 1001, 'zync-daemon is shutting down', { code: 'CONNECTION_FAILED', message: 'The daemon at ws://localhost:8000 closed the connection: zync-daemon is shutting down.' }],
  ])('%s', (_why, code, reason, expected) => {
    expect(whyClosed(url, code, reason)).toMatchObject(expected);
  });
});
