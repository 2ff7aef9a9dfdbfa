// One WebSocket session with the daemon. Owns: the upgrade (Bearer token, error mapping to
// stable codes), HELLO and the protocol check, request ids and pipelining (responses matched by
// id, validated with the common schemas), GET_FILE streaming into a caller's sink with
// backpressure (the socket is paused once too much has arrived since the oldest received chunk
// still waiting for its sink),
// request bodies sent as binary frames with backpressure, CHANGES_AVAILABLE pushes, the
// heartbeat (startHeartbeat: a daemon silent for two intervals is dropped, so a stalled tunnel is
// noticed in seconds) and TLS trust for wss:// (--ca). It must not decide anything about files,
// state or retries: callers do.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import WebSocket from 'ws';
import {
  CHUNK_BYTES,
  CLOSE_TOKEN_REVOKED,
  ChangesAvailablePush,
  ErrorResponse,
  FileEndResponse,
  GetFilesResponse,
  IncomingEnvelope,
  MAX_BATCH_BYTES,
  MAX_BATCH_FILE_BYTES,
  MAX_FRAME_BYTES,
  MAX_REQUEST_ID,
  PROTOCOL_VERSION,
  RESPONSE_FOR,
  SUPPORTED_PROTOCOLS,
  ZyncError,
  decodeBinaryFrame,
  encodeBinaryFrame,
  inertLine,
  startHeartbeat,
  type BatchedFile,
  type FileEndResponse as FileEnd,
  type GetFileHeader,
  type HelloResponse,
  type Logger,
  type Operation,
  type RequestFor,
  type ResponseFor,
} from '@zync/common';
import { takeBuffer } from './batch-buffers.js';
import { YOUNG_GC_BYTES, noteReceivedBytes } from './young-gc.js';

export interface ConnectionOptions {
  /** Sent as `Authorization: Bearer <token>`; never logged. */
  token?: string | undefined;
  /** The client id sent in HELLO (stable per client database). */
  clientId: string;
  /**
   * Asked at each open: the sequence whose run HELLO asks about (`run_of`), R's stored position's
   * (core/start-position.ts); undefined: none asked.
   */
  runOf?: (() => number | undefined) | undefined;
  logger?: Logger | undefined;
  /** Gives up on the TCP connect + upgrade + HELLO after this long. Default 15 s. */
  connectTimeoutMs?: number;
  /** Stops an open still under way (the handshake, HELLO) at once: Ctrl-C need not wait out the timeout. */
  signal?: AbortSignal | undefined;
  /** Ping interval (default HEARTBEAT_INTERVAL_MS); a daemon silent for two intervals is dropped. */
  heartbeatMs?: number;
  /** For wss://: trust this CA or self-signed certificate (PEM) instead of Node's built-in list. */
  ca?: Buffer | undefined;
  /**
   * Content bytes received since the oldest one still waiting for its sink, above which the
   * socket is paused (resumed at half).
   */
  receiveHighWaterBytes?: number;
}

/**
 * The default receiveHighWaterBytes. Below YOUNG_GC_BYTES, with room for the frame WebSocket is
 * still joining: everything a forced young GC finds waiting has been written before the next
 * one, so no received buffer is promoted. At 8 MiB, a disk slower than the network kept more
 * waiting than that; the promoted buffers restarted full GCs every ~8 MiB, and W2 took ~100
 * mark-compacts and twice the CPU (a write slowed by 10 ms: 3.3-3.8 s against 2.1-2.6). The
 * disk's hiccups are absorbed by the direct writer's staging slots instead (direct-write.ts);
 * pausing at 1 MiB without them had left both processes ~45% idle.
 */
export const RECEIVE_HIGH_WATER_BYTES = YOUNG_GC_BYTES - 1024 * 1024;

/** The request fields of an operation, without the `operation` and `id` the connection adds. */
export type RequestFields<O extends Operation> = Omit<RequestFor<O>, 'operation' | 'id'>;

/** Where GET_FILE content goes. Calls are serialised per transfer: open, then writes in order. */
export interface FileSink {
  /** Called once with the validated header before any content (e.g. create the temp file). */
  open(header: GetFileHeader): Promise<void> | void;
  /** One chunk of content; the next write waits for this promise. */
  write(chunk: Buffer): Promise<void> | void;
}

export interface FileTransfer {
  header: GetFileHeader;
  trailer: FileEnd;
}

/** A GET_FILES answer: each requested path in order; an 'ok' file's bytes are in `content`. */
export type FetchedFile =
  | (Extract<BatchedFile, { status: 'ok' }> & { content: Buffer })
  | Extract<BatchedFile, { status: 'error' }>;

export type PushListener = (push: ChangesAvailablePush) => void;
export type CloseListener = (error: ZyncError) => void;

type Pending =
  | {
      kind: 'request';
      operation: Operation;
      resolve: (value: unknown) => void;
      reject: (err: ZyncError) => void;
    }
  | {
      kind: 'file';
      what: string;
      sink: FileSink;
      header: GetFileHeader | null;
      /** Where R asked the frames to start (a resumed download); the header says where they do. */
      offset: number;
      /** Bytes of the file accounted for: the header's offset, then each frame's. */
      received: number;
      /** Serialises sink calls; rejects if the sink failed. */
      chain: Promise<void>;
      sinkError: unknown;
      resolve: (value: FileTransfer) => void;
      reject: (err: unknown) => void;
    }
  | {
      kind: 'files';
      baseDir: string;
      paths: readonly string[];
      /** The validated answer, kept until the frames of its files have arrived. */
      answer: GetFilesResponse | null;
      /** Content of the answer's files so far, in order (empty files need no frame). */
      contents: Buffer[];
      /** All the answer's content, gathered from its frames (batch-buffers.ts), and bytes filled. */
      data: Buffer;
      filled: number;
      /** Index in answer.files of the file the next frame belongs to. */
      next: number;
      resolve: (value: FetchedFile[]) => void;
      reject: (err: ZyncError) => void;
    };

const CLOSE_NORMAL = 1000;
/** How long a request refused after the daemon's close frame waits for the close's reason. */
const CLOSING_WAIT_MS = 1000;
const EMPTY = Buffer.alloc(0);

/** TLS verification failures (OpenSSL's names, as Node reports them) and what they mean. */
const UNTRUSTED_CERTIFICATE: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'a self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'a self-signed certificate in its chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'a certificate signed by an unknown authority',
  UNABLE_TO_GET_ISSUER_CERT: 'a certificate signed by an unknown authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'a certificate signed by an unknown authority',
  CERT_SIGNATURE_FAILURE: 'a certificate whose signature does not verify',
  CERT_UNTRUSTED: 'an untrusted certificate',
  CERT_REJECTED: 'a rejected certificate',
  CERT_HAS_EXPIRED: "a certificate that has expired (or this machine's clock is wrong)",
  CERT_NOT_YET_VALID: "a certificate that is not valid yet (or this machine's clock is wrong)",
};

/** What to check when something other than the daemon answers: --server names a wrong port, say. */
const CHECK_SERVER = "is --server the daemon's address and port?";

/**
 * --server as given, with the port it goes to when it names none: `ws://127.0.0.1` dials port 80
 * (wss:// 443), which a user who meant the daemon's 8000 does not guess from the address alone.
 * Every line that names the daemon's address says it this way, before and after connecting.
 */
export function serverShown(url: string): string {
  try {
    // As Node dials it: `ws:host:8000` and `ws:\\host:8000` name a port too.
    const parsed = new URL(url);
    const dialled = parsed.protocol === 'wss:' ? 443 : 80;
    // The parser drops a default port given explicitly (ws://h:80): the text still shows it.
    const named = parsed.port !== '' || new RegExp(`:${dialled}(?:[/?#]|$)`).test(url);
    return named ? url : `${url} (port ${dialled})`;
  } catch {
    return url;
  }
}

/**
 * Maps a failed upgrade / socket error to a sentence the user can act on. `answersTls`: whether a
 * TLS handshake at the same address got an answer (probeTls), for a connection reset while opening.
 */
export function connectError(url: string, err: unknown, timeoutMs?: number, answersTls?: boolean): ZyncError {
  if (err instanceof ZyncError) return err;
  const at = serverShown(url);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  // Node's HTTP parser (HPE_*): an SSH server or another protocol answered.
  if (code?.startsWith('HPE_')) {
    return new ZyncError('CONNECTION_FAILED', `Cannot reach the daemon at ${at}: what answers there does not speak HTTP; ${CHECK_SERVER}`, { cause: err });
  }
  // ws names its handshake timeout by this message only.
  if (timeoutMs !== undefined && err instanceof Error && err.message === 'Opening handshake has timed out') {
    return new ZyncError(
      'CONNECTION_FAILED',
      `Cannot reach the daemon at ${at}: no answer to the WebSocket handshake within ${timeoutMs / 1000} s; ${CHECK_SERVER}`,
      { cause: err },
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    // --ca cannot help here (the certificate may well be trusted): the name in --server is not one
    // the certificate was made for.
    const host = new URL(url).hostname;
    const names = (err as { cert?: { subjectaltname?: unknown } }).cert?.subjectaltname;
    const holds = typeof names === 'string' && names !== '' ? `is for ${names}, not ${host}` : `is not for ${host}`;
    return new ZyncError(
      'UNAUTHORIZED',
      `The daemon at ${at} presented a certificate that ${holds}; give --server a name the certificate holds, or give the daemon a certificate whose subjectAltName holds ${host}.`,
      { cause: err },
    );
  }
  const untrusted = code === undefined ? undefined : UNTRUSTED_CERTIFICATE[code];
  if (untrusted !== undefined) {
    // Not retried (UNAUTHORIZED is fatal): the daemon could not prove who it is.
    return new ZyncError(
      'UNAUTHORIZED',
      `The daemon at ${at} presented ${untrusted}, which this client does not trust; pass the daemon's certificate or its CA with --ca FILE.`,
      { cause: err },
    );
  }
  if (code === 'EPROTO' || code?.startsWith('ERR_SSL_')) {
    return new ZyncError(
      'CONNECTION_FAILED',
      `Cannot reach the daemon at ${at}: the TLS handshake failed (does the daemon serve wss:// with --tls-cert?).`,
      { cause: err },
    );
  }
  const reason =
    code === 'ECONNREFUSED'
      ? 'connection refused; is the daemon running and the tunnel up?'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? `host ${new URL(url).hostname} not found; check the name in --server (through an SSH tunnel it is localhost, and the tunnel must be up).`
        : code === 'ETIMEDOUT'
          ? 'timed out; is the daemon running and the tunnel up?'
          : code === 'ECONNRESET'
            ? timeoutMs === undefined
              ? 'connection reset; is the daemon running and the tunnel up?'
              : // Closed before any answer: a daemon serving wss:// does this to a ws:// handshake, and so
                // does an SSH tunnel whose far end has nothing listening. Only a TLS answer tells them apart.
                answersTls === true && new URL(url).protocol === 'ws:'
                ? 'connection reset, and what answers there speaks TLS; the daemon serves wss:// (--tls-cert): give --server a wss:// address.'
                : "the connection was accepted, then closed before any answer: through an SSH tunnel, the tunnel is up but nothing answers at E's end; is zync-daemon running on E?"
            : err instanceof Error
              ? err.message
              : String(err);
  return new ZyncError('CONNECTION_FAILED', `Cannot reach the daemon at ${at}: ${reason}`, { cause: err });
}

/** How long probeTls waits for a TLS answer at most: a reply on a reachable port takes milliseconds. */
const TLS_PROBE_MS = 3000;

/**
 * Whether a TLS handshake at a ws:// address gets an answer: after a connection reset before any
 * reply, the one thing that tells a daemon serving wss:// from a tunnel with nothing at its end.
 * Nothing is sent over it (no token), so the certificate need not be trusted.
 */
export function probeTls(url: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port === '' ? 80 : Number(parsed.port);
  return new Promise<boolean>((resolve) => {
    const socket = connectTls({ host, port, rejectUnauthorized: false, ...(isIP(host) === 0 ? { servername: host } : {}) });
    const done = (answered: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(answered);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(onAbort, Math.min(timeoutMs, TLS_PROBE_MS));
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

export class Connection {
  readonly url: string;
  /** The daemon's HELLO answer (log_id, dirs, sequences). */
  hello!: HelloResponse;

  private readonly ws: WebSocket;
  private readonly log: Logger | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly pushListeners = new Set<PushListener>();
  private readonly closeListeners = new Set<CloseListener>();
  private nextId = 1;
  private closeError: ZyncError | null = null;
  private stopHeartbeat: (() => void) | null = null;
  /** Streamed content bytes received so far: the count young-gc.ts forces its GCs on. */
  private streamed = 0;
  /**
   * The chunks a sink has not given back, by a serial number, oldest first: where each starts in
   * `streamed`. The socket pauses on how much has arrived since the oldest, not on how much
   * waits: one file's chunks held up by its disk (a direct writer, say) while other files'
   * bytes flow past would otherwise outlive two forced young GCs and be promoted.
   */
  private readonly waitingChunks = new Map<number, number>();
  private nextChunk = 0;
  private readonly receiveHighWater: number;
  /** Content received on this connection so far (what a progress line shows). */
  readonly received = { files: 0, bytes: 0 };

  /** Whether reading is paused because received content waits for its sinks. */
  get readingPaused(): boolean {
    return this.ws.isPaused;
  }

  private constructor(url: string, ws: WebSocket, socket: Socket, options: ConnectionOptions) {
    this.url = url;
    this.ws = ws;
    this.log = options.logger;
    this.receiveHighWater = options.receiveHighWaterBytes ?? RECEIVE_HIGH_WATER_BYTES;
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', (code, reason) => this.shutdown(whyClosed(url, code, reason.toString())));
    ws.on('error', (err) => this.log?.debug({ err: err.message }, 'socket error'));
    this.stopHeartbeat = startHeartbeat({
      ping: () => ws.ping(),
      isPaused: () => ws.isPaused,
      socket,
      ...(options.heartbeatMs === undefined ? {} : { intervalMs: options.heartbeatMs }),
      onDead: (silentMs) => {
        this.log?.warn(`the daemon went silent for ${(silentMs / 1000).toFixed(1)} s (missed heartbeats); dropping the connection`);
        this.shutdown(new ZyncError('CONNECTION_FAILED', `The daemon at ${serverShown(url)} stopped answering heartbeats.`));
        ws.terminate();
      },
    });
  }

  /**
   * Connects, authenticates and sends HELLO. Rejects with ZyncError: UNAUTHORIZED (HTTP 401),
   * CONNECTION_FAILED (unreachable, timeout, closed), INCOMPATIBLE_PROTOCOL, BAD_ARGUMENT (bad URL).
   */
  static async open(url: string, options: ConnectionOptions): Promise<Connection> {
    checkServerUrl(url);
    const timeoutMs = options.connectTimeoutMs ?? 15_000;
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const ws = new WebSocket(url, {
      headers,
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
      ...(options.ca ? { ca: options.ca } : {}),
    });
    let socket: Socket | null = null;
    ws.once('upgrade', (res) => (socket = res.socket));
    const at = serverShown(url);
    const stopped = () => new ZyncError('CONNECTION_FAILED', `Stopped while connecting to ${at}.`);
    const { signal } = options;
    let onAbort: () => void = () => undefined;
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (err: ZyncError) => {
        // A probe after the error may end after Ctrl-C has already failed the open.
        if (failed) return;
        failed = true;
        signal?.removeEventListener('abort', onAbort);
        ws.removeAllListeners();
        ws.on('error', () => undefined);
        ws.terminate();
        reject(err);
      };
      onAbort = () => fail(stopped());
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      ws.once('open', () => {
        signal?.removeEventListener('abort', onAbort);
        ws.removeAllListeners();
        resolve();
      });
      ws.once('unexpected-response', (_req, res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        if (status === 401 || status === 403) {
          fail(refusedTokenError(url, status));
        } else {
          fail(new ZyncError('CONNECTION_FAILED', `Cannot reach the daemon at ${at}: the server there answered HTTP ${status} instead of a WebSocket upgrade; ${CHECK_SERVER}`));
        }
      });
      ws.once('error', (err) => {
        if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET' || new URL(url).protocol !== 'ws:') return fail(connectError(url, err, timeoutMs));
        // The 'close' that follows at once would otherwise answer before the probe.
        ws.removeAllListeners('close');
        void probeTls(url, timeoutMs, signal).then((answersTls) => fail(connectError(url, err, timeoutMs, answersTls)));
      });
      ws.once('close', () => fail(new ZyncError('CONNECTION_FAILED', `The connection to ${at} closed during the handshake.`)));
    });
    if (socket === null) {
      ws.terminate();
      throw new ZyncError('INTERNAL', `The connection to ${at} opened without a socket.`);
    }
    const connection = new Connection(url, ws, socket, options);
    const timer = setTimeout(() => {
      connection.shutdown(new ZyncError('CONNECTION_FAILED', `The daemon at ${at} did not answer HELLO within ${timeoutMs} ms.`));
    }, timeoutMs);
    onAbort = () => connection.shutdown(stopped());
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const runOf = options.runOf?.();
      const hello = await connection.request('HELLO', { client_id: options.clientId, protocol: PROTOCOL_VERSION, ...(runOf === undefined ? {} : { run_of: runOf }) });
      if (!SUPPORTED_PROTOCOLS.includes(hello.protocol)) {
        throw new ZyncError(
          'INCOMPATIBLE_PROTOCOL',
          `The daemon speaks protocol ${hello.protocol}; this client speaks ${SUPPORTED_PROTOCOLS.join(', ')}. Install matching versions on both machines.`,
        );
      }
      connection.hello = hello;
      return connection;
    } catch (err) {
      const error =
        err instanceof ZyncError && err.code === 'INCOMPATIBLE_PROTOCOL' && !err.message.startsWith('The daemon speaks')
          ? new ZyncError('INCOMPATIBLE_PROTOCOL', `The daemon at ${at} speaks an incompatible protocol: ${err.message}`)
          : err instanceof ZyncError
            ? err
            : connectError(url, err, timeoutMs);
      connection.shutdown(error);
      throw error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Sends a request and resolves with its validated success response (GET_FILE(S): use getFile(s)). */
  request<O extends Exclude<Operation, 'GET_FILE' | 'GET_FILES'>>(operation: O, fields: RequestFields<O>): Promise<ResponseFor<O>> {
    return new Promise<ResponseFor<O>>((resolve, reject) => {
      const id = this.register({
        kind: 'request',
        operation,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      if (id === null) return;
      this.sendJson({ ...fields, operation, id }, id);
    });
  }

  /**
   * Downloads one file: the header goes to sink.open, content to sink.write (in order), and the
   * promise resolves with header and trailer once FILE_END has arrived and every write finished.
   * With an offset the daemon may resume there: the header's offset (0 or this one) tells the
   * sink where the content it gets starts.
   * Rejects with ZyncError (FILE_CHANGED, NOT_FOUND, UNSAFE_PATH, ... or CONNECTION_FAILED), or
   * with the sink's own error. Verifying the checksum is the caller's job (the writer hashes).
   */
  getFile(baseDir: string, path: string, sink: FileSink, offset = 0): Promise<FileTransfer> {
    return new Promise<FileTransfer>((resolve, reject) => {
      const id = this.register({
        kind: 'file',
        what: `${baseDir}/${path}`,
        sink,
        header: null,
        offset,
        received: 0,
        chain: Promise.resolve(),
        sinkError: undefined,
        resolve,
        reject,
      });
      if (id === null) return;
      this.sendJson({ operation: 'GET_FILE', id, base_dir: baseDir, path, ...(offset > 0 ? { offset } : {}) }, id);
    });
  }

  /**
   * Downloads small files of one base_dir in one round trip (GET_FILES): resolves with one
   * result per path, in order, once the content frame has arrived and matched the answer.
   * Checksums are the caller's to verify. The contents share one buffer from batch-buffers.ts,
   * which the caller may hand on. Rejects with ZyncError for the request as a whole.
   */
  getFiles(baseDir: string, paths: readonly string[]): Promise<FetchedFile[]> {
    return new Promise<FetchedFile[]>((resolve, reject) => {
      const id = this.register({ kind: 'files', baseDir, paths, answer: null, contents: [], data: EMPTY, filled: 0, next: 0, resolve, reject });
      if (id === null) return;
      this.sendJson({ operation: 'GET_FILES', id, base_dir: baseDir, paths }, id);
    });
  }

  /**
   * Sends a request followed by its body as binary frames tagged with the request's id (e.g.
   * UPSTREAM_FILE), waiting on the socket's send callbacks so at most a few MiB are queued.
   * Resolves with the validated response. If the response (e.g. an error) arrives before the
   * body is sent, sending stops. The caller makes the body match the size it declared.
   */
  requestWithBody<O extends Exclude<Operation, 'GET_FILE' | 'GET_FILES'>>(
    operation: O,
    fields: RequestFields<O>,
    body: AsyncIterable<Uint8Array>,
  ): Promise<ResponseFor<O>> {
    let settled = false;
    const response = new Promise<ResponseFor<O>>((resolve, reject) => {
      const id = this.register({
        kind: 'request',
        operation,
        resolve: (value) => {
          settled = true;
          resolve(value as ResponseFor<O>);
        },
        reject: (err) => {
          settled = true;
          reject(err);
        },
      });
      if (id === null) return;
      this.sendJson({ ...fields, operation, id }, id);
      void this.sendBody(id, body, () => settled).catch((err: unknown) => {
        const entry = this.pending.get(id);
        if (entry) {
          this.pending.delete(id);
          settled = true;
          reject(err);
        }
      });
    });
    return response;
  }

  /** Called for every CHANGES_AVAILABLE push; returns an unsubscribe function. */
  onPush(listener: PushListener): () => void {
    this.pushListeners.add(listener);
    return () => this.pushListeners.delete(listener);
  }

  /** Called once when the connection ends for any reason (including close()). */
  onClose(listener: CloseListener): () => void {
    if (this.closeError) {
      const err = this.closeError;
      queueMicrotask(() => listener(err));
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  get isOpen(): boolean {
    return this.closeError === null;
  }

  /** Number of requests and transfers awaiting an answer. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Closes the socket; pending requests reject with CONNECTION_FAILED. */
  async close(): Promise<void> {
    if (this.closeError) return;
    const closed = new Promise<void>((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) resolve();
      else this.ws.once('close', () => resolve());
    });
    this.ws.close(CLOSE_NORMAL, 'client closing');
    const timer = setTimeout(() => this.ws.terminate(), 2000);
    this.shutdown(new ZyncError('CONNECTION_FAILED', 'The connection was closed by the client.'));
    await closed;
    clearTimeout(timer);
  }

  // ---- internals ----

  private register(entry: Pending): number | null {
    if (this.closeError) {
      entry.reject(this.closeError);
      return null;
    }
    let id = this.nextId;
    while (this.pending.has(id)) id = id >= MAX_REQUEST_ID ? 1 : id + 1;
    this.nextId = id >= MAX_REQUEST_ID ? 1 : id + 1;
    this.pending.set(id, entry);
    return id;
  }

  private sendJson(message: Record<string, unknown>, id: number): void {
    this.ws.send(JSON.stringify(message), (err) => {
      if (!err) return;
      // Refused because the daemon's close frame came in: the 'close' event, a round trip later,
      // fails the request with the daemon's reason (a token no longer accepted is not a lost
      // connection); a daemon that never completes the close is not waited for long.
      if (this.closeError === null && this.ws.readyState === WebSocket.CLOSING) {
        setTimeout(() => this.failPending(id, this.sendFailure(err)), CLOSING_WAIT_MS).unref();
        return;
      }
      this.failPending(id, this.sendFailure(err));
    });
  }

  /**
   * The error for a send ws refused. From the daemon's close frame (a daemon stopping) until the
   * TCP connection ends and 'close' fires, ws refuses every send with "WebSocket is not open":
   * the daemon was reached and closed the connection, which is not "cannot reach the daemon".
   */
  private sendFailure(err: Error): ZyncError {
    if (this.closeError) return this.closeError;
    if (this.ws.readyState !== WebSocket.OPEN) return new ZyncError('CONNECTION_FAILED', `The daemon at ${serverShown(this.url)} closed the connection.`, { cause: err });
    return connectError(this.url, err);
  }

  /**
   * sendFailure, once the daemon's close frame has had its round trip: as in sendJson, a send
   * refused because the daemon is closing the connection (a rotated token, close 4401) fails with
   * the daemon's reason, not as a lost connection; a daemon that never completes the close is not
   * waited for long.
   */
  private async closingFailure(err: Error): Promise<ZyncError> {
    if (this.closeError === null && this.ws.readyState === WebSocket.CLOSING) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          off();
          resolve();
        }, CLOSING_WAIT_MS);
        const off = this.onClose(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.sendFailure(err);
  }

  private async sendBody(id: number, body: AsyncIterable<Uint8Array>, stop: () => boolean): Promise<void> {
    const highWater = 4 * 1024 * 1024;
    let queued = 0;
    let drained: (() => void) | null = null;
    let sendError: Error | null = null;
    const sendFrame = (payload: Uint8Array) => {
      const frame = encodeBinaryFrame(id, payload);
      queued += frame.length;
      this.ws.send(frame, { binary: true }, (err) => {
        queued -= frame.length;
        if (err) sendError = err;
        if (drained && (queued <= highWater / 2 || sendError)) {
          const wake = drained;
          drained = null;
          wake();
        }
      });
    };
    for await (const chunk of body) {
      for (let offset = 0; offset < chunk.length; offset += CHUNK_BYTES) {
        if (stop() || this.closeError) return;
        if (sendError) throw await this.closingFailure(sendError);
        sendFrame(chunk.subarray(offset, Math.min(chunk.length, offset + CHUNK_BYTES)));
        if (queued > highWater) await new Promise<void>((resolve) => (drained = resolve));
      }
    }
    if (sendError) throw await this.closingFailure(sendError);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.onBinary(data);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data.toString('utf8'));
    } catch {
      this.protocolViolation('a text frame that is not JSON');
      return;
    }
    const envelope = IncomingEnvelope.safeParse(json);
    if (!envelope.success) {
      this.protocolViolation('a message that is neither a response nor a push');
      return;
    }
    if ('operation' in envelope.data && envelope.data.operation === 'CHANGES_AVAILABLE' && !('status' in envelope.data)) {
      const push = ChangesAvailablePush.safeParse(json);
      if (!push.success) {
        this.log?.warn('ignoring a malformed CHANGES_AVAILABLE push');
        return;
      }
      for (const listener of this.pushListeners) listener(push.data);
      return;
    }
    const id = (envelope.data as { id: number | null }).id;
    const entry = id === null ? undefined : this.pending.get(id);
    if (!entry || id === null) {
      const err = ErrorResponse.safeParse(json);
      if (err.success) this.log?.warn({ code: err.data.code }, `the daemon reported: ${err.data.error}`);
      else this.log?.debug({ id }, 'ignoring a response to no pending request');
      return;
    }
    // Only error answers are parsed as errors: a failed safeParse on every success costs more.
    const failure = (json as { status?: unknown }).status === 'error' ? ErrorResponse.safeParse(json) : null;
    if (failure?.success) {
      const error = new ZyncError(failure.data.code, failure.data.error);
      if (entry.kind === 'file') this.finishFile(id, entry, error);
      else {
        this.pending.delete(id);
        entry.reject(error);
      }
      return;
    }
    if (entry.kind === 'files') {
      this.onFilesAnswer(id, entry, json);
      return;
    }
    if (entry.kind === 'request') {
      const parsed = RESPONSE_FOR[entry.operation].safeParse(json);
      this.pending.delete(id);
      if (parsed.success) entry.resolve(parsed.data);
      else entry.reject(new ZyncError('BAD_MESSAGE', `The daemon sent a malformed ${entry.operation} response: ${parsed.error.issues[0]?.message ?? 'invalid'}.`));
      return;
    }
    if (entry.header === null) {
      const header = RESPONSE_FOR.GET_FILE.safeParse(json);
      if (!header.success) {
        this.finishFile(id, entry, new ZyncError('BAD_MESSAGE', `The daemon sent a malformed GET_FILE header for ${entry.what}.`));
        return;
      }
      const from = header.data.offset ?? 0;
      if ((from !== 0 && from !== entry.offset) || from > header.data.size) {
        this.finishFile(id, entry, new ZyncError('BAD_MESSAGE', `The daemon resumed ${entry.what} at ${from}, not where R asked (${entry.offset}).`));
        return;
      }
      entry.header = header.data;
      entry.received = from;
      const sink = entry.sink;
      entry.chain = entry.chain.then(() => sink.open(header.data));
      entry.chain.catch((err: unknown) => (entry.sinkError ??= err ?? new Error('sink failed')));
      return;
    }
    const trailer = FileEndResponse.safeParse(json);
    if (!trailer.success) {
      this.finishFile(id, entry, new ZyncError('BAD_MESSAGE', `The daemon sent a malformed FILE_END for ${entry.what}.`));
      return;
    }
    if (trailer.data.size !== entry.received || trailer.data.size !== entry.header.size) {
      this.finishFile(
        id,
        entry,
        new ZyncError('BAD_MESSAGE', `The daemon sent ${entry.received} bytes for ${entry.what} but announced ${entry.header.size} and ended at ${trailer.data.size}.`),
      );
      return;
    }
    this.received.files++;
    this.finishFile(id, entry, null, { header: entry.header, trailer: trailer.data });
  }

  /** A GET_FILES answer: checked against the request, then complete or waiting for its frame. */
  private onFilesAnswer(id: number, entry: Extract<Pending, { kind: 'files' }>, json: unknown): void {
    const malformed = (why: string) => {
      this.pending.delete(id);
      entry.reject(new ZyncError('BAD_MESSAGE', `The daemon sent a malformed GET_FILES answer for ${entry.baseDir}: ${why}.`));
    };
    if (entry.answer !== null) return malformed('a second answer');
    const parsed = GetFilesResponse.safeParse(json);
    if (!parsed.success) return malformed(parsed.error.issues[0]?.message ?? 'invalid');
    const answer = parsed.data;
    if (answer.files.length !== entry.paths.length || answer.files.some((f, i) => f.path !== entry.paths[i])) {
      return malformed('its files are not the ones requested');
    }
    const sum = answer.files.reduce((total, f) => total + (f.status === 'ok' ? f.size : 0), 0);
    if (sum !== answer.size) return malformed(`it announces ${answer.size} bytes for files of ${sum}`);
    // The buffer for the content is taken now: only what the protocol allows one answer to hold.
    const oversized = answer.files.find((f) => f.status === 'ok' && f.size > MAX_BATCH_FILE_BYTES);
    if (oversized) return malformed(`it lists ${oversized.path} with more than the ${MAX_BATCH_FILE_BYTES} bytes GET_FILES serves`);
    if (answer.size > MAX_BATCH_BYTES) return malformed(`it announces ${answer.size} bytes, more than the ${MAX_BATCH_BYTES} one answer holds`);
    entry.answer = answer;
    if (answer.size > 0) entry.data = takeBuffer(answer.size);
    this.completeFiles(id, entry);
  }

  /** One file's content frame of a GET_FILES answer. */
  private onFilesContent(id: number, entry: Extract<Pending, { kind: 'files' }>, payload: Buffer): void {
    const file = entry.answer?.files[entry.next];
    if (file?.status !== 'ok' || file.size !== payload.length) {
      this.pending.delete(id);
      const what = file ? `${entry.baseDir}/${file.path}` : `a GET_FILES answer for ${entry.baseDir}`;
      entry.reject(new ZyncError('BAD_MESSAGE', `The daemon sent a content frame of ${payload.length} bytes that does not belong to ${what}.`));
      return;
    }
    payload.copy(entry.data, entry.filled);
    this.received.bytes += payload.length;
    entry.contents.push(entry.data.subarray(entry.filled, entry.filled + payload.length));
    entry.filled += payload.length;
    entry.next++;
    this.completeFiles(id, entry);
  }

  /** Resolves a GET_FILES request once no listed file waits for its frame any more. */
  private completeFiles(id: number, entry: Extract<Pending, { kind: 'files' }>): void {
    const files = entry.answer!.files;
    // Files that need no frame (errors, empty files) are passed over.
    while (entry.next < files.length) {
      const file = files[entry.next]!;
      if (file.status === 'ok' && file.size > 0) break;
      entry.contents.push(EMPTY);
      entry.next++;
    }
    if (entry.next < files.length) return;
    this.pending.delete(id);
    for (const file of files) if (file.status === 'ok') this.received.files++;
    entry.resolve(files.map((f, i) => (f.status === 'ok' ? { ...f, content: entry.contents[i]! } : f)));
  }

  private onBinary(data: Buffer): void {
    const frame = decodeBinaryFrame(data);
    if (!frame) {
      this.protocolViolation('a binary frame without a request id');
      return;
    }
    const pendingFiles = this.pending.get(frame.id);
    if (pendingFiles?.kind === 'files') {
      this.onFilesContent(frame.id, pendingFiles, frame.payload);
      return;
    }
    const entry = this.pending.get(frame.id);
    if (!entry || entry.kind !== 'file' || entry.header === null) {
      this.log?.debug({ id: frame.id }, 'ignoring content for no open transfer');
      return;
    }
    entry.received += frame.payload.length;
    if (entry.received > entry.header.size) {
      this.finishFile(frame.id, entry, new ZyncError('BAD_MESSAGE', `The daemon sent more than the announced ${entry.header.size} bytes for ${entry.what}.`));
      return;
    }
    if (entry.sinkError !== undefined) return; // finishFile reports it once FILE_END arrives
    const payload = frame.payload;
    const sink = entry.sink;
    const chunk = this.nextChunk++;
    this.waitingChunks.set(chunk, this.streamed);
    this.streamed += payload.length;
    if (this.sinceOldestWaiting() > this.receiveHighWater && !this.ws.isPaused) this.ws.pause();
    noteReceivedBytes(payload.length);
    this.received.bytes += payload.length;
    entry.chain = entry.chain
      .then(() => sink.write(payload))
      .finally(() => {
        this.waitingChunks.delete(chunk);
        if (this.ws.isPaused && this.sinceOldestWaiting() <= this.receiveHighWater / 2) this.ws.resume();
      });
    entry.chain.catch((err: unknown) => (entry.sinkError ??= err ?? new Error('sink failed')));
  }

  /** Streamed bytes received since the oldest chunk a sink has not given back (0 when none waits). */
  private sinceOldestWaiting(): number {
    for (const start of this.waitingChunks.values()) return this.streamed - start;
    return 0;
  }

  /** Settles a transfer after its queued sink calls finished (or failed). */
  private finishFile(id: number, entry: Extract<Pending, { kind: 'file' }>, error: unknown, result?: FileTransfer): void {
    this.pending.delete(id);
    entry.chain.then(
      () => (error === null && result ? entry.resolve(result) : entry.reject(error)),
      (sinkErr: unknown) => entry.reject(error ?? sinkErr),
    );
  }

  private failPending(id: number, err: ZyncError): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    if (entry.kind === 'file') this.finishFile(id, entry, err);
    else {
      this.pending.delete(id);
      entry.reject(err);
    }
  }

  private protocolViolation(what: string): void {
    this.log?.error(`the daemon sent ${what}; closing the connection`);
    this.shutdown(new ZyncError('BAD_MESSAGE', `The daemon sent ${what}.`));
    this.ws.terminate();
  }

  private shutdown(err: ZyncError): void {
    if (this.closeError) return;
    this.closeError = err;
    this.stopHeartbeat?.();
    this.stopHeartbeat = null;
    if (this.ws.isPaused) this.ws.resume();
    for (const id of [...this.pending.keys()]) this.failPending(id, err);
    for (const listener of this.closeListeners) listener(err);
    this.closeListeners.clear();
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(CLOSE_NORMAL);
  }
}

/** The one sentence for a token the daemon refuses: at the upgrade (HTTP 401/403), or later (CLOSE_TOKEN_REVOKED). */
function refusedTokenError(url: string, status: number): ZyncError {
  return new ZyncError('UNAUTHORIZED', `The daemon at ${serverShown(url)} refused the token (HTTP ${status}); check --token, --token-file or ZYNC_TOKEN.`);
}

/**
 * Why an open connection ended: the daemon no longer accepting this connection's token (its token
 * was rotated) is a refused token, as at the upgrade; anything else, CONNECTION_FAILED.
 */
export function whyClosed(url: string, code: number, reason: string): ZyncError {
  if (code === CLOSE_TOKEN_REVOKED) return refusedTokenError(url, 401);
  return new ZyncError('CONNECTION_FAILED', describeClose(url, code, reason));
}

/**
 * Why an open connection ended, in words: a WebSocket close code alone ("closed (1006)") tells a
 * user nothing. The reason is the daemon's text, shown inert.
 */
export function describeClose(url: string, code: number, reason: string): string {
  const at = serverShown(url);
  if (reason !== '') return `The daemon at ${at} closed the connection: ${inertLine(reason)}.`;
  // 1006: the TCP connection ended without a closing handshake.
  if (code === 1006) return `The connection to the daemon at ${at} was cut (the daemon stopped, or the network or tunnel dropped).`;
  return `The daemon at ${at} closed the connection (WebSocket code ${code}).`;
}

/** The --ca file's content; BAD_ARGUMENT when it cannot be read or the URL is not wss://. */
export async function readCaFile(path: string | undefined, url: string): Promise<Buffer | undefined> {
  if (path === undefined) return undefined;
  if (!url.startsWith('wss://')) {
    throw new ZyncError('BAD_ARGUMENT', `--ca applies to wss:// addresses only; ${url} is not encrypted.`);
  }
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (err) {
    throw new ZyncError('BAD_ARGUMENT', `The CA file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  checkCaContent(content, path);
  return content;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * TLS takes only PEM certificates from `ca` and silently skips anything else, so a wrong file
 * would surface later as "a self-signed certificate, which this client does not trust", blaming
 * the daemon. Every certificate block must parse, and there must be one.
 */
export function checkCaContent(content: Buffer, path: string): void {
  const text = content.toString('latin1');
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    const hint = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)
      ? ' it holds a private key; give the certificate instead (the key stays on E)'
      : ' give the daemon\'s certificate (its --tls-cert file) or its CA\'s, in PEM';
    throw new ZyncError('BAD_ARGUMENT', `The CA file ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----):${hint}.`);
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new ZyncError('BAD_ARGUMENT', `The CA file ${path} holds a certificate that cannot be read (${err instanceof Error ? err.message : String(err)}).`);
    }
  }
}

/**
 * url with everything between its scheme and its last `@` masked. Node's parser takes
 * `ws:user:pw@host` and `ws:\\user:pw@host` as credentials too, and a password holding `#`, `?`
 * or `/` makes no URL at all: so this goes by the last `@`, not by what parses.
 */
export function withoutCredentials(url: string): string {
  const at = url.lastIndexOf('@');
  if (at < 0) return url;
  const scheme = /^[a-z][a-z0-9+.-]*:[\\/]*/i.exec(url)?.[0] ?? '';
  return `${scheme}…${url.slice(at)}`;
}

/**
 * Throws BAD_ARGUMENT unless url is a ws:// or wss:// URL without a user name or password: zync
 * authenticates with its token, and the address appears in every connection error, where a
 * password must not. Nor does it appear in these messages.
 */
export function checkServerUrl(url: string): void {
  const shown = withoutCredentials(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ZyncError('BAD_ARGUMENT', `Server address ${JSON.stringify(shown)} is not a URL (for example ws://localhost:8000).`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new ZyncError('BAD_ARGUMENT', `Server address ${shown} must start with ws:// or wss:// (for example ws://localhost:8000).`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ZyncError('BAD_ARGUMENT', `Server address ${shown} must not carry a user name or password; zync authenticates with --token, --token-file or ZYNC_TOKEN.`);
  }
}
