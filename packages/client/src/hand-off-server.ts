// The running client's end of the hand-off socket (`<db>.sock`, see the hand-off protocol in
// @zync/common): listens while the client runs, made 0600 so only the state's owner (and root)
// may ask; one left by a kill -9 is replaced (this process holds the state's lock, so no live
// client answers on it); removed on a clean stop. Each connection carries one UPDATE_UPSTREAM,
// given to `handle` with a signal that aborts on CANCEL, on the one-shot going away, or on stop;
// one that asks nothing is closed after a few seconds, and one beyond the limit is told this
// client is busy (not closed in silence, which the one-shot could only take for a crash). A path
// too long for a Unix socket is bound through its directory (socket-path.ts).
// Owns the socket and the lines on it; what a request does is the handler's business.
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import {
  HandOffRequestRefused,
  JsonLines,
  errnoOf,
  readHandOffRequest,
  handOffLine,
  handOffSocketPath,
  type HandOffDone,
  type HandOffEvent,
  type HandOffRequest,
  type Logger,
  type UpdateUpstreamHandOff,
} from '@zync/common';
import { handOffRefusalAnswer } from './core/hand-off-match.js';
import { MAX_SOCKET_PATH_BYTES, openSocketName, type SocketName } from './socket-path.js';

/** What a handler gets besides the request: a way to talk to the one-shot, and when to stop. */
export interface HandOffPeer {
  send(event: HandOffEvent): void;
  /** Aborted on CANCEL, when the one-shot goes away, or when this client stops. */
  signal: AbortSignal;
  /** Aborted when this client stops. */
  stopping: AbortSignal;
}

export type HandOffHandler = (request: UpdateUpstreamHandOff, peer: HandOffPeer) => Promise<HandOffDone>;

/** One-shots waiting at once; more are told this client is busy (each holds a connection and its buffer). */
const MAX_CONNECTIONS = 16;
/** A one-shot sends its request as soon as it connects: a connection silent this long is closed. */
const REQUEST_WAIT_MS = 5000;
/** How long a one-shot given a last line (a refusal) has to read it before its connection is cut. */
const LAST_LINE_READ_MS = 5000;

/**
 * Ends a connection with `line`, which must reach the one-shot: destroy() at once would drop what
 * is still buffered for a one-shot slow to read, and with its request unread here reset the
 * connection under a one-shot still writing it, whose failed write takes the answer with it. What
 * it sends meanwhile is read and dropped; the one-shot closes once it has read the line, or the
 * connection is cut after LAST_LINE_READ_MS.
 */
function endWith(socket: Socket, line: string): void {
  const unread = setTimeout(() => socket.destroy(), LAST_LINE_READ_MS);
  socket.once('close', () => clearTimeout(unread));
  socket.resume();
  socket.end(line);
}

export class HandOffServer {
  private readonly jobs = new Set<Promise<void>>();
  private readonly sockets = new Set<Socket>();
  /** Told this client is busy, until the one-shot closes them. */
  private readonly turnedAway = new Set<Socket>();
  private readonly stopping = new AbortController();

  private constructor(
    private readonly server: Server,
    readonly path: string,
    /** The name it is bound by, held until the server has closed (which unlinks by that name). */
    private readonly bound: SocketName,
  ) {}

  /**
   * Listens beside the state; null (with a warning) where it cannot: a path too long for a Unix
   * socket that cannot be reached through its directory either (not Linux), something not a socket already there, or another user's socket it may not remove (a
   * --db in a shared directory). One-shots then get "in use", as before.
   */
  static async listen(dbPath: string, handle: HandOffHandler, logger: Logger): Promise<HandOffServer | null> {
    const path = handOffSocketPath(dbPath);
    const without = 'zync-client --update-upstream cannot hand its upload to this client while it runs';
    const bound = openSocketName(path);
    if (bound === null) {
      logger.warn(`${without}: the socket path ${path} is longer than a Unix socket allows (${MAX_SOCKET_PATH_BYTES} bytes), and its directory cannot be opened or named by a shorter one (/proc/self/fd).`);
      return null;
    }
    if (!removeStaleSocket(path, logger, without)) {
      bound.close();
      return null;
    }
    const server = createServer({ allowHalfOpen: false });
    const ours = new HandOffServer(server, path, bound);
    server.on('connection', (socket) => {
      if (ours.sockets.size < MAX_CONNECTIONS) ours.serve(socket, handle, logger);
      else ours.turnAway(socket);
    });
    // 0600 from the start: bound under this umask, so no one else can connect in the moment
    // before the chmod. The bind happens within listen(), synchronously; the umask is the
    // process's, so it is given back at once, before any other work (a pull's files) can run.
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        const umask = process.umask(0o177);
        try {
          server.listen(bound.name, () => {
            server.off('error', reject);
            resolve();
          });
        } finally {
          process.umask(umask);
        }
      });
    } catch (err) {
      bound.close();
      logger.warn(`${without}: listening on ${path} failed (${errnoOf(err) ?? String(err)}).`);
      return null;
    }
    chmodSync(path, 0o600);
    server.on('error', (err) => logger.warn(`the hand-off socket ${path} failed: ${err.message}`));
    logger.debug(`listening on ${path} for --update-upstream`);
    return ours;
  }

  /** Stops listening (the socket file goes), cancels what is under way and waits for it. */
  async close(): Promise<void> {
    this.stopping.abort();
    // Resolves once every connection has ended: the jobs end theirs, and idle ones are cut below.
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.jobs]);
    for (const socket of [...this.sockets, ...this.turnedAway]) socket.destroy();
    await closed;
    this.bound.close();
  }

  /** Says why instead of closing in silence, which the one-shot could only take for a crash. */
  private turnAway(socket: Socket): void {
    const busy = `The running zync-client (pid ${process.pid}) is busy: ${MAX_CONNECTIONS} other connections wait on its socket ${this.path}; run --update-upstream again in a moment.`;
    socket.on('error', () => undefined);
    this.turnedAway.add(socket);
    socket.on('close', () => this.turnedAway.delete(socket));
    endWith(socket, handOffLine({ operation: 'DONE', status: 'error', code: 'IN_USE', error: busy })); // its request is not read
  }

  private serve(socket: Socket, handle: HandOffHandler, logger: Logger): void {
    const cancel = new AbortController();
    const signal = AbortSignal.any([cancel.signal, this.stopping.signal]);
    const lines = new JsonLines(readHandOffRequest);
    let started = false;
    /** Given its last line (refused): what it sends after is dropped. */
    let ended = false;
    const send = (event: HandOffEvent) => {
      if (!socket.destroyed && socket.writable) socket.write(handOffLine(event));
    };
    const finish = (done: HandOffDone) => {
      send(done);
      socket.end();
    };
    this.sockets.add(socket);
    // Not for ever: a connection that asks nothing would hold one of the MAX_CONNECTIONS places.
    const unasked = setTimeout(() => {
      const done: HandOffDone = { operation: 'DONE', status: 'error', code: 'BAD_MESSAGE', error: `The hand-off socket got no request within ${REQUEST_WAIT_MS / 1000} s.` };
      ended = true;
      endWith(socket, handOffLine(done));
    }, REQUEST_WAIT_MS);
    socket.on('error', () => cancel.abort());
    socket.on('close', () => {
      clearTimeout(unasked);
      this.sockets.delete(socket);
      cancel.abort();
    });
    socket.on('data', (chunk: Buffer) => {
      if (ended) return;
      let requests: HandOffRequest[];
      try {
        requests = lines.push(chunk);
      } catch (err) {
        // Another zync's one-shot (a newer one, before this service was restarted) gets a defined
        // answer it recognises, and a sentence that says to restart the service; what was under
        // way for it is cancelled, since it may have meant something this client cannot know.
        let done: HandOffDone;
        if (err instanceof HandOffRequestRefused) {
          const { code, error } = handOffRefusalAnswer(err.refusal, process.pid);
          logger.info(`a hand-off request refused: ${error}`);
          done = { operation: 'DONE', status: 'error', code, error };
        } else {
          done = { operation: 'DONE', status: 'error', code: 'BAD_MESSAGE', error: `The hand-off socket got ${(err as Error).message}.` };
        }
        ended = true;
        clearTimeout(unasked);
        if (!socket.destroyed && socket.writable) endWith(socket, handOffLine(done));
        cancel.abort();
        return;
      }
      for (const request of requests) {
        if (request.operation === 'CANCEL') {
          cancel.abort();
          continue;
        }
        if (started) continue; // one request per connection
        started = true;
        clearTimeout(unasked);
        const job = handle(request, { send, signal, stopping: this.stopping.signal }).then(finish, (err: unknown) => {
          logger.error(`--update-upstream for pid ${request.pid} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          finish({ operation: 'DONE', status: 'error', code: null, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
        });
        this.jobs.add(job);
        void job.finally(() => this.jobs.delete(job));
      }
    });
  }
}

/**
 * Makes way for the socket: removes one left there (this process holds the state's lock, so
 * nobody listens on it), or says why not and returns false (a file that is not a socket stays).
 */
function removeStaleSocket(path: string, logger: Logger, without: string): boolean {
  let uid: number | undefined;
  try {
    const entry = lstatSync(path);
    uid = entry.uid;
    if (!entry.isSocket()) {
      logger.warn(`${without}: ${path} is there and is not a socket; move it away and restart this client.`);
      return false;
    }
    unlinkSync(path);
    logger.debug(`removed the stale socket ${path} left by an earlier run`);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') {
      // A stranger's socket in a sticky directory (as /tmp is): it keeps the path, but one-shots do not ask it.
      const whose = uid !== undefined && uid !== process.geteuid?.() ? `it belongs to another user (uid ${uid}); put --db in a directory only you can write to` : 'move it away and restart this client';
      logger.warn(`${without}: ${path} cannot be replaced (${errnoOf(err) ?? String(err)}); ${whose}.`);
      return false;
    }
  }
  return true;
}
