// zync-client: parse arguments, wire the parts (token, local roots, client store, pull engine,
// connection factory), run — one pass (--once), continuous pulling, or --update-upstream — and
// map failures to one sentence and an exit code (failAndExit). Decides nothing itself.
import { existsSync } from 'node:fs';
import { hideBin } from 'yargs/helpers';
import {
  HAND_OFF_PROTOCOL,
  LOG_FORMATS,
  LOG_LEVELS,
  loadYargs,
  isZyncError,
  ZyncError,
  LockHeldError,
  createLogger,
  failAndExit,
  failWithUsage,
  helpWidth,
  homePathOption,
  ignoreClosedStdout,
  parseDirSpecs,
  realLocation,
  refusePrivatePathsInRoots,
  refuseRepeatedOptions,
  refuseUnusableRoots,
  resolveRoots,
  usageError,
  versionLine,
  resolveToken,
  TokenFile,
  tokenDigest,
  type DirSpec,
  type LogFormat,
  type LogLevel,
} from '@zync/common';
import { checkInterval, chooseProgressMode, requireServerAndDirs, requireToken } from './arguments.js';
import { openNewState, openState, refuseUnmakeableStateDir, type ClientState } from './client-state.js';
import { Connection, checkServerUrl, readCaFile } from './connection.js';
import { HoldingArea } from './holding-area.js';
import { LocalTree, removeStaleTempFiles } from './local-tree.js';
import { findMovedTrees } from './moved-roots.js';
import { giveBackOpenedDirs } from './opened-dirs.js';
import { describeSetup, handOffUpstream } from './hand-off.js';
import { HandOffServer } from './hand-off-server.js';
import { serveUpstream } from './hand-off-upstream.js';
import { PassTurns, TurnWithdrawn } from './pass-turns.js';
import { PullProgress, StatusLine, stderrAround, stderrTerminal, Ticker, UploadProgress } from './progress.js';
import { PullEngine, discardPartialDownloads, findRootsOffTheirDisk, remakeMissingRoots } from './pull-engine.js';
import { unservedDirsError } from './core/served-dirs.js';
import { connectFirst, runContinuous, runOnce } from './runner.js';
import { ClientStore } from './store/client-store.js';
import { runUpstream } from './upstream/index.js';
import { StagedRecords } from './upstream/staged-records.js';
import { upstreamRoots } from './upstream-roots.js';
import { dropStrangerRoots } from './returned-roots.js';

const PROGRAM = 'zync-client';

async function main(): Promise<void> {
  ignoreClosedStdout();
  const argv = await loadYargs()(hideBin(process.argv))
    .scriptName(PROGRAM)
    .usage("$0 --server ws://localhost:8000 --dirs NAME:LOCALPATH... [options]\n\nPulls the daemon's changes into the local directories; --update-upstream sends local edits back.")
    .option('server', { type: 'string', describe: "The daemon's WebSocket address (through the SSH tunnel)" })
    .option('db', { type: 'string', default: 'sync_client.db', coerce: homePathOption('db'), describe: 'Client state database' })
    .option('dirs', { type: 'string', array: true, describe: 'NAME:LOCALPATH pairs; NAME as served by the daemon' })
    .option('interval', { type: 'number', default: 60, describe: 'Seconds between pulls when nothing is pushed' })
    .option('once', { type: 'boolean', default: false, describe: 'One full pass, then exit (0 when up to date)' })
    .option('update-upstream', { type: 'boolean', default: false, describe: "Send R's local edits to E for review, then exit" })
    .option('new-disk', {
      type: 'string',
      array: true,
      describe: "NAMEs whose root really moved to another disk (its files copied off a removable disk, say): the disk it is on now is taken as its own, not as one that is not mounted",
    })
    .option('token', { type: 'string', describe: 'Bearer token (or ZYNC_TOKEN)' })
    .option('token-file', { type: 'string', coerce: homePathOption('token-file'), describe: 'File holding the token (mode 0600)' })
    .option('ca', { type: 'string', coerce: homePathOption('ca'), describe: "For wss://: trust this CA or the daemon's self-signed certificate (PEM)" })
    .option('progress', {
      type: 'boolean',
      describe: 'Show progress of pulls and uploads of more than a second: a status line on a terminal, else a log line every 5 s (default: on a terminal only; --no-progress: never)',
    })
    .option('log-level', { choices: LOG_LEVELS, default: 'info' as LogLevel, describe: 'Log verbosity (logs go to stderr)' })
    .option('log-format', { choices: LOG_FORMATS, default: 'text' as LogFormat, describe: 'text: a dated line per record; json: an object per line, for log collectors' })
    .requiresArg(['server', 'db', 'interval', 'token-file', 'ca', 'log-level', 'log-format', 'new-disk'])
    .conflicts('token', 'token-file')
    .check((args) => {
      refuseRepeatedOptions(args, ['dirs', 'new-disk']);
      checkInterval(args.interval);
      return true;
    })
    .strict()
    .wrap(helpWidth())
    .version(versionLine())
    .fail(failWithUsage({ program: PROGRAM, args: hideBin(process.argv) }))
    .parseAsync();
  const { server, dirs: dirArgs } = requireServerAndDirs(argv.server, argv.dirs);

  const progressMode = chooseProgressMode(argv.progress, process.stderr.isTTY === true, argv['log-level']);
  const statusLine = new StatusLine(stderrTerminal);
  const logger = createLogger(PROGRAM, argv['log-level'], { format: argv['log-format'], destination: progressMode === 'status-line' ? stderrAround(statusLine) : 2 });
  const ticker = Ticker.forMode(progressMode, logger, statusLine);
  // A second Ctrl-C exits at once: the shell's prompt should not follow a half-drawn line.
  process.on('exit', () => statusLine.clear());
  checkServerUrl(server);
  const ca = await readCaFile(argv.ca, server);
  // A token file is read at each connection (E's token rotated: rewrite the file, no restart).
  const tokenFile = argv['token-file'] === undefined ? null : await TokenFile.open(argv['token-file']);
  const fixedToken = tokenFile === null ? requireToken(await resolveToken({ token: argv.token })) : null;
  const tokenNotes = { changed: (message: string) => logger.info(message), problem: (message: string) => logger.warn(message) };
  const token = () => fixedToken ?? tokenFile!.current(tokenNotes);
  const specs = parseDirSpecs(dirArgs);
  const newDisk = new Set(argv['new-disk'] ?? []);
  const unknownDisk = [...newDisk].find((name) => !specs.some((dir) => dir.name === name));
  if (unknownDisk !== undefined) throw usageError(`--new-disk ${unknownDisk}: --dirs gives no such name`);
  // The real path: a second client given a symbolic link to the state takes the same lock.
  const dbPath = await realLocation(argv.db);
  // The database (with its WAL and lock files) in a synced directory would be scanned as R's own
  // files and sent upstream while the client writes them; a token file would be sent into E's tree.
  await refusePrivatePathsInRoots(
    specs,
    [
      { what: 'The client database', path: dbPath, advice: 'put --db outside every synced directory' },
      ...(argv['token-file'] === undefined ? [] : [{ what: 'The token file', path: argv['token-file'], advice: 'move it outside every synced directory, where --update-upstream does not send it to E' }]),
    ],
    'synced',
  );
  const upstream = argv['update-upstream'];
  // Bad input changes nothing on R (docs/guarantees.md §2): roots and a new database's directory
  // are only checked here, so one that can never be made is refused now, not after connecting
  // (which may retry for hours). A pull creates missing roots and a new database once the daemon
  // has taken the token and serves every name; --update-upstream only reads R's roots and needs
  // the state of an earlier pull.
  const isNewDb = !existsSync(dbPath);
  if (upstream && isNewDb) {
    throw new ZyncError('RESYNC_REQUIRED', 'R has not synced with E yet; run zync-client once before --update-upstream.');
  }
  await refuseUnusableRoots(specs, { allowMissing: true });
  if (isNewDb) await refuseUnmakeableStateDir(dbPath);

  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: string) => {
    if (++signals > 1) process.exit(130);
    logger.info(`${name}: stopping`);
    controller.abort();
  };
  // SIGHUP (the SSH session that started the client closed) stops it as SIGTERM does, not abruptly.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => onSignal(signal));

  let state: ClientState | null = null;
  let first: Connection | null = null;
  let staged: StagedRecords | undefined;
  let holding: HoldingArea | undefined;
  // Set in listenForHandOffs (typed wide: assigned in a closure).
  let handOff = null as HandOffServer | null;
  let listened = false;
  // The token the service's last upload connection presented (one upload runs at a time): E
  // ending it for that token (rotated) starts the upload again when R's file holds another.
  let uploadPresented: string | undefined;
  // A continuous client's passes take turns with the uploads one-shots hand to it (hand-off.ts).
  const turns = argv.once ? undefined : new PassTurns();
  // Set once made (after the service listens): an upload refused for want of a pull names the
  // files that pull waits for room for.
  let engine: PullEngine | undefined;
  const listenForHandOffs = async (store: ClientStore, turns: PassTurns) => {
    listened = true;
    handOff = await HandOffServer.listen(
      dbPath,
      serveUpstream({
        program: PROGRAM,
        setup: () => describeSetup(server, specs, token(), ca),
        store,
        dbPath,
        specs,
        open: (log, signal) => {
          uploadPresented = token();
          return Connection.open(server, { token: uploadPresented, clientId: store.clientId, logger: log, ca, signal });
        },
        tokenRenewed: () => tokenFile !== null && tokenFile.current({ problem: tokenNotes.problem }) !== uploadPresented,
        logger,
        turns,
        waitingForRoom: () => engine?.waitingForRoom() ?? [],
      }),
      logger,
    );
  };
  /** Lets go of the turn this client's start holds (after its first connection); set while held. */
  let releaseStart: () => void = () => undefined;
  try {
    if (!isNewDb) {
      try {
        state = openState(dbPath);
      } catch (err) {
        // A running client holds the state: it sends R's edits for us, if it listens for that.
        if (!(upstream && isZyncError(err) && err.code === 'IN_USE')) throw err;
        const request = {
          operation: 'UPDATE_UPSTREAM' as const,
          protocol: HAND_OFF_PROTOCOL,
          pid: process.pid,
          setup: await describeSetup(server, specs, token(), ca),
          new_disk: [...newDisk],
          log_level: argv['log-level'],
          progress: progressMode,
        };
        const holder = err instanceof LockHeldError ? err.pid : undefined;
        if (await handOffUpstream({ dbPath, request, logger, statusLine, signal: controller.signal, holder })) return;
        throw err;
      }
    }
    const clientId = state?.store.clientId ?? ClientStore.newClientId();
    // The token the last connection presented: E ending that connection for it (rotated) is
    // retried at once when R's file already holds another.
    let presented: string | undefined;
    const open = () => {
      presented = token();
      return Connection.open(server, { token: presented, clientId, logger, ca, signal: controller.signal, runOf: () => state?.store.position().run?.sequence });
    };
    // Said by the runner as the rotation it is, not as a second line about the file.
    const tokenRenewed = () => tokenFile !== null && tokenFile.current({ problem: tokenNotes.problem }) !== presented;

    if (upstream) {
      const { store } = state!;
      // Once E has accepted the connection (the token, the protocol, the names): their trouble is
      // said before a missing root's advice, which cannot help with it.
      const roots = () => upstreamRoots(specs, store, newDisk, logger);
      const names = specs.map((s) => s.name);
      await runUpstream({ store, dbPath, names, roots, connect: open, log: logger, signal: controller.signal, progress: ticker && new UploadProgress(ticker), tokenRenewed });
      return;
    }

    // From its start, not once it has reached E: a one-shot then gets an answer, not "in use",
    // while this client retries an unreachable E (for hours, maybe); the upload makes its own
    // connection, as an in-process one would, and fails as that one would while E is down.
    if (turns && state) await listenForHandOffs(state.store, turns);
    first = await connectFirst({ connect: open, logger, signal: controller.signal, retry: !argv.once, turns });
    // An upload handed over meanwhile ends before this client prepares R's roots (bindRoots,
    // remakeMissingRoots, …), which it must not overlap, and one handed over from now on waits for
    // the first pull (PassTurns.hold); a stop while it waits is a stop.
    if (first !== null && turns) {
      const release = await turns.hold(controller.signal).catch((err: unknown) => {
        if (err instanceof TurnWithdrawn) return null;
        throw err;
      });
      if (release === null) return;
      releaseStart = release;
    }
    // A name this state never synced is a mistake in --dirs: refused before R makes anything. One
    // it synced before that E does not serve now (E's daemon restarted with fewer --dirs) is
    // waited for by a continuous client, as a running one waits (PullEngine: unserved).
    const waitedFor = (name: string) => !argv.once && state?.store.boundRoot(name) !== undefined;
    const unserved = first && unservedDirsError(first.hello.dirs, specs.map((s) => s.name).filter((name) => !waitedFor(name)));
    if (unserved) throw unserved;
    // Looked at again (connecting may have retried for hours). The last wait before R changes: a
    // stop (Ctrl-C, SIGTERM) handled up to here leaves R as it was.
    const missingRoots = first === null ? [] : await refuseUnusableRoots(specs, { allowMissing: true });
    const missingWhere = await Promise.all(missingRoots.map(async (dir) => ({ ...dir, real: await realLocation(dir.root) })));
    if (first === null || controller.signal.aborted) {
      if (argv.once) throw new ZyncError('CONNECTION_FAILED', 'Stopped before R was up to date.');
      return;
    }
    // From here to R's new state and roots nothing waits, so no stop is handled half way (but
    // before they are bound, below): one that comes now stops the first pass, after them.
    if (!state) {
      // A new state's directory is made as the roots are: once the daemon has taken the token.
      state = openNewState(dbPath, clientId);
    }
    const { store } = state;
    staged = StagedRecords.open(dbPath);
    // A root whose disk seems not mounted is held: neither made again nor forgotten. A root gone
    // after it received files is fetched again, not made again empty.
    const offDisk = await findRootsOffTheirDisk(specs, store, newDisk);
    const forgotten = remakeMissingRoots(missingWhere.filter((dir) => !offDisk.some((held) => held.name === dir.name)), { store, staged, logger });
    // A held root that is missing has no real path to resolve: it stays where its disk goes.
    const heldMissing = offDisk.filter((held) => missingWhere.some((dir) => dir.name === held.name));
    const resolved = await resolveRoots(specs.filter((dir) => !heldMissing.some((held) => held.name === dir.name)));
    const dirs = [...resolved, ...heldMissing.map((held) => ({ name: held.name, root: held.real }))];
    const resumable = new Set(store.partials().map((p) => p.temp_path));
    for (const dir of dirs) {
      const removed = await removeStaleTempFiles(dir.root, resumable);
      if (removed > 0) logger.info(`removed ${removed} temp file(s) left in ${dir.root} by an interrupted run`);
    }
    // Held files a kill -9 left: stale, and the caps count from empty. Also in roots this run no
    // longer syncs (dropped from --dirs, moved): no later run would look there.
    const formerRoots = store.boundRoots().filter((bound) => !dirs.some((dir) => dir.root === bound.root));
    holding = new HoldingArea(dirs);
    const leftHeld = (await holding.empty()) + (await new HoldingArea(formerRoots).empty());
    if (leftHeld > 0) logger.info(`removed ${leftHeld} held file(s) left by an interrupted run`);
    giveBackOpenedDirs(store, logger, new Set(offDisk.map((dir) => dir.name)));
    // A root --dirs moved that is the same tree keeps its records (core/moved-roots.ts): its
    // resync then tells R's edits and deletions from E's files. Telling a copied tree may hash
    // up to half of it: a stop meanwhile ends the run before any root is bound or forgotten.
    const moved = await findMovedTrees(dirs, store, logger, controller.signal).catch((err: unknown) => {
      if (controller.signal.aborted) return null;
      throw err;
    });
    if (moved === null) {
      if (argv.once) throw new ZyncError('CONNECTION_FAILED', 'Stopped before R was up to date.');
      return;
    }
    const rootsChanged = store.bindRoots(dirs, moved);
    // A root at its place that is not the directory R synced (restored from a backup, made again
    // while no client ran or after a running one held it as gone) is fetched again.
    const strangers = await dropStrangerRoots(
      // Not a root --new-disk says was copied to another disk: its files are compared as usual.
      dirs.filter((dir) => !rootsChanged.includes(dir.name) && !newDisk.has(dir.name) && !offDisk.some((held) => held.name === dir.name)),
      { store, staged, logger, weighUnknown: true },
    );
    engine = new PullEngine(
      {
        store,
        tree: new LocalTree(dirs, store),
        logger,
        dirNames: dirs.map((d) => d.name),
        signal: controller.signal,
        progress: ticker && new PullProgress(ticker),
        staged,
        holding,
      },
      rootsChanged,
      [...forgotten, ...strangers],
    );
    // The runner's first connection is the one already open.
    const connect = () => {
      const connection = first;
      first = null;
      return connection ? Promise.resolve(connection) : open();
    };
    const tokenPresented = () => (presented === undefined ? undefined : tokenDigest(presented));
    // Looked at while a refused client waits to reconnect: the change is said here, once.
    const tokenFileRewritten = () => tokenFile !== null && tokenFile.current(tokenNotes) !== presented;
    const runner = { engine, connect, logger, signal: controller.signal, intervalSeconds: argv.interval, tokenFromFile: tokenFile !== null, tokenRenewed, tokenPresented, tokenFileRewritten };
    releaseStart();
    if (!turns) await runOnce(runner);
    else {
      // A new state listens once it is made.
      if (!listened) await listenForHandOffs(store, turns);
      await runContinuous({ ...runner, turns });
    }
  } finally {
    releaseStart();
    // Before the state closes: an upload under way for a one-shot is cancelled and awaited.
    await handOff?.close();
    await first?.close();
    staged?.close();
    // A clean stop leaves no held file (a pass's copies are over by now).
    await holding?.empty().catch(() => undefined);
    if (state) {
      // Stopped by a signal: no temp file stays behind, not even one kept to resume.
      if (controller.signal.aborted) await discardPartialDownloads(state.store).catch(() => undefined);
      state.store.close();
      state.lock.release();
    }
  }
}

// Exit only once stdout is flushed: on a pipe Node writes asynchronously, and exiting at once
// could cut off the end of what --update-upstream printed.
main().then(
  () => process.stdout.write('', () => process.exit(0)),
  (err: unknown) => failAndExit(PROGRAM, err),
);

