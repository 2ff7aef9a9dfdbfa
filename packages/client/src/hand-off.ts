// The one-shot's end of the hand-off: `zync-client --update-upstream` that finds its state held by
// a running client asks that client, over `<db>.sock`, to send R's edits, and reports what it
// says as its own: its log records through this process's logger (stderr), its result lines on
// stdout, its progress on this terminal's status line, and its outcome as this process's exit
// code. Ctrl-C cancels the upload there, as it would here. A socket nobody answers on (an older
// zync's client holds the lock, a --once run, one killed with -9) is not a hand-off: the caller
// then says "in use", as before. Nor is a path that is not this user's socket (core/hand-off-socket.ts):
// it is not even connected to, and a warning says why; one of another user's client (root's
// command on a user's service) is refused in one sentence naming that user. A path too long for
// a Unix socket is looked at and connected through its directory (socket-path.ts).
import { lstat, readFile, stat } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import {
  HandOffLineUnreadable,
  JsonLines,
  readHandOffEvent,
  ZyncError,
  handOffLine,
  handOffSocketPath,
  realLocation,
  sha256,
  userName,
  type DirSpec,
  type HandOffEvent,
  type HandOffSetup,
  type Logger,
  type UpdateUpstreamHandOff,
} from '@zync/common';
import { handOffFailure } from './core/hand-off-outcome.js';
import { socketNotOurs, socketOfOtherUsersClient } from './core/hand-off-socket.js';
import { unansweredNote } from './core/unanswered-hand-off.js';
import type { StatusLine } from './progress.js';
import { openSocketName } from './socket-path.js';

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
  /** Ctrl-C, SIGTERM: the running client is asked to cancel, and its answer awaited for a while. */
  signal: AbortSignal;
  /** The running client's pid (its lock's), for what the one-shot says. */
  holder: number | undefined;
  print?: (line: string) => void;
}

/**
 * Whether `path` (looked at by `name`: socket-path.ts) may be asked: a socket of this user's.
 * Otherwise false, and a warning says why
 * (nothing there, or nothing this user can look at, is said by the caller's "in use"); the running
 * client's own socket, of another user, throws IN_USE naming that user. In a sticky directory (as
 * /tmp is) nobody else can replace our socket between this look and the connection.
 */
async function mayAsk(path: string, name: string, options: HandOffOptions): Promise<boolean> {
  let entry;
  try {
    entry = await lstat(name);
  } catch {
    return false;
  }
  const kind = entry.isSocket() ? 'socket' : entry.isSymbolicLink() ? 'symlink' : 'other';
  const ownUid = process.geteuid?.();
  const problem = socketNotOurs({ kind, uid: entry.uid }, ownUid);
  if (problem === null) return true;
  if (socketOfOtherUsersClient({ kind, uid: entry.uid }, ownUid, await processUid(options.holder))) {
    const user = userName(entry.uid);
    throw new ZyncError(
      'IN_USE',
      `The client state ${options.dbPath} is held by the zync-client (pid ${options.holder}) running as ${user}, which takes --update-upstream only from its own user; run this command as ${user} to hand the upload to it.`,
    );
  }
  options.logger.warn(`the upload is not handed to what listens on ${path}: it ${problem}; put --db in a directory only you can write to`);
  return false;
}

/** The user a process runs as (its /proc entry's owner); undefined where that cannot be known. */
async function processUid(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  return (await stat(`/proc/${pid}`).catch(() => undefined))?.uid;
}

/** How long a Ctrl-C waits for the running client to say the upload is cancelled. */
const CANCEL_ANSWER_MS = 5000;
/** Silence after the hand-off beyond which the one-shot says so (a running client answers at once). */
const SILENCE_NOTE_MS = 5000;

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
  // The same directory for the look and the connection, whatever happens to the path between.
  const name = openSocketName(path);
  if (name === null) return false;
  let socket: Socket | null;
  try {
    if (!(await mayAsk(path, name.name, options))) return false;
    socket = await connectTo(name.name);
  } finally {
    name.close();
  }
  if (socket === null) return false;
  const running = `the zync-client running on this state${options.holder === undefined ? '' : ` (pid ${options.holder})`}`;
  const Running = `The running zync-client${options.holder === undefined ? '' : ` (pid ${options.holder})`}`;
  let unanswered: NodeJS.Timeout | undefined;
  let silent: NodeJS.Timeout | undefined;
  /** Something came back, Ctrl-C was given, or it ended: no word about silence then. */
  let heard = false;
  let onAbort: () => void = () => undefined;
  try {
    socket.write(handOffLine(options.request));
    // Said here, not by it: a stopped or hung client says nothing, and Ctrl-C is the way out.
    logger.info(`the upload is handed to ${running}; Ctrl-C cancels it`);
    // Once, and the wait goes on: a suspended client answers when it is resumed.
    silent = setTimeout(() => {
      const pid = options.holder;
      void (pid === undefined ? Promise.resolve(undefined) : readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)).then((procStat) => {
        if (heard) return;
        const note = unansweredNote(pid, procStat, SILENCE_NOTE_MS);
        logger[note.level](note.message);
      });
    }, SILENCE_NOTE_MS);
    await new Promise<void>((resolve, reject) => {
      // A line of a type not known here is a newer service's informational one: skipped (null).
      const lines = new JsonLines(readHandOffEvent);
      let done = false;
      const end = (err?: unknown) => {
        if (done) return;
        done = true;
        statusLine.clear();
        if (err === undefined) resolve();
        else reject(err);
      };
      // Ctrl-C: it cancels and says so; one that does not answer (stopped, hung) is not waited for.
      // Our socket closing when this process exits cancels the upload there once it reads again.
      onAbort = () => {
        heard = true;
        if (socket.writable) socket.write(handOffLine({ operation: 'CANCEL' }));
        unanswered = setTimeout(() => {
          end(
            new ZyncError(
              'CONNECTION_FAILED',
              `${Running} did not answer Ctrl-C within ${CANCEL_ANSWER_MS / 1000} s (is it stopped or hung? see its log); it cancels the upload once it runs again, and E keeps nothing of this attempt — run --update-upstream again.`,
            ),
          );
        }, CANCEL_ANSWER_MS);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      socket.on('data', (chunk: Buffer) => {
        heard = true;
        let events: (HandOffEvent | null)[];
        try {
          events = lines.push(chunk);
        } catch (err) {
          const message =
            err instanceof HandOffLineUnreadable
              ? `${Running} sent ${err.message}: it is another version of zync; restart it (the service) with the same zync as this command, then run --update-upstream again.`
              : `The running zync-client sent ${(err as Error).message} on ${path}; is it another zync's?`;
          end(new ZyncError('INCOMPATIBLE_PROTOCOL', message));
          return;
        }
        for (const event of events) {
          if (done) return;
          if (event === null) continue;
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
              if (event.status === 'ok') end();
              else {
                const failure = handOffFailure(event, Running);
                end(failure.code === null ? remoteError(failure.stack) : new ZyncError(failure.code, failure.message));
              }
              break;
          }
        }
      });
      socket.on('error', () => undefined); // said by 'close'
      socket.on('close', () =>
        end(new ZyncError('CONNECTION_FAILED', `${Running} stopped before it said how the upload ended; see its log, and run --update-upstream again.`)),
      );
    });
    return true;
  } finally {
    clearTimeout(unanswered);
    heard = true;
    clearTimeout(silent);
    signal.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}

/** An unexpected error of the running client's: printed with its stack, exit 1, as in-process. */
function remoteError(stack: string): Error {
  const err = new Error(stack.split('\n', 1)[0]);
  err.stack = stack;
  return err;
}
