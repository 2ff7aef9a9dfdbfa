// What a running client does with an UPDATE_UPSTREAM a one-shot hands it (one of a hand-off
// protocol this client serves: the server refuses the others): checks that the one-shot was given
// this client's daemon, token and roots (else refuses, saying what differs), then runs
// the upstream pass in its turn between two pulls (PassTurns: never during a pull), with the
// one-shot's log level and progress display, and returns the outcome as the one-shot's exit would
// be. R must pull first (E's log recreated, exit 13 in-process): this client pulls, then sends.
import { HandOffLogLevel, ZyncError, createForwardingLogger, isZyncError, type DirSpec, type HandOffDone, type HandOffSetup, type Logger, type UpdateUpstreamHandOff } from '@zync/common';
import type { Connection } from './connection.js';
import { handOffMismatch } from './core/hand-off-match.js';
import { roomHandOffRefusal } from './core/room-news.js';
import type { EntryKey } from './core/types.js';
import type { HandOffHandler, HandOffPeer } from './hand-off-server.js';
import { TurnWithdrawn, type PassTurns } from './pass-turns.js';
import { LOG_LINE_TIMING, STATUS_LINE_TIMING, Ticker, UploadProgress } from './progress.js';
import type { ClientStore } from './store/client-store.js';
import { runUpstream, stoppedError } from './upstream/index.js';
import { upstreamRoots } from './upstream-roots.js';

export interface UpstreamService {
  program: string;
  /** This client's setup, as the one-shot describes its own (describeSetup). */
  setup: () => Promise<HandOffSetup>;
  store: ClientStore;
  dbPath: string;
  specs: readonly DirSpec[];
  /** Opens a connection to the daemon for the upload, logging to `logger`, stopped by `signal`. */
  open: (logger: Logger, signal: AbortSignal) => Promise<Connection>;
  /** With --token-file: whether R's file holds another token than the upload's last connection presented (runUpstream). */
  tokenRenewed?: () => boolean;
  /** This client's own log: a line per request, with its outcome. */
  logger: Logger;
  turns: PassTurns;
  /** The files this client's pull waits for room for (PullEngine.waitingForRoom): none before it pulls. */
  waitingForRoom?: () => readonly EntryKey[];
}

const failed = (err: unknown): HandOffDone =>
  isZyncError(err)
    ? { operation: 'DONE', status: 'error', code: err.code, error: err.message }
    : { operation: 'DONE', status: 'error', code: null, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };

export function serveUpstream(service: UpstreamService): HandOffHandler {
  return async (request, peer) => {
    const { logger, turns } = service;
    const mismatch = handOffMismatch(await service.setup(), request.setup, process.pid);
    if (mismatch !== null) {
      logger.info(`--update-upstream of pid ${request.pid} refused: ${mismatch}`);
      return { operation: 'DONE', status: 'error', code: 'BAD_ARGUMENT', error: mismatch };
    }
    logger.info(`--update-upstream handed over by pid ${request.pid}`);
    const log = createForwardingLogger(service.program, request.log_level, ({ level, msg, fields }) =>
      peer.send({ operation: 'LOG', level: HandOffLogLevel.catch('info').parse(level), msg, fields }),
    );
    log.info(`the zync-client running on this state (pid ${process.pid}) sends R's edits`);
    if (turns.running === 'pull') log.info("it is pulling E's changes; the upload starts once that pass ends");
    if (turns.running === 'upstream') log.info('it is sending for another --update-upstream; this one starts once that one ends');
    try {
      await sendFor(service, request, peer, log);
      logger.info(`--update-upstream of pid ${request.pid}: done`);
      return { operation: 'DONE', status: 'ok' };
    } catch (err) {
      logger.info(`--update-upstream of pid ${request.pid}: ${err instanceof Error ? err.message : String(err)}`);
      // Stopped here (systemctl stop), not by the one-shot's Ctrl-C: said as such.
      if (peer.stopping.aborted && isZyncError(err) && err.code === 'CONNECTION_FAILED') {
        return failed(new ZyncError('CONNECTION_FAILED', `The running zync-client (pid ${process.pid}) stopped before the upload finished; E keeps nothing of this attempt — run --update-upstream again.`));
      }
      return failed(err);
    }
  };
}

async function sendFor(service: UpstreamService, request: UpdateUpstreamHandOff, peer: HandOffPeer, log: Logger): Promise<void> {
  const { signal } = peer;
  // The one-shot's --new-disk only: this client's own was for its start (a flag left in its unit
  // would otherwise take every unplugged disk's mount point as the root, and send its deletions).
  const newDisk = new Set(request.new_disk);
  const pass = async () => {
    const ticker = tickerFor(request.progress, peer, log);
    await runUpstream({
      store: service.store,
      dbPath: service.dbPath,
      names: service.specs.map((s) => s.name),
      roots: () => upstreamRoots(service.specs, service.store, newDisk, log),
      connect: () => service.open(log, signal),
      log,
      print: (line) => peer.send({ operation: 'PRINT', line }),
      signal,
      progress: ticker && new UploadProgress(ticker),
      runningClient: process.pid,
      // This client's connection is the one E cuts, so its token file decides, not the one-shot's.
      tokenRenewed: service.tokenRenewed,
    });
  };
  // Ctrl-C while it waits behind a pull ends it at once, not once that pull is over.
  const once = () =>
    service.turns.upstream(pass, signal).catch((err: unknown) => {
      throw err instanceof TurnWithdrawn ? stoppedError() : err;
    });
  try {
    await once();
  } catch (err) {
    if (!(isZyncError(err) && err.code === 'RESYNC_REQUIRED') || signal.aborted) throw err;
    // The one-shot would say "run zync-client once": this client is that run.
    log.info(`${err.message.replace(/[;,].*$/, '')}: pulling first, then sending`);
    await service.turns.nextPullEnd(signal);
    if (signal.aborted) throw stoppedError();
    try {
      await once();
    } catch (again) {
      // Its pull ended without bringing R up to date: "again after that pull" cannot help while
      // a file waits for room, which no pull ends.
      if (!(isZyncError(again) && again.code === 'RESYNC_REQUIRED')) throw again;
      const room = roomHandOffRefusal(again.message, service.specs.map((s) => s.name), service.waitingForRoom?.() ?? []);
      throw room === null ? again : new ZyncError('DISK_FULL', room);
    }
  }
}

/** The one-shot's progress display, drawn from here: its status line, or log lines. */
function tickerFor(mode: UpdateUpstreamHandOff['progress'], peer: HandOffPeer, log: Logger): Ticker | undefined {
  if (mode === 'status-line') {
    return new Ticker(
      (text) => peer.send({ operation: 'PROGRESS', text }),
      () => peer.send({ operation: 'PROGRESS', text: null }),
      STATUS_LINE_TIMING,
    );
  }
  if (mode === 'log-lines') return new Ticker((text) => log.info(text), () => undefined, LOG_LINE_TIMING);
  return undefined;
}
