// Wires the daemon's parts in the order that keeps the log honest: refuse a state directory in a
// watched root or an address it cannot listen on (leaving nothing behind), open the store,
// start the watchers (their events queue up), reconcile every root with the log (so changes made
// while the daemon was down are logged before anyone is served), then listen and process live
// events. A stop asked for during start-up (config.stopping) ends it before it listens.
// On a full state disk the scan of a root stops at its first refused write and the daemon starts
// all the same (serving what it logged), the root left to a rescan that logs it once there is room.
// Stops in reverse. No argument parsing here (main.ts) and no decisions (core/).
import { mkdir, rmdir, stat } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { acquireProcessLock, checkDatabaseAccess, generateToken, realLocation, TokenFile, refusePrivatePathsInRoots, writeTokenFile, type DirSpec, type Logger, type ProcessLock } from '@zync/common';
import { watchCommits } from './commit-watcher.js';
import { MAINTENANCE_DEFAULTS, maintenanceSchedule, startMaintenance } from './maintenance.js';
import { SkippedNames } from './skipped-names.js';
import { clearTextWarning } from './core/listen-exposure.js';
import { startDiskFullError } from './core/state-disk-full.js';
import { StateDiskNotice } from './state-disk.js';
import { statePaths } from './private-locations.js';
import { reconcile } from './reconcile.js';
import { RootSet } from './roots.js';
import { DaemonServer, probeListen } from './server/server.js';
import type { UpstreamPort } from './server/upstream-port.js';
import { DaemonStore } from './store/daemon-store.js';
import { logUntracked, TreeWatcher } from './watcher.js';
import { createUpstreamPort, StagingStore } from './upstream/index.js';
import { waitingSessionsNote } from './upstream/waiting-sessions.js';

export interface DaemonConfig {
  host: string;
  port: number;
  dbPath: string;
  dirs: DirSpec[];
  /**
   * From --token or ZYNC_TOKEN, or --token-file's file (read again when it changes); undefined:
   * use or make <statedir>/zync.token (read again when it changes, too).
   */
  token: string | TokenFile | undefined;
  log: Logger;
  /** Serve wss:// with this certificate and key (--tls-cert/--tls-key). */
  tls?: { cert: Buffer; key: Buffer } | undefined;
  /** Compaction and retention schedule (--compact-interval, --tombstone-days, --retention-days). */
  maintenance?: { intervalMs: number; tombstoneMs: number; retentionMs: number } | undefined;
  /** Between whole-root rescans (--rescan-interval); 0: none; undefined: the watcher's default. */
  rescanEveryMs?: number | undefined;
  /** Aborted when a stop is asked for during start-up: the start-up scan ends at its next directory. */
  stopping?: AbortSignal | undefined;
}

export interface RunningDaemon {
  /** null: stopped during start-up, before it listened. */
  port: number | null;
  close(): Promise<void>;
}

export const TOKEN_FILE = 'zync.token';

/**
 * What the server compares a client's token with at each connection: the configured token, or the
 * one in its file (--token-file, else <statedir>/zync.token, made with mode 0600 if missing), read
 * again whenever the file changes, so that a token is rotated by rewriting its file.
 */
export async function ensureToken(stateDir: string, token: string | TokenFile | undefined, log: Logger): Promise<() => string> {
  if (typeof token === 'string') return () => token;
  let file = token;
  if (file === undefined) {
    const path = nodePath.join(stateDir, TOKEN_FILE);
    if (await stat(path).catch(() => null)) {
      log.info(`using the access token in ${path}`);
    } else {
      await writeTokenFile(path, generateToken());
      log.info(`generated an access token in ${path} (mode 0600); give it to zync-client with --token-file`);
    }
    file = await TokenFile.open(path);
  }
  const source = file;
  const notes = { changed: (message: string) => log.info(message), problem: (message: string) => log.error(message) };
  return () => source.current(notes);
}

export async function runDaemon(config: DaemonConfig): Promise<RunningDaemon> {
  const { log } = config;
  // The real path: a second daemon given a symbolic link to the database takes the same lock.
  const dbPath = await realLocation(config.dbPath);
  const stateDir = nodePath.dirname(dbPath);
  // What can refuse the start is checked before the database and token are made: a refused start
  // must leave nothing behind, least of all a generated token in a root that a daemon syncs to R.
  await refusePrivatePathsInRoots(config.dirs, statePaths(dbPath));
  const roots = await RootSet.load(config.dirs); // an ignore file it cannot read is refused
  const madeDir = await mkdir(stateDir, { recursive: true });
  let lock: ProcessLock;
  let store: DaemonStore;
  try {
    // Before the lock file and SQLite make anything beside the database: a user who would leave
    // files there the database's owner cannot write, or a second name of it, is refused.
    checkDatabaseAccess(dbPath, 'daemon', { dirMade: madeDir !== undefined });
    // The lock before the port: the same command run twice is told which daemon holds the
    // database (IN_USE), not only that the port is taken.
    lock = acquireProcessLock(`${dbPath}.lock`, 'zync-daemon', `the database ${dbPath}`);
    try {
      await probeListen(config.host, config.port);
      store = DaemonStore.open(config.dbPath);
    } catch (err) {
      lock.release();
      throw err;
    }
  } catch (err) {
    await removeMadeDirs(madeDir, stateDir);
    throw startDiskFullError(err, dbPath) ?? err;
  }
  const stateDisk = new StateDiskNotice(dbPath, log);
  const cleanup: (() => Promise<void> | void)[] = [() => lock.release(), () => store.close()];
  const closeAll = async () => {
    for (const step of cleanup.reverse()) await step();
  };

  try {
    const token = await ensureToken(stateDir, config.token, log);
    noteDirMapping(store, config.dirs, log);
    // ---- upstream wiring: the staging port lives in ./upstream (owned by the upstream helper).
    const upstream: UpstreamPort = createUpstreamPort({
      store,
      stateDir,
      dirs: config.dirs,
      log,
      rootAvailable: (name) => roots.get(name)?.available !== false,
    });
    cleanup.push(() => upstream.close?.());
    const waiting = waitingSessionsNote(new StagingStore(store.db).sessionsWithStatus('complete').map((s) => s.created), Date.now(), config.dbPath);
    if (waiting !== null) log.info(waiting);
    let notify: (highest: number) => void = () => undefined;
    const skippedNames = new SkippedNames(log);
    const watcher = new TreeWatcher({ store, roots, log, skippedNames, stateDisk, onCommit: (highest) => notify(highest), rescanEveryMs: config.rescanEveryMs });
    cleanup.push(() => watcher.close());
    const watchStarted = Date.now();
    await watcher.start(config.stopping);
    // A stop during start-up ends it here, or after the scan that it cut short: nothing is served.
    const stopped = () => config.stopping?.aborted === true;
    if (stopped()) {
      log.info('stopped while setting up the watches; the roots are scanned at the next start');
      return { port: null, close: closeAll };
    }
    log.info(`watching ${roots.all().length} root(s), ready in ${Date.now() - watchStarted} ms`);

    const started = Date.now();
    let files = 0;
    let hashed = 0;
    let logged = 0;
    const refused: string[] = [];
    for (const root of roots.all()) {
      let untracked = 0;
      let result: Awaited<ReturnType<typeof reconcile>>;
      try {
        result = await reconcile({
          store,
          root,
          log,
          skippedNames,
          record: (inputs) => {
            const done = watcher.record(inputs);
            logged += done.recorded.length;
            untracked += done.untracked;
          },
          stop: stopped,
          onDirectory: watcher.watchMissed(root.name),
        });
      } catch (err) {
        // The state disk full: the daemon starts all the same and serves what it logged. The
        // rest of this root is not scanned now: its rescan, run until it goes through, logs
        // every change the scan would have (what it got in is found unchanged). The other
        // roots are scanned still: one with nothing to log needs no room, and each is guarded.
        if (!watcher.scanRefused(root.name, err)) throw err;
        logUntracked(log, untracked, root.name);
        refused.push(root.name);
        continue;
      }
      logUntracked(log, untracked, root.name); // rules changed while stopped, or a newer zync's built-in ones
      if (!result.stopped) skippedNames.linksInRoot(root.name, result.links);
      files += result.files;
      hashed += result.hashed;
      // Held as the watcher holds it: served as unavailable (to uploads and pulls) until it is back.
      if (result.verdict.status !== 'ok') watcher.holdRoot(root, result.verdict.reason);
      if (result.stopped) break;
    }
    const cut = stopped()
      ? '; stopped before the end, the rest is scanned at the next start'
      : refused.length > 0
        ? `; not logged for want of room: what changed in ${refused.map((n) => `"${n}"`).join(', ')}, rescanned until it is`
        : '';
    log.info(`scan: ${files} files, ${hashed} hashed, ${logged} changes logged in ${Date.now() - started} ms (last sequence ${store.lastSequence()})${cut}`);
    if (stopped()) return { port: null, close: closeAll };

    const server = await DaemonServer.listen({
      host: config.host,
      port: config.port,
      token,
      log,
      tls: config.tls,
      deps: { store, roots, upstream, stateDisk, startedAt: Date.now() },
    });
    cleanup.push(() => server.close());
    notify = (highest) => server.notifyChanges(highest);
    cleanup.push(watchCommits(store, (highest) => server.notifyChanges(highest)));
    watcher.run();
    const maintenance = startMaintenance({ store, stateDir, log, stateDisk, ...(config.maintenance ?? maintenanceSchedule(MAINTENANCE_DEFAULTS)) });
    cleanup.push(() => maintenance.close());
    // As a URL a client can be given: an IPv6 address in brackets.
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const exposed = clearTextWarning(config.host, server.address, server.scheme === 'wss');
    if (exposed !== null) log.warn(exposed);
    log.info(`listening on ${server.scheme}://${host}:${server.port}`);
    return { port: server.port, close: closeAll };
  } catch (err) {
    await closeAll().catch(() => undefined);
    // A full disk before the scan (writing the token, say): exit code 7, and it has stopped: started again once there is room.
    throw startDiskFullError(err, dbPath) ?? err;
  }
}

/** Removes the directories mkdir made for the state (from `made` down to stateDir) if still empty. */
async function removeMadeDirs(made: string | undefined, stateDir: string): Promise<void> {
  if (made === undefined) return;
  for (let dir = stateDir; ; dir = nodePath.dirname(dir)) {
    await rmdir(dir).catch(() => undefined);
    if (dir === made || dir === nodePath.dirname(dir)) return;
  }
}

/** Records which root each base_dir names, warning when a name now points somewhere else. */
function noteDirMapping(store: DaemonStore, dirs: readonly DirSpec[], log: Logger): void {
  const before = new Map(store.dirs.map((d) => [d.name, d.root]));
  for (const dir of dirs) {
    const old = before.get(dir.name);
    if (old !== undefined && old !== dir.root) {
      log.warn({ base_dir: dir.name }, `"${dir.name}" was ${old} and is now ${dir.root}; its log now follows the new root`);
    }
  }
  for (const name of before.keys()) {
    if (!dirs.some((d) => d.name === name)) log.warn({ base_dir: name }, `"${name}" is no longer served; its log entries are kept`);
  }
  store.setDirs(dirs);
}
