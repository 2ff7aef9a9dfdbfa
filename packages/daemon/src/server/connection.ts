// One authenticated WebSocket: reads frames, validates them (parseRequest), dispatches them and
// writes the answers. Store questions are answered at once; GET_FILE and GET_FILES transfers run
// a few at a time per connection with the rest queued, and the socket stops being read while the queue is
// long (backpressure instead of unbounded buffering). Upstream requests and binary frames go to
// the UpstreamPort, opened after HELLO. Any failure in one request is answered as an error with a
// stable code for that id; the connection and the daemon carry on.
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { decodeBinaryFrame, isZyncError, ZyncError, type GetFileRequest, type GetFilesRequest, type Logger } from '@zync/common';
import { handleAck, handleGetChanges, handleGetLastSequence, handleHello, handlePing, type HandlerContext, type Session } from './handlers.js';
import { errorResponse, parseRequest } from './parse-request.js';
import { sendFile, type FileSink } from './send-file.js';
import { sendFiles } from './send-files.js';
import type { UpstreamConnection, UpstreamPort } from './upstream-port.js';

/** GET_FILE / GET_FILES transfers streaming at once per connection. */
const ACTIVE_TRANSFERS = 4;
/** Queued transfer requests above which the socket is no longer read. */
const QUEUE_HIGH = 256;
const QUEUE_LOW = 64;

export interface ConnectionDeps extends HandlerContext {
  upstream: UpstreamPort | undefined;
  log: Logger;
}

export class Connection {
  private readonly ws: WebSocket;
  private readonly deps: ConnectionDeps;
  private readonly log: Logger;
  private readonly session: Session = { clientId: null };
  private readonly queue: (GetFileRequest | GetFilesRequest)[] = [];
  private active = 0;
  private pauses = 0;
  private queuePaused = false;
  private upstream: UpstreamConnection | null = null;
  private closed = false;

  /** The socket under ws, to send the frames of one answer in one write (cork). */
  private readonly socket: Duplex;

  constructor(ws: WebSocket, socket: Duplex, deps: ConnectionDeps, log: Logger) {
    this.ws = ws;
    this.socket = socket;
    this.deps = deps;
    this.log = log;
    ws.on('message', (data, isBinary) => {
      // Closing (an evicted token, a daemon stopping): what still arrives is not served.
      if (!this.isOpen) return;
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (isBinary) this.onBinary(buffer);
      else this.onText(buffer.toString('utf8'));
    });
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => this.log.debug({ err: err.message }, 'socket error'));
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  send(msg: object): void {
    if (this.isOpen) this.ws.send(JSON.stringify(msg));
  }

  private fail(id: number | null, err: unknown): void {
    const full = isZyncError(err) ? null : (this.deps.stateDisk?.failed(err) ?? null);
    if (full) {
      this.send(errorResponse(id, full.code, full.message));
    } else if (isZyncError(err)) {
      this.send(errorResponse(id, err.code, err.message));
    } else {
      this.log.error({ err: err instanceof Error ? (err.stack ?? err.message) : String(err), id }, 'request failed');
      this.send(errorResponse(id, 'INTERNAL', 'The daemon failed to answer this request; see its log.'));
    }
  }

  private onText(text: string): void {
    const parsed = parseRequest(text);
    if (!parsed.ok) {
      this.log.debug({ code: parsed.error.code, id: parsed.error.id }, 'bad request');
      this.send(parsed.error);
      return;
    }
    const req = parsed.request;
    try {
      switch (req.operation) {
        case 'PING':
          return this.send(handlePing(this.deps, req));
        case 'HELLO': {
          const hello = handleHello(this.deps, this.session, req);
          // Staging takes UPSTREAM_FILE's from_e wherever it stages at all.
          const response = this.deps.upstream ? { ...hello, upstream_from_e: true } : hello;
          this.log.info({ client_id: req.client_id }, 'client said hello');
          return this.send(response);
        }
        case 'GET_LAST_SEQUENCE':
          return this.send(handleGetLastSequence(this.deps, req));
        case 'GET_CHANGES':
          return this.send(handleGetChanges(this.deps, req));
        case 'ACK_CHANGES':
          return this.send(handleAck(this.deps, this.session, req));
        case 'GET_FILE':
        case 'GET_FILES':
          this.queue.push(req);
          if (this.queue.length > QUEUE_HIGH && !this.queuePaused) {
            this.queuePaused = true;
            this.pause();
          }
          return this.pump();
        case 'PREPARE_UPSTREAM':
        case 'UPSTREAM_FILE':
        case 'DROP_UPSTREAM_FILE':
        case 'FINALIZE_UPSTREAM':
          return this.openUpstream(req.id)?.handleRequest(req);
        case 'UPSTREAM_STATUS':
          if (this.session.clientId === null) throw new ZyncError('HELLO_REQUIRED', 'Send HELLO with a client_id before UPSTREAM_STATUS.');
          if (!this.deps.upstream) throw new ZyncError('UPSTREAM_STATE', 'Upstream staging is not available in this daemon.');
          return this.send({ id: req.id, status: 'ok', sessions: this.deps.upstream.sessionStates(this.session.clientId, req.staging_ids) });
      }
    } catch (err) {
      this.fail(req.id, err);
    }
  }

  private openUpstream(id: number): UpstreamConnection | null {
    if (this.upstream) return this.upstream;
    if (this.session.clientId === null) {
      this.send(errorResponse(id, 'HELLO_REQUIRED', 'Send HELLO with a client_id before upstream operations.'));
      return null;
    }
    if (!this.deps.upstream) {
      this.send(errorResponse(id, 'UPSTREAM_STATE', 'Upstream staging is not available in this daemon.'));
      return null;
    }
    this.upstream = this.deps.upstream.openConnection({
      clientId: this.session.clientId,
      send: (msg) => this.send(msg),
      pause: () => this.pause(),
      resume: () => this.resume(),
      log: this.log,
    });
    return this.upstream;
  }

  private onBinary(frame: Buffer): void {
    const decoded = decodeBinaryFrame(frame);
    if (!decoded) {
      this.send(errorResponse(null, 'BAD_MESSAGE', 'A binary frame must start with a 4-byte request id.'));
      return;
    }
    try {
      if (this.upstream?.handleBinary(decoded.id, decoded.payload)) return;
      this.send(errorResponse(decoded.id, 'UPSTREAM_STATE', `No upload is open for request id ${decoded.id}.`));
    } catch (err) {
      this.fail(decoded.id, err);
    }
  }

  private pump(): void {
    while (this.active < ACTIVE_TRANSFERS && this.queue.length > 0 && this.isOpen) {
      const req = this.queue.shift()!;
      this.active++;
      const transfer = req.operation === 'GET_FILE' ? sendFile(this.deps, this.sink, req) : Promise.resolve().then(() => sendFiles(this.deps, this.sink, req));
      transfer
        .catch((err: unknown) => this.fail(req.id, err))
        .finally(() => {
          this.active--;
          if (this.queuePaused && this.queue.length <= QUEUE_LOW) {
            this.queuePaused = false;
            this.resume();
          }
          this.pump();
        });
    }
  }

  private readonly sink: FileSink = {
    sendJson: (msg) => this.send(msg),
    sendFrame: (frame) =>
      new Promise<void>((resolve) => {
        if (!this.isOpen) return resolve();
        this.ws.send(frame, { binary: true }, () => resolve());
      }),
    isOpen: () => this.isOpen,
    backlog: () => this.ws.bufferedAmount,
    corked: (send) => {
      this.socket.cork();
      try {
        send();
      } finally {
        this.socket.uncork();
      }
    },
  };

  private pause(): void {
    if (this.pauses++ === 0) this.ws.pause();
  }

  private resume(): void {
    if (this.pauses === 0) return;
    if (--this.pauses === 0) this.ws.resume();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    try {
      this.upstream?.close();
    } catch (err) {
      this.log.error({ err: String(err) }, 'upstream close failed');
    }
  }
}
