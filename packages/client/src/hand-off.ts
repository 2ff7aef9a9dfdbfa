// The one-shot's end of the hand-off: `zync-client --update-upstream` that finds its state held by
// a running client asks that client, over `<db>.sock`, to send R's edits, and reports what it
// says as its own: its log records through this process's logger (stderr), its result lines on
// stdout, its progress on this terminal's status line, and its outcome as this process's exit
// code. Ctrl-C cancels the upload there, as it would here. A socket nobody answers on (an older
// zync's client holds the lock, a --once run, one killed with -9) is not a hand-off: the caller
// then says "in use", as before. Nor is a path that is not this user's socket (core/hand-off-socket.ts):
// it is not even connected to, and a warning says why.
import { lstat } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import {
  HandOffEvent,
  JsonLines,
  ZyncError,
  handOffLine,
  handOffSocketPath,
  realLocation,
  sha256,
  type DirSpec,
  type HandOffSetup,
  type Logger,
  type UpdateUpstreamHandOff,
} from '@zync/common';
import { socketNotOurs } from './core/hand-off-socket.js';
import type { StatusLine } from './progress.js';

/** What a client was given that decides which daemon it talks to, about which roots. */
export async function describeSetup(server: string, specs: readonly DirSpec[], token: string, ca: Buffer | undefined): Promise<HandOffSetup> {
  return {
    server,
    dirs: await Promise.all(specs.map(async (d) => ({ name: d.name, root: await realLocation(d.root) }))),
    token_sha256: sha256(token),
    ca_sha256: ca === undefined ? null : sha256(ca),
  };
}

export interface HandOffOptions {
  dbPath: string;
  request: UpdateUpstreamHandOff;
  logger: Logger;
  statusLine: StatusLine;
  /** Ctrl-C, SIGTERM: the running client is asked to cancel, and its answer awaited. */
  signal: AbortSignal;
  print?: (line: string) => void;
}

/**
 * Whether `path` may be asked: a socket of this user's. Otherwise false, and a warning says why
 * (nothing there, or nothing this user can look at, is said by the caller's "in use"). In a
 * sticky directory (as /tmp is) nobody else can replace our socket between this look and the
 * connection.
 */
async function mayAsk(path: string, logger: Logger): Promise<boolean> {
  let entry;
  try {
    entry = await lstat(path);
  } catch {
    return false;
  }
  const kind = entry.isSocket() ? 'socket' : entry.isSymbolicLink() ? 'symlink' : 'other';
  const problem = socketNotOurs({ kind, uid: entry.uid }, process.getuid?.());
  if (problem === null) return true;
  logger.warn(`the upload is not handed to what listens on ${path}: it ${problem}; put --db in a directory only you can write to`);
  return false;
}

/** The socket, connected; null when nobody listens there. */
function connectTo(path: string): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', () => resolve(null));
  });
}

/**
 * Hands the upload to the client running on dbPath. False when none answers; otherwise resolves
 * as an in-process run that succeeded would, or throws its ZyncError (or its unexpected error).
 */
export async function handOffUpstream(options: HandOffOptions): Promise<boolean> {
  const { logger, statusLine, signal } = options;
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const path = handOffSocketPath(options.dbPath);
  if (!(await mayAsk(path, logger))) return false;
  const socket = await connectTo(path);
  if (socket === null) return false;
  logger.debug(`handing --update-upstream to the zync-client running on ${options.dbPath}`);
  const cancel = () => {
    if (socket.writable) socket.write(handOffLine({ operation: 'CANCEL' }));
  };
  signal.addEventListener('abort', cancel, { once: true });
  try {
    socket.write(handOffLine(options.request));
    await new Promise<void>((resolve, reject) => {
      const lines = new JsonLines(HandOffEvent);
      let done = false;
      socket.on('data', (chunk: Buffer) => {
        let events: HandOffEvent[];
        try {
          events = lines.push(chunk);
        } catch (err) {
          done = true;
          socket.destroy();
          reject(new ZyncError('INCOMPATIBLE_PROTOCOL', `The running zync-client sent ${(err as Error).message} on ${path}; is it another zync's?`));
          return;
        }
        for (const event of events) {
          if (done) return;
          switch (event.operation) {
            case 'LOG':
              if (event.level !== 'silent') logger[event.level](event.fields, event.msg);
              break;
            case 'PRINT':
              statusLine.around(() => print(event.line));
              break;
            case 'PROGRESS':
              if (event.text === null) statusLine.clear();
              else statusLine.show(event.text);
              break;
            case 'DONE':
              done = true;
              statusLine.clear();
              if (event.status === 'ok') resolve();
              else reject(event.code === null ? remoteError(event.error) : new ZyncError(event.code, event.error));
              break;
          }
        }
      });
      socket.on('error', () => undefined); // said by 'close'
      socket.on('close', () => {
        if (done) return;
        statusLine.clear();
        reject(
          new ZyncError(
            'CONNECTION_FAILED',
            'The running zync-client stopped before it said how the upload ended; see its log, and run --update-upstream again.',
          ),
        );
      });
    });
    return true;
  } finally {
    signal.removeEventListener('abort', cancel);
    socket.destroy();
  }
}

/** An unexpected error of the running client's: printed with its stack, exit 1, as in-process. */
function remoteError(stack: string): Error {
  const err = new Error(stack.split('\n', 1)[0]);
  err.stack = stack;
  return err;
}
