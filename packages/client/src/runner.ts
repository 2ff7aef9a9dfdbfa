// When passes run: `--once` (connect, one pass, close) or continuous (stay connected; a pass at
// once on connect, on each CHANGES_AVAILABLE push, every interval and soon after a pass that
// left something to retry — 2 s, doubling up to 60 s while passes keep failing, e.g. on a full
// disk, where a file that did not fit waits for room (core/room-waits.ts); a pass that found no
// room for the client database is tried again so on the same connection, pushes waiting;
// reconnect with capped exponential backoff and jitter, resuming from the last acknowledgement).
// Stopping (the AbortSignal) closes the connection, which makes every in-flight download fail and
// remove its temp file; the pass then unwinds. What a pass does is the pull engine's business.
import { RoutineLines, sleepUnlessAborted, ZyncError, isZyncError, type Logger } from '@zync/common';
import { Connection, serverShown } from './connection.js';
import { backoffDelay, retryDelayMs } from './core/backoff.js';
import { awayNews } from './core/away-news.js';
import { NO_FAILURE, retryNote, type RetryMemory } from './core/retry-news.js';
import type { MissingRoot } from './core/missing-roots.js';
import { offDiskError, offDiskMessage, onDiskAgainNote } from './core/root-disks.js';
import { backAgainNote, goneWhileRunningError, goneWhileRunningWarning, type GoneRoot } from './core/vanished-roots.js';
import type { Problem } from './apply-batch.js';
import { roomNews } from './core/room-news.js';
import { addPasses, describePass, isRoutinePass, passChangedNothing, type PassSummary, type PullEngine } from './pull-engine.js';
import { availableOnEAgainNote, servedAgainNote, unavailableOnEWarning, unservedDirsError, unservedWarning } from './core/served-dirs.js';
import type { PassTurns } from './pass-turns.js';
import { RUN_AGAIN_ADVICE } from './store/client-store.js';

export interface RunnerOptions {
  engine: PullEngine;
  connect: () => Promise<Connection>;
  logger: Logger;
  signal: AbortSignal;
  /** Seconds between passes when nothing is pushed. */
  intervalSeconds: number;
  /** A running client's passes take turns with the upstream passes handed to it (hand-off). */
  turns?: PassTurns;
  /**
   * The token comes from --token-file, read at each connection: a running client refused once E
   * rotated its token waits for R's file to be rewritten instead of ending (exit 4). The run's
   * first connection (connectFirst) still ends on a refusal: a wrong token is said at once.
   */
  tokenFromFile?: boolean;
  /**
   * With --token-file: whether R's file now holds another token than the one the last connection
   * presented (R's file was rotated with E's). A connection E ended for its token is then tried
   * again at once with it, and the rotation is said at info, not as a refusal.
   */
  tokenRenewed?: () => boolean;
  /**
   * A digest of the token the last connection presented (never the token): while E refuses R's
   * token, a refusal is warned of once per token, not at the close and again at each reconnection.
   */
  tokenPresented?: () => string | undefined;
  /**
   * With --token-file: reads R's file again, saying a change at info (as a connection's read
   * would), and tells whether it now holds another token than the last connection presented.
   */
  tokenFileRewritten?: () => boolean;
}

/** How often a client E refused for its token looks at its token file while it waits to reconnect. */
export const TOKEN_FILE_POLL_MS = 1000;

/**
 * The wait before the next connection. Refused for its token, a client looks at its token file
 * meanwhile and goes at once when it holds another token: a rewritten file is taken within a
 * second, not at the end of a backoff that may have grown to 30 s.
 */
async function waitToReconnect(options: Pick<RunnerOptions, 'signal' | 'tokenFileRewritten'>, delay: number, refusedToken: boolean): Promise<void> {
  const rewritten = refusedToken ? options.tokenFileRewritten : undefined;
  if (!rewritten) return sleepUnlessAborted(delay, options.signal);
  const deadline = Date.now() + delay;
  for (let left = delay; left > 0 && !options.signal.aborted; left = deadline - Date.now()) {
    await sleepUnlessAborted(Math.min(TOKEN_FILE_POLL_MS, left), options.signal);
    if (!options.signal.aborted && rewritten()) return;
  }
}

/** A connection E ended for its old token, with R's token file already holding the new one. */
function renewedRotation(options: Pick<RunnerOptions, 'tokenFromFile' | 'tokenRenewed' | 'signal'>, err: unknown): boolean {
  return options.tokenFromFile === true && !options.signal.aborted && isZyncError(err) && err.code === 'UNAUTHORIZED' && options.tokenRenewed?.() === true;
}

/** After the refused-token sentence, for a running client whose token file E refuses (rotated on E first). */
const WAITING_FOR_TOKEN_FILE = 'Retrying until the token file holds the token E accepts.';

const ROTATED_NOTE = 'E rotated its token and ended the connection made with the old one; reconnecting with the new token from the token file.';

/**
 * Errors no retry can fix: the user must change something. INTERNAL is not one: the daemon
 * answers it when a request failed on its side (a busy database, a passing I/O error), which
 * the next pass may not meet.
 */
export function isFatal(err: unknown): boolean {
  return isZyncError(err) && ['UNAUTHORIZED', 'INCOMPATIBLE_PROTOCOL', 'BAD_ARGUMENT'].includes(err.code);
}

/**
 * What a run remembers from one pass to the next (across reconnections too): the roots the last
 * pass found away, said when they go and when they come back, not at each pass (core/away-news.ts).
 */
interface RunMemory {
  /** E's roots E holds as unavailable. */
  unavailableOnE: readonly string[];
  /** R's roots held off the disk they were synced on. */
  held: readonly MissingRoot[];
  /** R's roots held because they went while the client ran (moved or deleted). */
  gone?: readonly GoneRoot[];
  /** R's roots E's daemon no longer serves. */
  unserved: readonly string[];
  /** E said the last pass that changes it saw wait to be logged (its disk full). */
  unloggedOnE?: boolean;
  /** R's disk was said to have no room for files the last passes met (sayNoRoom). */
  noRoom?: boolean;
  /** Those files, by entryKeyString (core/room-news.ts). */
  roomSaid?: ReadonlySet<string>;
  /** A pass failed for want of room under the client database, and was said to (serve). */
  stateFull?: boolean;
  /** A running client's routine pass lines (isRoutinePass), summed under churn; the timer says the sum. */
  passLines?: RoutineLines<PassSummary>;
  passTimer?: NodeJS.Timeout | null;
}

/** Says the routine passes summed so far, if any, at info. */
function sayPasses(logger: Logger, memory: RunMemory): void {
  if (memory.passTimer) clearTimeout(memory.passTimer);
  memory.passTimer = null;
  const sum = memory.passLines?.flush(Date.now());
  if (sum) logger.info(describePass(sum.total, sum.count));
}

/**
 * What a pass did, at info. A `routine` pass (a running client's, after its first on a connection)
 * that changed nothing is logged at debug: at info, each --interval would add a line saying so
 * (1,440 a day at the default).
 */
function reportPass(logger: Logger, summary: PassSummary, memory: RunMemory, routine = false): void {
  // Not a failure of R's: E's change log holds nothing of such a root until it is back there.
  const news = awayNews(memory.unavailableOnE, summary.unavailableOnE, (name) => name);
  for (const name of news.gone) logger.warn({ code: 'ROOT_UNAVAILABLE' }, unavailableOnEWarning(name));
  for (const name of news.back) logger.info(availableOnEAgainNote(name));
  memory.unavailableOnE = summary.unavailableOnE;
  const unserved = awayNews(memory.unserved, summary.unserved, (name) => name);
  for (const name of unserved.gone) logger.warn({ code: 'UNKNOWN_BASE_DIR' }, unservedWarning(name));
  for (const name of unserved.back) logger.info(servedAgainNote(name));
  memory.unserved = summary.unserved;
  if (summary.unloggedOnE && memory.unloggedOnE !== true) logger.info(UNLOGGED_ON_E_NOTE);
  else if (!summary.unloggedOnE && memory.unloggedOnE === true) logger.info(LOGGED_ON_E_AGAIN_NOTE);
  memory.unloggedOnE = summary.unloggedOnE;
  // Files still waiting for room, said once (sayNoRoom): a pass meeting them again is routine.
  const waitingForRoom = memory.noRoom === true;
  if (routine && passChangedNothing(summary, waitingForRoom)) logger.debug(describePass(summary));
  else if (routine && memory.passLines && isRoutinePass(summary, waitingForRoom)) {
    // A file appended to 20 times a second makes as many passes: summed, not a line each.
    if (memory.passLines.note(Date.now(), summary) === 'info') logger.info(describePass(summary));
    else {
      logger.debug(describePass(summary));
      if (!memory.passTimer) {
        memory.passTimer = setTimeout(() => sayPasses(logger, memory), Math.max(0, (memory.passLines.dueAt() ?? Date.now()) - Date.now()));
        memory.passTimer.unref();
      }
    }
  } else {
    // An unusual pass is said as it is, after what was summed before it.
    sayPasses(logger, memory);
    logger.info(describePass(summary));
  }
  for (const problem of summary.problems) logger.error(`skipped ${problem.base_dir}/${problem.path}: ${problem.message}`);
  for (const note of conflictNotes(summary.conflicts)) logger.info(note);
}

/** Said once while E's disk is full under its state database: R's "up to date" is with E's log only. */
export const UNLOGGED_ON_E_NOTE = "E has changes it cannot log yet (E's disk is full); they follow when E has room.";
export const LOGGED_ON_E_AGAIN_NOTE = 'E logs its changes again; R catches up with them.';

/**
 * What to do with the pass's conflict copies: one note for file copies, one for R's files kept
 * where E has a directory now, one for directory copies.
 */
export function conflictNotes(conflicts: readonly { dir?: true; eDir?: true }[]): string[] {
  const notes: string[] = [];
  if (conflicts.some((c) => c.dir !== true && c.eDir !== true)) notes.push(CONFLICT_COPIES_NOTE);
  if (conflicts.some((c) => c.eDir === true)) notes.push(CONFLICT_COPIES_WHERE_E_DIR_NOTE);
  if (conflicts.some((c) => c.dir === true)) notes.push(CONFLICT_DIR_COPIES_NOTE);
  return notes;
}

/**
 * After a pass that made conflict copies: a copy is never sent upstream (zync's own names are
 * ignored), so `--update-upstream` would say "no local changes" while R's edit lives only there.
 */
export const CONFLICT_COPIES_NOTE =
  "Conflict copies stay on R and are never sent upstream: to send R's version to E, move the copy over the file, then run zync-client --update-upstream.";

/**
 * After a pass that kept R's file as a copy where E made a directory: no file of E's to move it
 * over (the note for file copies would say to). Under a name of its own it goes upstream as R's
 * new file; in the directory's place only once that directory is gone.
 */
export const CONFLICT_COPIES_WHERE_E_DIR_NOTE =
  "A conflict copy of a file where E now has a directory is never sent upstream, and there is no file to move it over: to send R's version to E, rename the copy to a name of its own (or move it into that directory), then run zync-client --update-upstream; to put it in the directory's place, remove the directory and rename the copy back first.";

/**
 * After a pass that kept R's directory as a copy where E put a file: no file to move it over. The
 * directory, moved back in place of E's file, goes upstream as R's directory replacing that file.
 */
export const CONFLICT_DIR_COPIES_NOTE =
  "A conflict copy of a directory holds R's directory as it was and is never sent upstream: to send it to E in place of E's file, remove that file and rename the copy back to its name, then run zync-client --update-upstream; or move out the files you want to keep.";

/** Said once a running client's files that did not fit on R's disk no longer wait (sayNoRoom). */
export const ROOM_AGAIN_NOTE = "R's disk has room again: no change waits for it any more.";

/** Said of a file that waited for room when E removed it: R's disk may be as full as before. */
export function removedWhileWaitingNote(file: { base_dir: string; path: string }): string {
  return `${file.base_dir}/${file.path} no longer waits for room on R's disk: E removed it.`;
}

/** At most this many files are named in one warning of files that newly wait for room. */
const NAMED_WAITING = 10;

/**
 * A running client's files that do not fit on R's disk: each warned of once, when it first does
 * not fit (core/room-news.ts), at debug while they still wait (each pass meets them); a wait E
 * ended by removing the file said as that; one line when none waits any more because room came.
 * A pass stopped by another failure first says nothing of the files it did not meet.
 */
function sayNoRoom(logger: Logger, summary: PassSummary, memory: RunMemory): void {
  const full = summary.failed.filter((f) => f.code === 'DISK_FULL');
  const news = roomNews(memory.roomSaid ?? new Set(), full, summary.endedWaits, summary.failed.length === 0);
  for (const file of news.removed) logger.info(removedWhileWaitingNote(file));
  if (news.newly.length > 0) {
    const named = news.newly.slice(0, NAMED_WAITING).map((f) => `${f.base_dir}/${f.path}`);
    const more = news.newly.length - named.length;
    const which = `${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
    logger.warn(
      { code: 'DISK_FULL' },
      `No space left on R's disk: ${news.newly.length} change(s) could not be written (${which}); nothing partial was kept — each is fetched again once R's disk has room for it.`,
    );
  } else if (full.length > 0) logger.debug(diskFullError(full, "each is fetched again once R's disk has room for it").message);
  if (news.roomAgain) logger.info(ROOM_AGAIN_NOTE);
  memory.roomSaid = news.said;
  memory.noRoom = news.said.size > 0;
}

/**
 * A pass that failed on a full disk under the client database (the store's DISK_FULL sentence),
 * as a running client says it: it does not end, it tries again by itself on the same connection.
 */
export function stateFullWarning(message: string, delayMs: number): string {
  const suffix = `; ${RUN_AGAIN_ADVICE}.`;
  const what = message.endsWith(suffix) ? message.slice(0, -suffix.length) : message.replace(/\.$/, '');
  return `${what}; free some space there: zync-client tries again by itself (next in ${delayMs / 1000} s, then less often, at least once a minute).`;
}

export const STATE_ROOM_AGAIN_NOTE = "R's disk has room for the client database again: passes go on.";

/** One sentence for a pass that stopped on a full disk (exit code 7). */
function diskFullError(failed: readonly Problem[], next = 'free some space and run again'): ZyncError {
  const first = failed[0]!;
  return new ZyncError(
    'DISK_FULL',
    `No space left on R's disk: ${failed.length} change(s) could not be written (the first: ${first.base_dir}/${first.path}); nothing partial was kept — ${next}.`,
  );
}

/**
 * One full pass. Resolves with the summary; rejects with a ZyncError (one sentence) on failure.
 * A pass cut by a rotation of E's token is run once more when R's token file holds a new token
 * (as a running client reconnects); a token that is still the old one ends the run (exit 4).
 */
export async function runOnce(options: RunnerOptions): Promise<PassSummary> {
  try {
    return await runOnePass(options);
  } catch (err) {
    if (!renewedRotation(options, err)) throw err;
    options.logger.info(ROTATED_NOTE);
    return runOnePass(options);
  }
}

async function runOnePass(options: RunnerOptions): Promise<PassSummary> {
  const connection = await options.connect();
  const stop = () => void connection.close();
  options.signal.addEventListener('abort', stop, { once: true });
  try {
    const summary = await options.engine.pass(connection);
    reportPass(options.logger, summary, { unavailableOnE: [], held: [], unserved: [] });
    if (options.signal.aborted) throw new ZyncError('CONNECTION_FAILED', 'Stopped before R was up to date.');
    const full = summary.failed.filter((f) => f.code === 'DISK_FULL');
    if (full.length > 0) throw diskFullError(full);
    if (summary.held.length > 0) throw offDiskError(summary.held);
    if (summary.gone.length > 0) throw goneWhileRunningError(summary.gone);
    // The run's start refused names E does not serve; E restarted without one since.
    if (summary.unserved.length > 0) throw unservedDirsError(connection.hello.dirs, summary.unserved)!;
    if (!summary.upToDate) {
      throw new ZyncError(
        'FILE_CHANGED',
        `${summary.failed.length} change(s) could not be applied yet (for example ${summary.failed[0]?.base_dir}/${summary.failed[0]?.path}: ${summary.failed[0]?.message}); run again.`,
      );
    }
    return summary;
  } catch (err) {
    if (options.signal.aborted && !isFatal(err)) throw new ZyncError('CONNECTION_FAILED', 'Stopped before R was up to date.');
    throw err;
  } finally {
    options.signal.removeEventListener('abort', stop);
    await connection.close();
  }
}

/** Says a failed attempt to reach the daemon as retryNote decides (not every attempt at warn). */
function sayRetry(logger: Logger, memory: RetryMemory, err: unknown, delay: number, key = errorText(err)): RetryMemory {
  const reason = errorText(err);
  const note = retryNote(memory, key, Date.now());
  const retrying = `${reason} Retrying in ${(delay / 1000).toFixed(1)} s.`;
  if (note.level === 'warn') logger.warn(retrying);
  else if (note.level === 'info') logger.info(`Still retrying after ${note.minutes} min: ${reason}`);
  else logger.debug(retrying);
  return note.memory;
}


const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * What tells one failure from the next for retryNote: its sentence, and for a refused token which
 * token was refused (R's file rewritten with another that E refuses too is a new refusal to say).
 */
function failureKey(options: Pick<RunnerOptions, 'tokenPresented'>, err: unknown): string {
  const refused = isZyncError(err) && err.code === 'UNAUTHORIZED';
  return refused ? `${errorText(err)} (token ${options.tokenPresented?.() ?? '?'})` : errorText(err);
}

/**
 * The run's first connection, opened before R creates anything (its local roots, a new client
 * database), so that a wrong token or address changes nothing on R. With `retry` (continuous
 * mode) an unreachable daemon is retried with backoff as runContinuous would; fatal errors
 * (a refused token, an incompatible protocol) reject at once. Null when the signal stopped it.
 */
export async function connectFirst(options: Pick<RunnerOptions, 'connect' | 'logger' | 'signal' | 'turns'> & { retry: boolean }): Promise<Connection | null> {
  const { logger, signal } = options;
  let failures = NO_FAILURE;
  for (let attempt = 0; !signal.aborted; ) {
    let connection: Connection;
    try {
      connection = await options.connect();
    } catch (err) {
      // Stopped while connecting (Connection.open gives up at once): as stopped before it.
      if (signal.aborted && !isFatal(err)) return null;
      if (!options.retry || isFatal(err) || signal.aborted) throw err;
      options.turns?.pullMissed();
      const delay = backoffDelay(attempt++, Math.random());
      failures = sayRetry(logger, failures, err, delay);
      await sleepUnlessAborted(delay, signal);
      continue;
    }
    if (!signal.aborted) return connection;
    await connection.close();
  }
  return null;
}

/** Runs until the signal aborts; rejects only on fatal errors (bad token, protocol, --dirs). */
export async function runContinuous(options: RunnerOptions): Promise<void> {
  const { logger, signal } = options;
  const memory: RunMemory = { unavailableOnE: [], held: [], unserved: [], passLines: new RoutineLines<PassSummary>(addPasses), passTimer: null };
  try {
    await runConnections(options, memory);
  } finally {
    sayPasses(logger, memory);
  }
}

async function runConnections(options: RunnerOptions, memory: RunMemory): Promise<void> {
  const { logger, signal } = options;
  let attempt = 0;
  let failures = NO_FAILURE;
  while (!signal.aborted) {
    let connection: Connection;
    try {
      connection = await options.connect();
    } catch (err) {
      const rotated = options.tokenFromFile === true && isZyncError(err) && err.code === 'UNAUTHORIZED';
      if (isFatal(err) && !rotated) throw err;
      if (signal.aborted) break;
      options.turns?.pullMissed();
      const delay = backoffDelay(attempt++, Math.random());
      failures = sayRetry(logger, failures, err, delay, failureKey(options, err));
      await waitToReconnect(options, delay, rotated);
      continue;
    }
    attempt = 0;
    failures = NO_FAILURE;
    logger.info(`connected to ${serverShown(connection.url)} (log ${connection.hello.log_id}, sequence ${connection.hello.last_sequence})`);
    let refusedToken = false;
    try {
      await serve(connection, options, memory);
    } catch (err) {
      // E rotated its token while connected: with --token-file, R's file may hold the new one by
      // the next connection (read then), so it is retried as a refusal at connecting would be.
      const rotated = options.tokenFromFile === true && isZyncError(err) && err.code === 'UNAUTHORIZED';
      if (isFatal(err) && !rotated) {
        await connection.close();
        throw err;
      }
      // R's file already holds the new token: an expected step of a rotation, said once at info
      // and tried again at once; still the old one, a refusal the user must act on.
      if (renewedRotation(options, err)) {
        logger.info(ROTATED_NOTE);
        await connection.close();
        continue;
      }
      // E rotated first: the reconnections refuse the same token until R's file holds the new one.
      // Warned of now, once, they are said at debug (sayRetry), as any failure that goes on.
      if (!signal.aborted) logger.warn(rotated ? `${errorText(err)} ${WAITING_FOR_TOKEN_FILE}` : errorText(err));
      if (rotated) failures = retryNote(NO_FAILURE, failureKey(options, err), Date.now()).memory;
      refusedToken = rotated;
    }
    await connection.close();
    if (!signal.aborted) {
      options.turns?.pullMissed();
      const delay = backoffDelay(attempt++, Math.random());
      logger.info(`disconnected; reconnecting in ${(delay / 1000).toFixed(1)} s`);
      await waitToReconnect(options, delay, refusedToken);
    }
  }
}

/** Passes on one connection until it closes or the signal aborts. */
async function serve(connection: Connection, options: RunnerOptions, memory: RunMemory): Promise<void> {
  const { engine, logger, signal } = options;
  let wanted = true;
  let wake: (() => void) | null = null;
  const request = () => {
    wanted = true;
    const w = wake;
    wake = null;
    w?.();
  };
  let lastSequence = -1;
  const unsubscribePush = connection.onPush((push) => {
    if (push.highest_sequence > lastSequence) request();
  });
  let closedWith: ZyncError | null = null;
  const unsubscribeClose = connection.onClose((err) => {
    closedWith = err;
    request();
  });
  // After an upstream pass handed to this client, or when one waits for R to pull first.
  const unsubscribeTurns = options.turns?.onPullWanted(request);
  const onAbort = () => {
    request();
    void connection.close();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const interval = setInterval(request, options.intervalSeconds * 1000);
  let retry: NodeJS.Timeout | null = null;
  /** Consecutive passes that left something unapplied (a full disk, a file still changing). */
  let failedPasses = 0;
  let firstPass = true;
  /** While set, passes wait for it: the last one failed for want of room under the client database. */
  let stateRetry: NodeJS.Timeout | null = null;
  /** Consecutive passes that failed so. */
  let stateFailures = 0;
  try {
    while (connection.isOpen && !signal.aborted) {
      if (!wanted || stateRetry) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      wanted = false;
      let summary: PassSummary;
      try {
        summary = await (options.turns ? options.turns.pull(() => engine.pass(connection)) : engine.pass(connection));
      } catch (err) {
        // The client database found no room (the store's DISK_FULL; files that do not fit are
        // the pass's failures, not thrown). Reconnecting would not make room, and each connection
        // would reset the backoff: tried again on this one, 2 s doubling to a minute, E's pushes
        // waiting meanwhile; said once, then at debug.
        if (!isZyncError(err) || err.code !== 'DISK_FULL' || !connection.isOpen || signal.aborted) throw err;
        const delay = retryDelayMs(++stateFailures);
        const line = stateFullWarning(err.message, delay);
        if (memory.stateFull === true) logger.debug(line);
        else logger.warn({ code: 'DISK_FULL' }, line);
        memory.stateFull = true;
        stateRetry = setTimeout(() => {
          stateRetry = null;
          request();
        }, delay);
        continue;
      }
      if (memory.stateFull === true) logger.info(STATE_ROOM_AGAIN_NOTE);
      memory.stateFull = false;
      stateFailures = 0;
      lastSequence = summary.sequence;
      // Held roots are looked at again by the next pass (a push, the interval), not sooner; the
      // pass that finds one back on its disk resyncs it.
      const held = awayNews(memory.held, summary.held, (dir) => dir.name);
      for (const dir of held.gone) logger.warn({ code: 'ROOT_NOT_MOUNTED' }, offDiskMessage(dir));
      for (const dir of held.back) logger.info(onDiskAgainNote(dir));
      memory.held = summary.held;
      // A root moved or deleted under the client: said once, again when a link or file takes its
      // place (said as what is there), and once when it is back.
      const gone = awayNews(memory.gone ?? [], summary.gone, (dir) => `${dir.name}\0${dir.inTheWay ?? ''}`);
      for (const dir of gone.gone) logger.warn({ code: 'ROOT_GONE' }, goneWhileRunningWarning(dir));
      for (const dir of gone.back) if (!summary.gone.some((now) => now.name === dir.name)) logger.info(backAgainNote(dir));
      memory.gone = summary.gone;
      reportPass(logger, summary, memory, !firstPass);
      sayNoRoom(logger, summary, memory);
      firstPass = false;
      failedPasses = summary.upToDate ? 0 : failedPasses + 1;
      if (!summary.upToDate && !retry) {
        const delay = retryDelayMs(failedPasses);
        retry = setTimeout(() => {
          retry = null;
          request();
        }, delay);
      }
    }
    // Closed between passes because E no longer accepts R's token (rotated): said as a refusal.
    const closed = closedWith as ZyncError | null;
    if (!signal.aborted && closed?.code === 'UNAUTHORIZED') throw closed;
  } finally {
    clearInterval(interval);
    if (retry) clearTimeout(retry);
    if (stateRetry) clearTimeout(stateRetry);
    unsubscribePush();
    unsubscribeClose();
    unsubscribeTurns?.();
    signal.removeEventListener('abort', onAbort);
  }
}
