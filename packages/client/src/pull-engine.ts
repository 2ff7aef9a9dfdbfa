// One pull pass over one connection: decide where to start (resume after the last
// acknowledged sequence, or a full resync from 0), page through GET_CHANGES (the next page is
// requested while the current one is applied), apply each collapsed page, then the batch
// barrier — files were fsynced before their rename, touched directories are fsynced once — and
// only then record the batch and acknowledge it. A resync ends with the sweep of paths the
// daemon no longer has. Failed entries hold the cursor back and are retried; nothing is skipped
// silently, but a file that did not fit on R's disk is not fetched again until there is room for
// it (core/room-waits.ts), and the pages after it are still read and applied (core/room-pages.ts).
// A pass that brings R up to date then looks again at the directories E deleted that R
// kept for its own files (prune-kept-dirs.ts). Each pass first looks whether a root is off the
// disk it was synced on (core/root-disks.ts), or gone since the run's start, moved or deleted
// (core/vanished-roots.ts: the start made the missing ones): one that is is held — left alone, not
// made again, its records kept, its changes passed over and resynced once it is back.
// Reconnecting and scheduling passes is the runner's job, not this one's.
import { rmdir, unlink } from 'node:fs/promises';
import { MAX_CHANGES_PAGE, MAX_STATUS_IDS, sleepUnlessAborted, ZyncError, isZyncError, loadIgnoreMatcher, makeRoots, realLocation, type ChangeEntry, type DirSpec, type GetChangesResponse, type Logger } from '@zync/common';
import { applyBatch, failureKey, type BatchResult, type ConflictReport, type Problem } from './apply-batch.js';
import type { Connection } from './connection.js';
import { collapseChanges, dirChangesOf, placementsOf } from './core/collapse.js';
import { LateMoves } from './core/late-moves.js';
import { failureReasons, isRoutineRetry } from './core/failure-causes.js';
import { missingRootWarning, rootsToFetchAgain, type MissingRoot } from './core/missing-roots.js';
import { sessionsStillReturning, type StagedAtPath } from './core/plan-pull.js';
import { entriesToApply, heldSequence, nextWaiting, readAgain, type ReadThrough, type Waiting } from './core/room-pages.js';
import { offDiskError, rootsOffTheirDisk, type Disk } from './core/root-disks.js';
import { isSameTreeBack, judgeRootDirectory, otherTreeBackWarning, rootsGoneWhileRunning, type GoneRoot } from './core/vanished-roots.js';
import { dropStrangerRoots, rootIdAt } from './returned-roots.js';
import { weighReturn } from './moved-roots.js';
import type { EndedWait } from './core/room-news.js';
import { mayFetch, noteNoRoom, type Room, type RoomWait } from './core/room-waits.js';
import { decideStart } from './core/start-position.js';
import { MADE_DIR_MODE } from './core/dir-modes.js';
import { dirsAbove, dirsReplacedByFiles, leftPlacements, planSweep, splitIgnored } from './core/sweep.js';
import { entryKeyString, type EntryKey } from './core/types.js';
import type { HoldingArea } from './holding-area.js';
import { diskOf, lstatState, roomAt, type LocalTree } from './local-tree.js';
import { pruneKeptDirs } from './prune-kept-dirs.js';
import { keepsPermissionBits } from './root-modes.js';
import type { ClientStore } from './store/client-store.js';
import type { StagedRecord } from './upstream/plan-upstream.js';
import type { StagedRecords } from './upstream/staged-records.js';

export interface PullOptions {
  store: ClientStore;
  tree: LocalTree;
  logger: Logger;
  /** base_dirs (names) this client syncs. */
  dirNames: readonly string[];
  /** Downloads in flight at once. */
  maxDownloads?: number;
  pageSize?: number;
  /** Attempts within one pass when some entries fail (FILE_CHANGED, ...). */
  attempts?: number;
  retryDelayMs?: (attempt: number) => number;
  signal?: AbortSignal | undefined;
  /** Told where each pass stands (a progress display). */
  progress?: PassObserver | undefined;
  /**
   * R's staged upstream records (staged-records.ts): E's change that is one of them is R's own
   * edit back; those whose content came back are forgotten.
   */
  staged?: Pick<StagedRecords, 'lookup' | 'forgetReturned' | 'forgetSettled' | 'forgetBaseDir'> | undefined;
  /**
   * Where files deleted for E's deletions wait a few minutes to be copied from (holding-area.ts),
   * trimmed at each pass's end. Without it, they are unlinked.
   */
  holding?: HoldingArea | undefined;
}

/** Follows a pass: what the connection has received so far, and the log position as pages land. */
export interface PassObserver {
  /** `resyncing`: the pass continues (or starts) a resync, which counts from 0 whatever run began it. */
  begin(received: Readonly<{ files: number; bytes: number }>, sequence: number, highestSequence: number, resyncing?: boolean): void;
  position(appliedSequence: number, highestSequence: number): void;
  end(): void;
}

export interface PassSummary {
  downloaded: number;
  /** Of those, downloads resumed where a cut-short one stopped. */
  resumed: number;
  /** Of those, files E appended to that R extended from its own copy: only E's new bytes crossed. */
  extended: number;
  copied: number;
  /** Bytes that crossed the wire (a resumed or extended download's count starts at its offset). */
  bytes: number;
  deleted: number;
  dirsCreated: number;
  dirsDeleted: number;
  attributes: number;
  conflicts: ConflictReport[];
  /** Entries skipped for good (unsafe paths, unknown base dirs). */
  problems: Problem[];
  /** Entries still not applied at the end of the pass (their sequences are not acknowledged). */
  failed: Problem[];
  /** The acknowledged sequence after the pass. */
  sequence: number;
  /** true when R reached the end of the daemon's log with nothing left to retry. */
  upToDate: boolean;
  resynced: boolean;
  /** Roots left alone this pass: not on the disk they were synced on (core/root-disks.ts). */
  held: MissingRoot[];
  /** Roots left alone this pass: gone since the run's start, moved or deleted (core/vanished-roots.ts). */
  gone: GoneRoot[];
  /** Of this run's roots, those E said it holds as unavailable (GET_CHANGES): R may be behind for them. */
  unavailableOnE: string[];
  /** E said changes it saw wait to be logged (its disk full, GET_CHANGES `unlogged_changes`): R is up to date with E's log only. */
  unloggedOnE: boolean;
  /**
   * Of this run's roots, those E no longer serves (its daemon restarted without them in --dirs):
   * left alone as held ones are, and resynced on the pass that finds them served again.
   */
  unserved: string[];
  /** Files that waited for room and no longer do: they arrived, or E removed them (core/room-news.ts). */
  endedWaits: EndedWait[];
}

export function emptySummary(): PassSummary {
  return {
    unavailableOnE: [],
    unloggedOnE: false,
    downloaded: 0,
    resumed: 0,
    extended: 0,
    copied: 0,
    bytes: 0,
    deleted: 0,
    dirsCreated: 0,
    dirsDeleted: 0,
    attributes: 0,
    conflicts: [],
    problems: [],
    failed: [],
    sequence: 0,
    upToDate: false,
    resynced: false,
    held: [],
    gone: [],
    unserved: [],
    endedWaits: [],
  };
}


export class PullEngine {
  private readonly options: PullOptions;
  /** Connections whose HELLO was already compared with the stored position. */
  private readonly checked = new WeakSet<Connection>();
  /** Root changes found at start (their entries were dropped): forces one resync. */
  private rootsChanged: string[] = [];
  /** Roots the run's start found missing, made again and forgot (remakeMissingRoots), not yet resynced. */
  private missing: string[] = [];
  /** Roots held as gone (core/vanished-roots.ts) that no directory has been found at again since. */
  private gone: GoneRoot[] = [];
  /** The names this pass pulls: dirNames but the held roots. */
  private active: readonly string[];
  /** Failures warned of that the last pass still met (apply-batch.ts failureKey). */
  private readonly warnedFailures = new Set<string>();
  /** Base dirs said to keep no permission bits (apply-batch.ts noteModeless). */
  private readonly modelessRoots = new Set<string>();
  /** Whether each root (by its path) keeps permission bits: looked at once per run (root-modes.ts). */
  private readonly rootKeepsModes = new Map<string, Promise<boolean>>();
  /** The identity of each root directory this pass pulls into, as it began (recordRootDisks). */
  private passIds: ReadonlyMap<string, string | undefined> = new Map();
  /** The disk each root was on when this pass looked (checkDisks). */
  private passDisks: ReadonlyMap<string, Disk> = new Map();
  /** Files that did not fit on R's disk, by entryKeyString: fetched again once there is room (core/room-waits.ts). */
  private readonly roomWaits = new Map<string, RoomWait>();
  /** `missing`: the roots the caller made again and forgot at start (remakeMissingRoots). */
  constructor(options: PullOptions, rootsChanged: readonly string[] = [], missing: readonly string[] = []) {
    this.options = options;
    this.rootsChanged = [...rootsChanged];
    this.missing = [...missing];
    this.active = options.dirNames;
  }

  /** Pulls until R is up to date (or attempts run out); throws on connection-level failures. */
  async pass(connection: Connection): Promise<PassSummary> {
    const { store, logger } = this.options;
    const hello = connection.hello;
    const summary = emptySummary();
    // A name E stopped serving is not R's to give up: the run checked at its start that E served
    // every name, so E's daemon was restarted without it. Left alone like a held root until E
    // serves it again (its entries are not handed out meanwhile, so it is resynced then).
    summary.unserved = this.options.dirNames.filter((name) => !hello.dirs.includes(name));
    const disks = this.options.tree.rootDisks().filter((dir) => !summary.unserved.includes(dir.name));
    this.passDisks = new Map(disks.map((dir) => [dir.name, dir]));
    summary.held = rootsOffTheirDisk(disks.map((dir) => ({ ...dir, real: dir.root })), store);
    const heldOtherwise = new Set([...summary.held.map((dir) => dir.name), ...summary.unserved]);
    // The run's start made the missing roots: one not there as a directory now went under it (a
    // mv, an rm -rf, a link put in its place).
    summary.gone = rootsGoneWhileRunning(this.options.tree.goneRoots(), heldOtherwise);
    const held = new Set([...heldOtherwise, ...summary.gone.map((dir) => dir.name)]);
    // Those held as gone that a directory is at again: the tree that went, or another.
    const back = this.gone.filter((dir) => !held.has(dir.name) && lstatState(dir.root).kind === 'dir');
    this.gone = [...summary.gone, ...this.gone.filter((dir) => !back.includes(dir) && !summary.gone.some((now) => now.name === dir.name))];
    // Before R's records are trusted: a root that is not the directory R synced (made again after
    // it went, restored from a backup) has them dropped and is resynced.
    const present = this.options.dirNames.filter((name) => !held.has(name)).map((name) => ({ name, root: this.options.tree.root(name) }));
    const strangers = await dropStrangerRoots(present, { store, staged: this.options.staged, logger });
    this.missing.push(...strangers);
    for (const dir of back) if (!strangers.includes(dir.name)) await this.takeBack(dir);
    this.passIds = new Map(present.map((dir) => [dir.name, rootIdAt(dir.root)]));
    this.options.tree.hold(held);
    this.active = this.options.dirNames.filter((name) => !held.has(name));
    const pulled = new Set(store.pulledDirs());
    const uncovered = this.active.filter((name) => !pulled.has(name));
    // HELLO describes the log as it was when the connection opened: the start is decided once
    // per connection. Later passes resume (a log compacted meanwhile answers RESYNC_REQUIRED),
    // unless the run's start forgot a missing root, or one held by an earlier pass is back (not
    // covered): it is resynced on this connection.
    if (!this.checked.has(connection) || this.missing.length > 0 || uncovered.length > 0) {
      const decision = decideStart(store.position(), hello, this.rootsChanged, uncovered, this.missing);
      if (decision.kind === 'resync') {
        logger.info(`full resync: ${decision.reason}`);
        store.startResync(hello.log_id, hello.last_sequence, decision.restored === true);
      }
      // After startResync: a kill -9 in between must not leave a name covered that was not pulled.
      store.setPulledDirs(this.active);
      this.checked.add(connection);
      this.rootsChanged = [];
      this.missing = [];
    } else if (held.size > 0 && [...held].some((name) => pulled.has(name))) {
      // Before its changes are passed over: the pass that has it back resyncs it.
      store.setPulledDirs([...pulled].filter((name) => !held.has(name)));
    }
    summary.resynced = store.position().resyncing;
    const progress = this.options.progress;
    progress?.begin(connection.received, store.position().sequence, hello.last_sequence, store.position().resyncing);
    try {
      await this.passAttempts(connection, summary);
    } finally {
      progress?.end();
    }
    const dropped = await this.options.holding?.purge().catch((err: unknown) => {
      logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'could not trim the holding area');
      return 0;
    });
    if (dropped) logger.debug(`dropped ${dropped} held file(s) from the holding area`);
    summary.sequence = store.position().sequence;
    // One that no longer fails is warned of again if it fails again.
    const stillFailing = new Set(summary.failed.map(failureKey));
    for (const key of this.warnedFailures) if (!stillFailing.has(key)) this.warnedFailures.delete(key);
    this.recordRootDisks(this.passDisks);
    return summary;
  }

  /**
   * Before a batch and before its record: a root whose disk went away since the pass looked
   * (unmounted meanwhile) stops the pass. What the batch wrote since went into the mount point
   * left behind; recorded (and acknowledged) as received, it would make the files on the disk look
   * like R's edits once it is back. Unrecorded, the next pass holds the root (core/root-disks.ts).
   */
  /** A root a write this run showed to keep no bits needs no look (noteModeless in apply-batch). */
  private keepsModes(baseDir: string): Promise<boolean> {
    if (this.modelessRoots.has(baseDir)) return Promise.resolve(false);
    const root = this.options.tree.root(baseDir);
    let keeps = this.rootKeepsModes.get(root);
    if (!keeps) this.rootKeepsModes.set(root, (keeps = keepsPermissionBits(root)));
    return keeps;
  }

  private checkDisks(): void {
    const { tree } = this.options;
    for (const name of this.active) {
      const atStart = this.passDisks.get(name);
      const now = atStart && diskOf(tree.root(name));
      if (atStart && now && now.dev !== atStart.dev) {
        throw offDiskError([{ name, root: tree.root(name) }], 'the pass stopped before recording what it wrote there');
      }
    }
  }

  /** The files that wait for room on R's disk now (core/room-waits.ts). */
  waitingForRoom(): EntryKey[] {
    return [...this.roomWaits.keys()].map((key) => {
      const at = key.indexOf('\0');
      return { base_dir: key.slice(0, at), path: key.slice(at + 1) };
    });
  }

  /** Why a file that did not fit before is not fetched now (core/room-waits.ts); null: fetch it. */
  private waitsForRoom(entry: ChangeEntry, abs: string): ZyncError | null {
    const wait = this.roomWaits.get(entryKeyString(entry));
    if (wait === undefined) return null;
    const room = roomAt(abs);
    if (mayFetch(wait, entry.size, room, Date.now())) return null;
    const free = room === null ? '' : `, ${mib(room.freeBytes)} free there`;
    return new ZyncError('DISK_FULL', `Not fetched: it did not fit on R's disk (${mib(entry.size)}${free}); it is fetched again once there is room for it.`);
  }

  /** After a batch: the files tried that did not fit wait for room; those applied or gone wait no more. */
  private noteRoom(entries: readonly ChangeEntry[], result: BatchResult, summary: PassSummary): void {
    const tried = result.failed.filter((p) => p.code === 'DISK_FULL' && p.untried === undefined);
    if (this.roomWaits.size === 0 && tried.length === 0) return;
    const end = (keys: readonly { base_dir: string; path: string }[], removed: boolean) => {
      for (const key of keys) if (this.roomWaits.delete(entryKeyString(key))) summary.endedWaits.push({ base_dir: key.base_dir, path: key.path, removed });
    };
    end(result.upserts, false);
    // A deletion applied, or a fetch E answered NOT_FOUND: E no longer has the file.
    end([...result.removals, ...result.skipped], true);
    const byKey = new Map(entries.map((entry) => [entryKeyString(entry), entry]));
    for (const problem of tried) {
      const key = entryKeyString(problem);
      const entry = byKey.get(key);
      if (entry === undefined) continue;
      let room: Room | null = null;
      try {
        room = roomAt(this.options.tree.resolve(problem.base_dir, problem.path));
      } catch {
        // Not resolvable now: its retry is timed.
      }
      this.roomWaits.set(key, noteNoRoom(this.roomWaits.get(key), entry.size, room, Date.now()));
    }
  }

  /**
   * The disk of each root this pass pulled into, for the next passes (core/root-disks.ts): where
   * what R received now is. Not for a root that moved to another device during the pass, nor one
   * still missing; written only when it differs from the one recorded (a device number given
   * afresh at the same mount point is recorded too).
   */
  private recordRootDisks(atStart: ReadonlyMap<string, Disk>): void {
    const { store, tree } = this.options;
    for (const name of this.active) {
      const root = tree.root(name);
      if (lstatState(root).kind !== 'dir') continue;
      const disk = diskOf(root);
      const recorded = store.rootDisk(name);
      if (disk === undefined || disk.dev !== atStart.get(name)?.dev) continue;
      if (recorded?.dev !== disk.dev || recorded.mountPoint !== disk.mountPoint) store.recordRootDisk(name, root, disk);
      // The directory this pass began and ended with: the one R's records now describe.
      const id = rootIdAt(root);
      if (id !== undefined && id === this.passIds.get(name) && store.rootId(name) !== id) store.recordRootId(name, root, id);
    }
  }

  /**
   * A root held as gone with a directory at its place again: the tree that went keeps its records
   * (caught up by the resync of a root held before); another directory is fetched again as a
   * root found missing at a start is, its records (and staged ones) forgotten first, with a warning.
   */
  private async takeBack(dir: MissingRoot): Promise<void> {
    const { store, staged, logger } = this.options;
    if (!store.hasRecords(dir.name)) return;
    // The directory R recorded, moved back: the proof R's files could not give (most edited).
    const now = rootIdAt(dir.root);
    if (now !== undefined && judgeRootDirectory(store.rootId(dir.name), now) === 'same') return;
    const evidence = await weighReturn(dir.name, dir.root, store);
    if (isSameTreeBack(evidence)) return;
    logger.warn({ code: 'ROOT_GONE' }, otherTreeBackWarning(dir, evidence));
    staged?.forgetBaseDir(dir.name);
    store.forgetBaseDir(dir.name);
    this.missing.push(dir.name);
  }

  /** Pulls, retrying what failed, until R is up to date or attempts run out. */
  private async passAttempts(connection: Connection, summary: PassSummary): Promise<void> {
    const { store, logger } = this.options;
    const attempts = this.options.attempts ?? 4;
    const delay = this.options.retryDelayMs ?? ((attempt: number) => 250 * 2 ** attempt);
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        // E's files rewritten under their download are routine under churn: the retry fetches
        // their newer state. A pass that still fails says why at info (describePass).
        const line = `retrying ${summary.failed.length} change(s) that could not be applied (${failureReasons(summary.failed)})`;
        if (isRoutineRetry(summary.failed)) logger.debug(line);
        else logger.info(line);
        await sleepUnlessAborted(delay(attempt - 1), this.options.signal);
      }
      if (this.options.signal?.aborted) break;
      summary.failed = [];
      const reachedEnd = await this.pullLog(connection, summary);
      // A full disk does not clear up within a pass: report it rather than download again. What
      // else failed past the files waiting for room is retried (those are not fetched again).
      if (!reachedEnd && summary.failed.length > 0 && summary.failed.every((f) => f.code === 'DISK_FULL')) break;
      if (!reachedEnd) continue;
      if (store.position().resyncing) {
        // Each root counts as synced once its own sweep ended: one that keeps failing (a file
        // R cannot delete) holds the resync open, not the names whose part of it is done.
        const ended = await this.sweep(connection, summary);
        if (ended.length < this.active.length) {
          store.markSynced(ended);
          continue;
        }
        store.finishResync(this.active);
      }
      summary.upToDate = summary.failed.length === 0;
      // Every path a stopped batch touched came again in this pass and is recorded: its mark goes.
      if (summary.upToDate) store.finishBatches(this.active);
      break;
    }
    if (summary.upToDate) {
      this.roomWaits.clear();
      // Up to date, nothing waits for the bytes a cut-short download kept.
      await discardPartialDownloads(store);
      summary.dirsDeleted += await pruneKeptDirs(store, this.options.tree, logger);
    }
  }

  /**
   * Pages through the log from the stored position; true when it reached the end cleanly. Files
   * waiting for room do not stop it: later pages are read and applied while those hold R's
   * acknowledged position just before them (core/room-pages.ts). Another failure stops it there.
   */
  private async pullLog(connection: Connection, summary: PassSummary): Promise<boolean> {
    const { store, logger } = this.options;
    const limit = this.options.pageSize ?? MAX_CHANGES_PAGE;
    // A resync asks for E's current entries only: a superseded content of a path must not rewind
    // R's file (nor meet R's edit as E's change). An older daemon answers with its whole history.
    // Not where every name is new to R (a first sync, a root taken for another directory) in E's
    // own log: there E's history tells E's old contents in R's files from R's own, as before.
    const currentOnly = (): boolean =>
      store.position().resyncing && (store.resyncAgainstForgottenLog() || this.active.some((name) => store.passedThrough(name) > 0));
    const getPage = (since: number) =>
      connection.request('GET_CHANGES', { since_sequence: since, limit, ...(currentOnly() ? { current_only: true } : {}) });
    // `since`: where the next page starts; `position`: what R acknowledged, behind it while files wait.
    let since = store.position().sequence;
    let position = since;
    let waiting: Waiting = new Map();
    const { log_id } = connection.hello;
    // How far a pass read E's log past R's position while files waited for room, and which entries
    // still waited then: a later pass re-reading those pages applies only these (core/room-pages.ts,
    // readAgain). Kept in R's state with each page's commit, so a run after a restart re-reads as well.
    const readBefore = (): ReadThrough | null => {
      const through = store.readThrough();
      return through !== null && through.log_id === log_id && through.generation === store.position().generation ? through : null;
    };
    let next: Promise<GetChangesResponse> | null = getPage(since);
    // The last acknowledgement sent, not yet confirmed: R's position is its own store, so the next
    // page is applied while the daemon records it (one round trip less per page through a tunnel).
    // Each is confirmed before the next is sent and before the pass ends, so an error still ends it.
    let acked: Promise<unknown> = Promise.resolve();
    // Deletions said as "deleted or moved" that a later page of this pass may show were moves.
    const lateMoves = new LateMoves();
    const confirmed = async <T>(value: T): Promise<T> => {
      await acked;
      return value;
    };
    while (next) {
      let page: GetChangesResponse;
      try {
        page = await next;
      } catch (err) {
        if (isZyncError(err) && err.code === 'RESYNC_REQUIRED') {
          logger.info('full resync: the daemon no longer holds the log after this client\'s position');
          store.startResync(connection.hello.log_id);
          summary.resynced = true;
          since = 0;
          position = 0;
          waiting = new Map();
          summary.failed = summary.failed.filter((f) => f.code !== 'DISK_FULL');
          this.options.progress?.position(0, connection.hello.last_sequence);
          next = getPage(0);
          continue;
        }
        throw err;
      }
      if (page.from_sequence !== since || page.to_sequence < since || (page.more_available && page.to_sequence === since)) {
        throw new ZyncError('BAD_MESSAGE', `The daemon answered changes after ${since} with the range (${page.from_sequence}, ${page.to_sequence}].`);
      }
      // The last page's word stands: E's roots as they are at the end of the pass. Of every root
      // this client syncs, held on R or not: it is E's word, and the runner tells changes of it.
      summary.unavailableOnE = this.options.dirNames.filter((name) => page.unavailable_dirs?.includes(name) === true);
      summary.unloggedOnE = page.unlogged_changes === true;
      next = page.more_available ? getPage(page.to_sequence) : null;
      next?.catch(() => undefined); // observed when awaited; a failed pass may drop it
      const collapsed = collapseChanges(page.changes);
      // Behind R's position while a file waited for room, R applied these already: not again.
      const entries = readAgain(entriesToApply(collapsed, store.getEntries(collapsed), store.position().generation), readBefore());
      if (store.position().resyncing) await this.sweepBelowReplacedDirs(connection, entries, summary);
      // Noted from the whole page, not only the collapsed entries: see placementsOf.
      const result = await this.applyEntries(connection, entries, summary, page.changes, page.more_available);
      for (const { from, to } of lateMoves.complete(entries)) {
        logger.info(`E moved ${from.base_dir}/${from.path} to ${to.base_dir}/${to.path} (its deletion and its add came in different pages of E's log); R's version of it is kept as ${from.base_dir}/${from.copy}`);
      }
      lateMoves.remember(result.conflicts.flatMap((c) => (c.unpairedContent === undefined ? [] : [{ base_dir: c.base_dir, path: c.path, copy: c.copy, content: c.unpairedContent }])));
      const byKey = new Map(entries.map((entry) => [entryKeyString(entry), entry]));
      const noRoom = result.failed.filter((f) => f.code === 'DISK_FULL').flatMap((f) => byKey.get(entryKeyString(f)) ?? []);
      waiting = nextWaiting(waiting, collapsed, noRoom);
      // A wait a later page resolved (E deleted or rewrote the file) is no failure of this pass.
      summary.failed = summary.failed.filter((f) => f.code !== 'DISK_FULL' || waiting.get(entryKeyString(f)) === f.sequence);
      const stopping = result.failed.filter((f) => f.code !== 'DISK_FULL');
      const ack = heldSequence(position, page.to_sequence, waiting, stopping.map((f) => f.sequence));
      // Before the commit (the effects of what was applied are durable already): after a kill -9
      // between the two the page is pulled again to the same end, while a record kept past a
      // deletion this batch made would be staged back to E as R's undo (plan-reverts.ts).
      const failedKeys = new Set(result.failed.map(entryKeyString));
      const committed = page.changes.filter((c) => c.sequence <= ack || !failedKeys.has(entryKeyString(c)));
      this.checkDisks();
      this.options.staged?.forgetReturned(
        connection.hello.log_id,
        placementsOf(committed, this.active),
        dirChangesOf(committed, this.active),
      );
      const done = new Set(committed.map(entryKeyString));
      this.options.staged?.forgetSettled(connection.hello.log_id, result.settled.filter((s) => done.has(entryKeyString(s))));
      // Only once this pass read as far as the last one did (its waiting entries are all known
      // then), and not past an entry that failed otherwise: that one is applied again, not skipped.
      const before = readBefore();
      const readThrough =
        stopping.length === 0 && waiting.size > 0 && (before === null || page.to_sequence >= before.sequence)
          ? { log_id, generation: store.position().generation, sequence: page.to_sequence, waiting: new Map(waiting) }
          : undefined;
      store.commitBatch({ upserts: result.upserts, removals: result.removals, kept: result.keptDirs, unserved: result.unserved, confirmed: result.confirmed, sequence: ack, run: page.run_id === undefined ? null : { run_id: page.run_id, sequence: page.to_sequence }, endsBatch: this.active, readThrough });
      // E answered the last acknowledgement `recorded: false` (its disk was full): acknowledged
      // again even with nothing new, so E's note catches up once there is room. Kept in R's
      // state, not in memory: the next pass may be the next --once run's.
      if (ack > position || page.changes.length > 0 || store.ackUnrecorded()) {
        await acked;
        acked = connection.request('ACK_CHANGES', { sequence_number: ack }).then((answer) => {
          store.setAckUnrecorded(answer.recorded === false);
        });
        acked.catch(() => undefined); // observed when awaited; a failed pass may drop it
      }
      since = page.to_sequence;
      position = ack;
      this.options.progress?.position(ack, page.highest_sequence);
      if (stopping.length > 0) return confirmed(false);
      if (this.options.signal?.aborted) return confirmed(false);
    }
    return confirmed(waiting.size === 0);
  }

  /**
   * After a full pass: recorded paths the daemon did not confirm are deleted on E. Returns the
   * roots whose sweep ended: nothing failed there and nothing is left unconfirmed.
   */
  private async sweep(connection: Connection, summary: PassSummary): Promise<string[]> {
    const { store } = this.options;
    const position = store.position();
    const ended: string[] = [];
    for (const baseDir of this.active) {
      let clean = true;
      // Read after the pass: R's copy of E's .zyncignore as E has it now.
      const ignored = await loadIgnoreMatcher(this.options.tree.root(baseDir));
      let after = '';
      for (;;) {
        const unseen = store.unseenEntries(baseDir, position.generation, after, MAX_CHANGES_PAGE);
        if (unseen.length === 0) break;
        after = unseen[unseen.length - 1]!.path;
        const { sweep, kept } = splitIgnored(unseen, ignored);
        const result = await this.applyEntries(connection, planSweep(sweep, position.sequence, Date.now()), summary);
        // A path refused for good (below a symbolic link R put in a directory's place) keeps its
        // record, as a deletion from the log would leave it, and so does one ignored now; seen in
        // this generation, it no longer holds the resync open (every later pass would sweep it
        // again and never finish).
        const refused = new Set(result.skipped.map(entryKeyString));
        const looked = [...sweep.filter((entry) => refused.has(entryKeyString(entry))), ...kept].map((entry) => ({ ...entry, seen_gen: position.generation }));
        // Before the records go: a kill in between sweeps them, and looks above them, again.
        await this.removeMadeDirs(baseDir, sweep.map((entry) => entry.path), summary);
        this.checkDisks();
        store.commitBatch({ upserts: [...result.upserts, ...looked], removals: result.removals, kept: result.keptDirs, unserved: result.unserved, confirmed: result.confirmed, endsBatch: this.active });
        if (result.failed.length > 0) clean = false;
      }
      if (!(await this.sweepLeftPlacements(connection, baseDir, summary))) clean = false;
      if (clean) ended.push(baseDir);
    }
    return ended.filter((d) => store.unseenEntries(d, position.generation, '', 1).length === 0);
  }

  /**
   * In a resync, before a page: sweeps what R received below the directories the page replaces
   * with E's files (core/sweep.ts, dirsReplacedByFiles), unchanged files deleted and R's edits kept
   * as conflict copies as the final sweep would, so that the file finds the directory empty unless
   * something of R's is in it. A failure there is left for that file's fetch: the directory is
   * then kept as a conflict copy, nothing lost.
   */
  private async sweepBelowReplacedDirs(connection: Connection, entries: readonly ChangeEntry[], summary: PassSummary): Promise<void> {
    const { store, tree } = this.options;
    const active = new Set(this.active);
    const candidates = entries.filter((entry) => active.has(entry.base_dir) && entry.kind === 'file' && entry.operation !== 'delete');
    if (candidates.length === 0) return;
    const replaced = dirsReplacedByFiles(candidates, store.getEntries(candidates));
    const position = store.position();
    for (const dir of replaced) {
      const ignored = await loadIgnoreMatcher(tree.root(dir.base_dir));
      // Deepest first: a directory's contents are deleted before it, across pages too.
      for (const page of store.entryPagesBelowDeepestFirst(dir.base_dir, dir.path, MAX_CHANGES_PAGE)) {
        const { sweep } = splitIgnored(
          page.filter((entry) => entry.seen_gen < position.generation),
          ignored,
        );
        if (sweep.length === 0) continue;
        const result = await this.applyEntries(connection, planSweep(sweep, position.sequence, Date.now()), summary);
        this.checkDisks();
        store.commitBatch({ upserts: result.upserts, removals: result.removals, kept: result.keptDirs, unserved: result.unserved, confirmed: result.confirmed, endsBatch: this.active });
      }
    }
  }

  /**
   * The end of a resync's sweep for one root: what a killed run placed at paths E no longer has
   * holds no record to sweep, but its placement notes name it (core/sweep.ts, leftPlacements):
   * deleted where R's file still holds E's noted content, and the directories made for it go
   * (removeMadeDirs) before the notes are dropped, so a kill in between finds them again. So do
   * directories it may have made there (sql/013): those removeMadeDirs takes for a killed run's.
   */
  private async sweepLeftPlacements(connection: Connection, baseDir: string, summary: PassSummary): Promise<boolean> {
    const { store } = this.options;
    const position = store.position();
    let clean = true;
    let after = '';
    for (;;) {
      const paths = store.unrecordedPlacements(baseDir, after, MAX_CHANGES_PAGE);
      if (paths.length === 0) break;
      after = paths[paths.length - 1]!;
      const result = await this.applyEntries(connection, leftPlacements(baseDir, paths, position.sequence, Date.now()), summary);
      if (result.failed.length > 0) clean = false;
      await this.removeMadeDirs(baseDir, paths, summary);
      this.checkDisks();
      store.commitBatch({ upserts: result.upserts, removals: result.removals, kept: result.keptDirs, unserved: result.unserved, confirmed: result.confirmed, endsBatch: this.active });
    }
    for (;;) {
      const dirs = store.unrecordedDirPlacements(baseDir, '', MAX_CHANGES_PAGE);
      if (dirs.length === 0) return clean;
      await this.removeMadeDirs(baseDir, [], summary, dirs);
      this.checkDisks();
      // A removal of what has no record drops the notes only.
      store.commitBatch({ upserts: [], removals: dirs.map((path) => ({ base_dir: baseDir, path })), endsBatch: this.active });
    }
  }

  /**
   * In a resync's sweep: removes the empty directories above swept paths that a run stopped
   * mid-batch made and never recorded (a directory is recorded, and given E's mode, at the end of
   * its batch). Only unrecorded ones still owner-only as zync makes them (MADE_DIR_MODE): one
   * that holds anything, or has other bits (R's own, or E's given), stays; rmdir never removes
   * a directory with something in it.
   */
  private async removeMadeDirs(baseDir: string, paths: readonly string[], summary: PassSummary, madeAt: readonly string[] = []): Promise<void> {
    const { store, tree, logger } = this.options;
    // `madeAt`: directories a killed run may have made at those very paths (sql/013).
    const dirs = dirsAbove([...paths, ...madeAt], madeAt);
    if (dirs.length === 0) return;
    const recorded = store.getEntries(dirs.map((path) => ({ base_dir: baseDir, path })));
    let removed = 0;
    for (const path of dirs) {
      if (recorded.has(entryKeyString({ base_dir: baseDir, path }))) continue;
      try {
        const abs = tree.resolve(baseDir, path);
        const state = lstatState(abs);
        if (state.kind !== 'dir' || state.mode !== MADE_DIR_MODE) continue;
        await rmdir(abs);
        tree.forgetDir(abs);
        tree.touch(abs);
        removed++;
      } catch (err) {
        // Not empty (R's files, or E's swept in a later page), or below a link: it stays.
        logger.debug({ code: (err as NodeJS.ErrnoException).code }, `directory ${baseDir}/${path} stays`);
      }
    }
    await tree.syncTouchedDirs();
    if (removed === 0) return;
    logger.info(`removed ${removed} empty director${removed === 1 ? 'y' : 'ies'} in "${baseDir}" that a stopped pass made for files E no longer has`);
    summary.dirsDeleted += removed;
  }

  /** `seen`: the entries `entries` were collapsed from (their contents are noted too). */
  private async applyEntries(
    connection: Connection,
    entries: ReturnType<typeof collapseChanges>,
    summary: PassSummary,
    seen: readonly ChangeEntry[] = entries,
    moreToCome = false,
  ): Promise<BatchResult & { settled: { base_dir: string; path: string; staging_id: string }[] }> {
    const { store, tree, logger } = this.options;
    const dirNames = this.active;
    this.checkDisks();
    // What R staged at these paths (usually nothing), each session marked settled where E says it
    // was applied: asked after the page was fetched, and zync-apply logs the files where it kept
    // E's version in the transaction that marks the session applied, so such an entry in the page
    // always meets "applied". An entry E logged before that apply began (its applied_from) is
    // older than the apply's outcome, which a later entry (perhaps a later page) brings: against
    // it the session is applied later, not settled (core/plan-pull.ts, awaitsApply). Labelled
    // race: an entry E logged for the path after the apply began and before the apply reached the
    // path (or from a daemon or zync-apply older than applied_from) reads as settled, and R's
    // edit goes to a conflict copy; E's apply then arrives as E's change (nothing lost, R converges).
    const stagedFound: ReadonlyMap<string, readonly StagedRecord[]> = this.options.staged?.lookup(connection.hello.log_id, entries) ?? new Map();
    const applied = stagedFound.size === 0 ? new Map<string, number | null>() : await appliedSessions(connection, [...stagedFound.values()].flat());
    const sequenceAt = new Map(applied.size === 0 ? [] : entries.map((entry) => [entryKeyString(entry), entry.sequence]));
    const stagedNow = new Map(
      [...stagedFound].map(([key, rows]) => [
        key,
        rows.map((row): StagedRecord & StagedAtPath => {
          if (!applied.has(row.staging_id)) return row;
          const from = applied.get(row.staging_id) ?? null;
          const older = from !== null && (sequenceAt.get(key) ?? Number.POSITIVE_INFINITY) <= from;
          return older ? { ...row, appliedLater: true } : { ...row, settled: true };
        }),
      ]),
    );
    // Before anything is renamed: after a kill -9 ahead of this batch's record, R can still tell
    // the files it placed (E's) from files of its own; and a file of R's holding content E held
    // at its path within the page is E's (placementsOf). Only for dirs R syncs: no other entry is
    // ever recorded, which is what drops a note.
    const placements = placementsOf(seen, dirNames);
    const leftover = store.hasPlacements();
    // Read before this batch opens (it marks the notes it repeats as its own).
    const stoppedDirs = leftover ? store.stoppedDirNotes(entries.filter((entry) => dirNames.includes(entry.base_dir))) : new Set<string>();
    // The directories too: a batch that makes only those notes no content, and its mark must
    // last until they are recorded all the same (sql/013).
    store.openBatch(placements, dirNames, dirChangesOf(seen, dirNames));
    // The notes say more than the batch's own last contents only when a killed run left some, or
    // the page held contents a later entry replaced; usually neither, and the lookup is skipped.
    const lastContents = new Set(entries.map((entry) => `${entryKeyString(entry)}\0${entry.checksum}`));
    const checkPlacements = leftover || placements.some((p) => !lastContents.has(`${entryKeyString(p)}\0${p.checksum}`));
    const result = await applyBatch(entries, {
      connection,
      tree,
      records: store,
      checkPlacements,
      passedThrough: new Map(dirNames.map((name) => [name, store.passedThrough(name)])),
      unorderedDirs: new Set(store.resyncAgainstForgottenLog() ? dirNames.filter((name) => store.passedThrough(name) === 0) : []),
      // A directory a killed run made for one of these is E's, though unrecorded: E's later
      // deletion (a file in its place, say, then gone) must still remove it. The page shows E
      // making it, or, where it holds E's current entries only (a resync), the killed run's note.
      madeDirs: new Set([...dirChangesOf(seen, dirNames).flatMap((d) => (d.removed ? [] : [entryKeyString(d)])), ...stoppedDirs]),
      partials: store,
      holding: this.options.holding,
      // Read before this page's records are forgotten (pullLog, after the batch). Known race: a
      // kill -9 between that and the page's commit pulls the page again without them, and R's
      // later edit goes to a conflict copy as E's change would (nothing lost).
      staged: (keys) => {
        const wanted = new Set(keys.map(entryKeyString));
        const found = new Map([...stagedNow].filter(([key]) => wanted.has(key)));
        if (found.size === 0) return found;
        // What E held at those paths within the page: only where R staged something (usually nowhere).
        const heldInPage = new Map<string, Set<string>>();
        for (const p of placements) {
          const key = entryKeyString(p);
          if (found.has(key)) heldInPage.set(key, (heldInPage.get(key) ?? new Set()).add(p.checksum));
        }
        return new Map([...found].map(([key, sessions]) => [key, sessionsStillReturning(sessions, heldInPage.get(key))]));
      },
      daemonDirs: new Set(connection.hello.dirs),
      generation: store.position().generation,
      resyncedRoots: store.position().resyncing ? new Set(dirNames) : undefined,
      logger,
      warnedFailures: this.warnedFailures,
      modelessRoots: this.modelessRoots,
      keepsModes: (baseDir) => this.keepsModes(baseDir),
      waitsForRoom: (entry, abs) => this.waitsForRoom(entry, abs),
      maxDownloads: this.options.maxDownloads ?? 256,
      signal: this.options.signal,
      moreToCome,
    });
    this.noteRoom(entries, result, summary);
    // The barrier: file contents were fsynced before their renames; the renames, creations and
    // deletions become durable with one fsync per touched directory. Only then is it recorded.
    const barrierStarted = Date.now();
    await tree.syncTouchedDirs();
    logger.debug({ ms: Date.now() - barrierStarted }, 'directory barrier');
    const s = result.stats;
    summary.downloaded += s.downloaded;
    summary.resumed += s.resumed;
    summary.extended += s.extended;
    summary.copied += s.copied;
    summary.bytes += s.bytes;
    summary.deleted += s.deleted;
    summary.dirsCreated += s.dirsCreated;
    summary.dirsDeleted += s.dirsDeleted;
    summary.attributes += s.attributes;
    summary.conflicts.push(...result.conflicts);
    summary.problems.push(...result.skipped.filter((p) => p.code !== 'NOT_FOUND'));
    summary.failed.push(...result.failed);
    const settled = [...stagedNow.values()].flatMap((rows) => rows.flatMap((r) => (r.settled ? [{ base_dir: r.base_dir, path: r.path, staging_id: r.staging_id }] : [])));
    return { ...result, settled };
  }
}

/**
 * Of the sessions these staged rows name, those E reports applied (UPSTREAM_STATUS), each with
 * where E's log stood when its apply began (null: not said). A daemon too old to answer names
 * none: R's edits then wait as before.
 */
async function appliedSessions(connection: Connection, rows: readonly StagedRecord[]): Promise<Map<string, number | null>> {
  const ids = [...new Set(rows.map((r) => r.staging_id))];
  const applied = new Map<string, number | null>();
  try {
    for (let at = 0; at < ids.length; at += MAX_STATUS_IDS) {
      const answer = await connection.request('UPSTREAM_STATUS', { staging_ids: ids.slice(at, at + MAX_STATUS_IDS) });
      for (const s of answer.sessions) if (s.state === 'applied') applied.set(s.staging_id, s.applied_from ?? null);
    }
  } catch (err) {
    if (!(isZyncError(err) && err.code === 'UNKNOWN_OPERATION')) throw err;
  }
  return applied;
}

/**
 * At a run's start (a running client holds a root that goes instead: core/vanished-roots.ts):
 * makes missing roots again, then forgets the records of those R received files into at that
 * place (the store's and the staged ones: core/missing-roots.ts), with one warning each, and
 * returns their names. Made first, so that a root that cannot be made (makeRoots throws) keeps
 * its records for when it is back. Synchronous: no stop is handled in between. A kill -9 between
 * the making and the forgetting (microseconds) leaves an empty root whose records count as R's
 * deletions, as before missing roots were looked for: nothing lost, nothing fetched.
 */
export function remakeMissingRoots(
  missing: readonly (DirSpec & { real: string })[],
  options: Pick<PullOptions, 'store' | 'staged' | 'logger'>,
): string[] {
  const { store, staged, logger } = options;
  const refetch = rootsToFetchAgain(missing, store);
  makeRoots(missing);
  for (const dir of refetch) {
    logger.warn(missingRootWarning(dir));
    // The staged records first: a kill before the store's are forgotten leaves the case above.
    staged?.forgetBaseDir(dir.name);
    store.forgetBaseDir(dir.name);
  }
  return refetch.map((dir) => dir.name);
}

/**
 * The roots whose disk seems not mounted (core/root-disks.ts), as a run finds them at start, each
 * with where it would be (`real`). The roots `newDisk` names are first given their present device
 * (--new-disk: they moved to another disk), so they are not among them.
 */
export async function findRootsOffTheirDisk(
  specs: readonly DirSpec[],
  store: ClientStore,
  newDisk: ReadonlySet<string>,
): Promise<(DirSpec & { real: string })[]> {
  const roots = await Promise.all(specs.map(async (dir) => ({ ...dir, real: await realLocation(dir.root) })));
  const disks = roots.flatMap((dir) => {
    const disk = diskOf(dir.real);
    return disk === undefined ? [] : [{ ...dir, ...disk }];
  });
  for (const dir of disks) if (newDisk.has(dir.name)) store.recordRootDisk(dir.name, dir.real, dir);
  return rootsOffTheirDisk(disks, store);
}

/**
 * Whether a pass got as far as it can: up to date, or, with `waitingForRoom` (the runner said
 * that R's disk has no room for some files), stopped only by files that still do not fit.
 */
function reachedAllItCan(summary: PassSummary, waitingForRoom: boolean): boolean {
  if (summary.upToDate) return true;
  return waitingForRoom && summary.failed.length > 0 && summary.failed.every((f) => f.code === 'DISK_FULL');
}

/**
 * A pass that found R up to date and changed nothing on it: nothing worth a line at info. A root
 * still held does not count: the runner says when one goes and when it is back. Nor do files
 * still waiting for room once that was said (`waitingForRoom`): the runner says when none waits.
 */
export function passChangedNothing(summary: PassSummary, waitingForRoom = false): boolean {
  const counts = [summary.downloaded, summary.copied, summary.deleted, summary.dirsCreated, summary.dirsDeleted, summary.attributes];
  const lists = [summary.conflicts, summary.problems, ...(waitingForRoom ? [] : [summary.failed])];
  return reachedAllItCan(summary, waitingForRoom) && !summary.resynced && counts.every((n) => n === 0) && lists.every((list) => list.length === 0);
}

/**
 * A pass of a running client that only brought E's changes: nothing to retry (but files still
 * waiting for room, once said: `waitingForRoom`), no conflict, no root away, no resync. Under
 * churn its line is summed with its neighbours' (RoutineLines).
 */
export function isRoutinePass(summary: PassSummary, waitingForRoom = false): boolean {
  const lists = [summary.conflicts, summary.problems, ...(waitingForRoom ? [] : [summary.failed]), summary.held, summary.gone, summary.unavailableOnE, summary.unserved];
  return reachedAllItCan(summary, waitingForRoom) && !summary.resynced && !summary.unloggedOnE && lists.every((list) => list.length === 0);
}

/** Two routine passes' counts summed, at the later one's sequence. */
export function addPasses(a: PassSummary, b: PassSummary): PassSummary {
  return {
    ...b,
    downloaded: a.downloaded + b.downloaded,
    resumed: a.resumed + b.resumed,
    extended: a.extended + b.extended,
    copied: a.copied + b.copied,
    bytes: a.bytes + b.bytes,
    deleted: a.deleted + b.deleted,
    dirsCreated: a.dirsCreated + b.dirsCreated,
    dirsDeleted: a.dirsDeleted + b.dirsDeleted,
    attributes: a.attributes + b.attributes,
  };
}

/** One line for stderr: what a pass did (`passes`: how many routine passes it sums). */
export function describePass(summary: PassSummary, passes?: number): string {
  const mib = (summary.bytes / (1024 * 1024)).toFixed(1);
  const parts = [
    `${summary.downloaded} file(s) downloaded (${mib} MiB${summary.resumed > 0 ? `, ${summary.resumed} resumed` : ''}${summary.extended > 0 ? `, ${summary.extended} extended from R's copy` : ''})`,
    `${summary.copied} copied locally`,
    `${summary.deleted} deleted`,
    `${summary.dirsCreated} dir(s) created`,
    `${summary.dirsDeleted} dir(s) removed`,
    `${summary.conflicts.length} conflict(s)`,
  ];
  if (summary.attributes) parts.splice(3, 0, `${summary.attributes} mode/mtime change(s)`);
  if (summary.problems.length) parts.push(`${summary.problems.length} skipped`);
  if (summary.failed.length) parts.push(`${summary.failed.length} not yet applied (${failureReasons(summary.failed)})`);
  if (summary.held.length) parts.push(`${summary.held.length} root(s) held`);
  if (summary.gone.length) parts.push(`${summary.gone.length} root(s) gone, held`);
  if (summary.unserved.length) parts.push(`${summary.unserved.length} root(s) not served by E`);
  const upToDate = summary.upToDate && summary.held.length === 0 && summary.gone.length === 0 && summary.unserved.length === 0;
  const what = `${summary.resynced ? 'resync' : 'pull'}${passes === undefined ? '' : ` (${passes} passes since the last pull line)`}`;
  const reached = !upToDate ? '' : summary.unloggedOnE ? ", up to date with E's log (E has changes it cannot log yet)" : ', up to date';
  return `${what}: ${parts.join(', ')}; at sequence ${summary.sequence}${reached}`;
}

/** Forgets every kept partial download and removes its temp file. */
export async function discardPartialDownloads(store: ClientStore): Promise<void> {
  for (const partial of store.partials()) {
    await unlink(partial.temp_path).catch(() => undefined);
    store.dropPartial(partial.base_dir, partial.path);
  }
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
