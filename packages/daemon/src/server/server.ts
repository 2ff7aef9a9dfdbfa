// The daemon's WebSocket endpoint: an HTTP server (HTTPS with --tls-cert/--tls-key) whose
// upgrades are authenticated before the socket opens (Authorization: Bearer, constant-time
// compare, 401 otherwise; repeated failures from one address are answered ever more slowly, see
// auth-throttle.ts), frames limited to MAX_FRAME_BYTES (a bigger frame closes that socket with
// 1009), a heartbeat per peer that drops one that goes silent (startHeartbeat), and the
// CHANGES_AVAILABLE push to every connected client. When the accepted token changes (its file
// rewritten: looked at every TOKEN_CHECK_MS and at each upgrade), every connection authenticated
// with another token is closed with CLOSE_TOKEN_REVOKED: a rotated token stops working at once,
// not at the leaked one's next reconnection. Peers keep a digest of their token, never the token.
// Owns sockets and timers; requests are handled by Connection.
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CLOSE_TOKEN_REVOKED, MAX_FRAME_BYTES, startHeartbeat, tokenDigest, tokensEqual, ZyncError, type ChangesAvailablePush, type Logger } from '@zync/common';
import { AuthThrottle } from './auth-throttle.js';
import { Connection, type ConnectionDeps } from './connection.js';

export interface DaemonServerOptions {
  host: string;
  port: number;
  /**
   * The token a client must present; a function (a token file read again when it changes) is asked
   * at each connection and every TOKEN_CHECK_MS, and connections made with a token it no longer
   * gives are closed.
   */
  token: string | (() => string);
  deps: Omit<ConnectionDeps, 'log'>;
  log: Logger;
  /** Ping interval (default HEARTBEAT_INTERVAL_MS); a peer silent for two intervals is dropped. */
  heartbeatMs?: number;
  /** Serve wss:// with this certificate chain and private key (PEM). */
  tls?: { cert: Buffer; key: Buffer } | undefined;
}

interface Peer {
  ws: WebSocket;
  stopHeartbeat: () => void;
  /** tokenDigest of the token this connection presented. */
  token: string;
}

/** How often a token given as a function (a token file) is looked at for a rotation. */
const TOKEN_CHECK_MS = 1000;

/** The sentence for a failed listen: a port in use, a port not ours to use, an address that cannot be bound. */
function listenFailure(err: NodeJS.ErrnoException, host: string, port: number): ZyncError {
  if (err.code === 'EADDRINUSE') return new ZyncError('BAD_ARGUMENT', `Port ${port} on ${host} is already in use.`);
  if (err.code === 'EACCES') return new ZyncError('BAD_ARGUMENT', `Not allowed to listen on ${host}:${port}.`);
  // The bare code told a user neither what was wrong nor that --host is the thing to change.
  if (err.code === 'EADDRNOTAVAIL') return new ZyncError('BAD_ARGUMENT', `Cannot listen on ${host}:${port}: ${host} is not an address of this machine; check --host.`);
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return new ZyncError('BAD_ARGUMENT', `Cannot listen on ${host}:${port}: the host name ${host} cannot be resolved; check --host.`);
  return new ZyncError('BAD_ARGUMENT', `Cannot listen on ${host}:${port}: ${err.code ?? err.message}.`);
}

/**
 * Binds host:port and lets it go at once, so that an address or port that cannot be used is
 * reported before the daemon creates its state. The daemon listens for real only after its
 * start-up scan is logged (no client is served before); should the port be taken in between,
 * DaemonServer.listen reports the same sentence.
 */
export async function probeListen(host: string, port: number): Promise<void> {
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (err: NodeJS.ErrnoException) => reject(listenFailure(err, host, port)));
    probe.listen(port, host, () => resolve());
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

export class DaemonServer {
  readonly port: number;
  /** The address the socket is bound to (--host resolved: 127.0.0.1, ::1, 0.0.0.0, …). */
  readonly address: string;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly peers = new Set<Peer>();
  private readonly log: Logger;
  private readonly throttle = new AuthThrottle();
  /** Refusals waiting out their delay (their sockets are destroyed on close). */
  private readonly refusals = new Set<{ timer: NodeJS.Timeout; socket: Duplex }>();
  /** `ws` or `wss`. */
  readonly scheme: 'ws' | 'wss';
  private lastPushed = 0;
  private nextPeer = 1;
  /** tokenDigest of the token accepted now. */
  private acceptedToken: string;
  private readonly tokenCheck: NodeJS.Timeout | null;
  private readonly token: () => string;

  private constructor(http: Server, wss: WebSocketServer, options: DaemonServerOptions) {
    this.http = http;
    this.wss = wss;
    this.log = options.log;
    const bound = http.address() as AddressInfo;
    this.port = bound.port;
    this.address = bound.address;
    this.lastPushed = options.deps.store.lastSequence();
    this.scheme = options.tls ? 'wss' : 'ws';
    const token = options.token;
    this.token = typeof token === 'string' ? () => token : token;
    this.acceptedToken = tokenDigest(this.token());
    this.tokenCheck = typeof token === 'string' ? null : setInterval(() => this.expectedToken(), TOKEN_CHECK_MS);
    this.tokenCheck?.unref();
  }

  /**
   * The token a client must present now. When it changed since the last look, the connections
   * authenticated with another one are closed (CLOSE_TOKEN_REVOKED); the client says it as it says
   * a refused token, and one whose own token file was rewritten meanwhile reconnects with it.
   */
  private expectedToken(): string {
    const token = this.token();
    const digest = tokenDigest(token);
    if (digest === this.acceptedToken) return token;
    this.acceptedToken = digest;
    let closed = 0;
    for (const peer of this.peers) {
      if (peer.token === digest || peer.ws.readyState !== peer.ws.OPEN) continue;
      peer.ws.close(CLOSE_TOKEN_REVOKED, 'the token this connection presented is no longer accepted');
      closed++;
    }
    if (closed > 0) this.log.info(`the accepted token changed: closed ${closed} connection(s) authenticated with the token accepted before`);
    return token;
  }

  /** Starts listening; a port in use or an address that cannot be bound is a BAD_ARGUMENT. */
  static async listen(options: DaemonServerOptions): Promise<DaemonServer> {
    const onRequest: RequestListener = (_req, res) => {
      res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
      res.end('zync-daemon speaks WebSocket only.\n');
    };
    let http: Server;
    try {
      // An https.Server is an http.Server over TLS sockets: same events, same upgrade path.
      http = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest) : createServer(onRequest);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new ZyncError('BAD_ARGUMENT', `The TLS certificate and key are not usable (${reason}); check --tls-cert and --tls-key.`);
    }
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      http.once('error', (err: NodeJS.ErrnoException) => reject(listenFailure(err, options.host, options.port)));
      http.listen(options.port, options.host, () => resolve());
    });
    const server = new DaemonServer(http, wss, options);
    http.on('upgrade', (req, socket, head) => server.upgrade(req, socket, head, options));
    http.on('error', (err) => options.log.error({ err: err.message }, 'server error'));
    // A client that does not trust the certificate ends the handshake; worth a debug line only.
    http.on('tlsClientError', (err: Error) => options.log.debug({ err: err.message }, 'TLS handshake with a client failed'));
    return server;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, options: DaemonServerOptions): void {
    socket.on('error', () => socket.destroy());
    const address = req.socket.remoteAddress ?? '?';
    const remote = `${address}:${req.socket.remotePort ?? '?'}`;
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const expected = this.expectedToken();
    if (!match || !tokensEqual(match[1]!, expected)) {
      this.refuse(socket, address, remote, match ? 'a wrong token' : 'no token');
      return;
    }
    this.throttle.succeeded(address);
    const presented = tokenDigest(match[1]!);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const log = options.log.child({ peer: this.nextPeer++ });
      const stopHeartbeat = startHeartbeat({
        ping: () => ws.ping(),
        isPaused: () => ws.isPaused,
        socket: req.socket,
        ...(options.heartbeatMs === undefined ? {} : { intervalMs: options.heartbeatMs }),
        onDead: (silentMs) => {
          log.warn({ remote, silent_ms: silentMs }, `dropping a client that went silent for ${(silentMs / 1000).toFixed(1)} s (missed heartbeats)`);
          ws.terminate();
        },
      });
      const peer: Peer = { ws, stopHeartbeat, token: presented };
      this.peers.add(peer);
      log.info({ remote }, 'client connected');
      ws.on('close', (code) => {
        stopHeartbeat();
        this.peers.delete(peer);
        log.info({ code }, 'client disconnected');
      });
      new Connection(ws, socket, { ...options.deps, log }, log);
    });
  }

  /**
   * Answers a failed authentication with 401 after the address's current delay. A correct token
   * is never delayed, from any address; the token itself is never logged.
   */
  private refuse(socket: Duplex, address: string, remote: string, what: string): void {
    const { failures, delayMs, logIt } = this.throttle.failed(address);
    if (logIt) {
      this.log.warn({ remote, failures, delay_ms: delayMs }, `refused a connection with ${what} (${failures} failed attempt(s) from ${address}; answering in ${delayMs} ms)`);
    }
    const answer = () => {
      this.refusals.delete(pending);
      socket.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    };
    const pending = { timer: setTimeout(answer, delayMs), socket };
    this.refusals.add(pending);
    socket.once('close', () => {
      clearTimeout(pending.timer);
      this.refusals.delete(pending);
      this.throttle.released(address);
    });
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
    if (this.tokenCheck) clearInterval(this.tokenCheck);
    for (const pending of this.refusals) {
      clearTimeout(pending.timer);
      pending.socket.destroy();
    }
    this.refusals.clear();
    for (const peer of this.peers) {
      peer.stopHeartbeat();
      peer.ws.close(1001, 'zync-daemon is shutting down');
    }
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
