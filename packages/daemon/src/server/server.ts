// The daemon's WebSocket endpoint: an HTTP server whose upgrades are authenticated before the
// socket opens (Authorization: Bearer, constant-time compare, 401 otherwise), frames limited to
// MAX_FRAME_BYTES (a bigger frame closes that socket with 1009), a heartbeat that drops peers
// that stop answering pings, and the CHANGES_AVAILABLE push to every connected client.
// Owns sockets and timers; requests are handled by Connection.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_FRAME_BYTES, tokensEqual, ZyncError, type ChangesAvailablePush, type Logger } from '@zync/common';
import { Connection, type ConnectionDeps } from './connection.js';

export interface DaemonServerOptions {
  host: string;
  port: number;
  token: string;
  deps: Omit<ConnectionDeps, 'log'>;
  log: Logger;
  /** Ping interval; a peer that misses two pongs in a row is dropped. */
  heartbeatMs?: number;
}

interface Peer {
  ws: WebSocket;
  missedPongs: number;
}

export class DaemonServer {
  readonly port: number;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly peers = new Set<Peer>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly log: Logger;
  private lastPushed = 0;
  private nextPeer = 1;

  private constructor(http: Server, wss: WebSocketServer, options: DaemonServerOptions) {
    this.http = http;
    this.wss = wss;
    this.log = options.log;
    this.port = (http.address() as AddressInfo).port;
    this.lastPushed = options.deps.store.lastSequence();
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs ?? 10_000);
    this.heartbeat.unref();
  }

  /** Starts listening; a port in use or an address that cannot be bound is a BAD_ARGUMENT. */
  static async listen(options: DaemonServerOptions): Promise<DaemonServer> {
    const http = createServer((_req, res) => {
      res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
      res.end('zync-daemon speaks WebSocket only.\n');
    });
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      http.once('error', (err: NodeJS.ErrnoException) => {
        const where = `${options.host}:${options.port}`;
        if (err.code === 'EADDRINUSE') reject(new ZyncError('BAD_ARGUMENT', `Port ${options.port} on ${options.host} is already in use.`));
        else if (err.code === 'EACCES') reject(new ZyncError('BAD_ARGUMENT', `Not allowed to listen on ${where}.`));
        else reject(new ZyncError('BAD_ARGUMENT', `Cannot listen on ${where}: ${err.code ?? err.message}.`));
      });
      http.listen(options.port, options.host, () => resolve());
    });
    const server = new DaemonServer(http, wss, options);
    http.on('upgrade', (req, socket, head) => server.upgrade(req, socket, head, options));
    http.on('error', (err) => options.log.error({ err: err.message }, 'server error'));
    return server;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, options: DaemonServerOptions): void {
    socket.on('error', () => socket.destroy());
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!match || !tokensEqual(match[1]!, options.token)) {
      this.log.warn({ remote }, match ? 'refused a connection with a wrong token' : 'refused a connection without a token');
      socket.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const log = options.log.child({ peer: this.nextPeer++ });
      const peer: Peer = { ws, missedPongs: 0 };
      this.peers.add(peer);
      log.info({ remote }, 'client connected');
      ws.on('pong', () => (peer.missedPongs = 0));
      ws.on('close', (code) => {
        this.peers.delete(peer);
        log.info({ code }, 'client disconnected');
      });
      new Connection(ws, { ...options.deps, log }, log);
    });
  }

  private beat(): void {
    for (const peer of this.peers) {
      if (peer.missedPongs >= 2) {
        this.log.warn('dropping a client that missed two heartbeats');
        peer.ws.terminate();
        continue;
      }
      peer.missedPongs++;
      peer.ws.ping();
    }
  }

  /** Pushes CHANGES_AVAILABLE to every client when the log has grown past what was announced. */
  notifyChanges(highestSequence: number): void {
    if (highestSequence <= this.lastPushed) return;
    this.lastPushed = highestSequence;
    const push: ChangesAvailablePush = { operation: 'CHANGES_AVAILABLE', highest_sequence: highestSequence };
    const text = JSON.stringify(push);
    for (const peer of this.peers) {
      if (peer.ws.readyState === peer.ws.OPEN) peer.ws.send(text);
    }
  }

  get clientCount(): number {
    return this.peers.size;
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const peer of this.peers) peer.ws.close(1001, 'zync-daemon is shutting down');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const peer of this.peers) peer.ws.terminate();
        resolve();
      }, 1000);
      const check = () => {
        if (this.peers.size === 0) {
          clearTimeout(timer);
          resolve();
        } else setTimeout(check, 10);
      };
      check();
    });
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}
