// Keeps the log current while the daemon runs. One chokidar watcher per root feeds events into
// the coalescer (core/coalesce-events); settled paths are looked at on disk (lstat, then a
// stable hash for files whose stat changed), and each batch is recorded in one transaction.
// The event type is only a hint: what gets logged is decided from the disk and the store, so
// bursts, renames (delete + add), editor saves (temp + rename) and appends all come out right.
// Directory events rescan their subtree; every path logged as present is looked at again after
// the commit (a batch's looks are not simultaneous); roots are rescanned after a burst big enough
// to have overflowed the OS's event queue (core/event-bursts), and now and then anyway, as a
// safety net for dropped events; a whole-root scan (the start-up one too) watches each directory
// it lists that chokidar never heard of. A root that vanishes, or is suddenly emptied (an unmounted disk), is
// reported and held (no deletions) until it returns, then rescanned; a root made anew in its
// place (rm -rf, mkdir) is watched anew. A recorded path the ignore rules now exclude (an edited
// .zyncignore) is marked ignored, never logged as deleted: R keeps its copy. Paths are looked at through real directories only:
// nothing behind a symlink is E's. Names that are not UTF-8 raise events under a decoded name
// that leads nowhere: they are reported (SkippedNames) and their events dropped, never looked at
// over and over. Owns chokidar and timers; decides nothing itself.
import { readFileSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import * as nodePath from 'node:path';
import * as posixPath from 'node:path/posix';
import { performance } from 'node:perf_hooks';
import { IGNORE_FILE, isSafeRelativePath, mayBeNonUtf8, newLinkTally, noteLink, RoutineLines, toRelativePath, type ChangeEntry, type Logger } from '@zync/common';
import { addEvents, pendingKey, takeSettled, type PendingMap, type PendingPath, type WatchEventType } from './core/coalesce-events.js';
import { ignoredInput, sameStat, unreadableInput, type ChangeInput } from './core/entries.js';
import { newBurstState, noteEvent, takeEndedBurst, type BurstOptions, type BurstState } from './core/event-bursts.js';
import { checkRoot, type RootVerdict } from './core/root-guard.js';
import { DirectoryWatcher } from './directory-watcher.js';
import { SkippedNames } from './skipped-names.js';
import { forEachLimited } from './pool.js';
import { liveCountUnignored, reconcile } from './reconcile.js';
import type { Root, RootSet } from './roots.js';
import { absPath, hashStable, lstatInRoot, NOT_PERMITTED, toStatEntry } from './scanner.js';
import type { StateDiskNotice } from './state-disk.js';
import type { DaemonStore } from './store/daemon-store.js';

/**
 * Quiet time after a path's last event before it is looked at. Short, because the look itself
 * is safe against writes still in progress (a file that changes while hashed is looked at
 * again), and every millisecond here is latency until R sees the change: 4 ms instead of 10
 * took W4's p50 from ~21 ms to ~16 ms (pnpm bench).
 */
const SETTLE_MS = 4;

export interface WatcherOptions {
  store: DaemonStore;
  roots: RootSet;
  log: Logger;
  /** Called after every commit that logged at least one entry. */
  onCommit: (highestSequence: number, recorded: ChangeEntry[]) => void;
  /** Reports names zync does not sync, once per run (shared with the start-up scan). */
  skippedNames?: SkippedNames;
  /** Quiet time after a path's last event before it is looked at. */
  settleMs?: number;
  /** Longest a busy path waits before it is looked at anyway. */
  maxWaitMs?: number;
  /** Most paths per batch (one transaction). */
  batchLimit?: number;
  /** How often a vanished root is checked for its return. */
  rootPollMs?: number;
  /** How often every root is rescanned anyway (stat only, unchanged files are not re-hashed); 0: never. */
  rescanEveryMs?: number | undefined;
  /** A spell of events that may have overflowed the OS queue: the roots are rescanned after it. */
  burst?: Partial<BurstOptions>;
  /** Says a commit refused for a full disk once, and when commits go through again. */
  stateDisk?: StateDiskNotice;
}

/** Minutes between whole-root rescans unless --rescan-interval says otherwise. */
export const RESCAN_DEFAULT_MINUTES = 10;

const WATCH_EVENTS = new Set<string>(['add', 'addDir', 'change', 'unlink', 'unlinkDir']);
const LOOK_CONCURRENCY = 8;
/** Delay before paths whose look or commit failed are tried again: doubles while failures go on. */
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;
const HASH_BUFFER_BYTES = 1024 * 1024;

/** Batches logged, for the routine line (RoutineLines): how many changes, which sequences. */
interface LoggedBatch {
  changes: number;
  first: number;
  last: number;
}

export class TreeWatcher {
  /** "logged N change(s)": at most one info line per window under churn, the rest summed (and at debug). */
  private readonly logged = new RoutineLines<LoggedBatch>((a, b) => ({ changes: a.changes + b.changes, first: a.first, last: b.last }));
  private loggedTimer: NodeJS.Timeout | null = null;
  private readonly store: DaemonStore;
  private readonly roots: RootSet;
  private readonly log: Logger;
  private readonly onCommit: WatcherOptions['onCommit'];
  private readonly stateDisk: StateDiskNotice | undefined;
  /** Paths (pendingKey) and rescans (rescanKey) the full disk refused to log, waiting to be tried again. */
  private readonly unlogged = new Set<string>();
  private readonly skippedNames: SkippedNames;
  /**
   * Decoded paths (pendingKey) whose directory was listed for names that are not UTF-8: a burst
   * of writes to such a name lists it once. Cleared at each whole-root rescan.
   */
  private readonly undecodable = new Set<string>();
  private readonly settle: { settleMs: number; maxWaitMs: number; limit: number };
  private readonly rootPollMs: number;
  private readonly watchers = new Map<string, DirectoryWatcher>();
  /**
   * Watched directories whose watch reported the directory itself removed or moved away, by
   * pendingKey: whatever stands there when next looked at is not watched (see DirectoryWatcher).
   */
  private readonly lostWatches = new Set<string>();
  private readonly pending: PendingMap = new Map();
  private readonly rootTimers = new Map<string, NodeJS.Timeout>();
  private readonly buffers: Buffer[] = [];
  private readonly rescans = new Set<string>();
  private readonly reloads = new Set<string>();
  private readonly rescanEveryMs: number;
  private rescanTimer: NodeJS.Timeout | null = null;
  /** Which directory each root's watch is on (directoryKey), to notice a root made anew. */
  private readonly watchedDirs = new Map<string, string | null>();
  private rootCheckTimer: NodeJS.Timeout | null = null;
  private readonly burstOptions: BurstOptions;
  private readonly bursts: BurstState = newBurstState();
  private burstTimer: NodeJS.Timeout | null = null;
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> | null = null;
  private processing = false;
  private retryDelayMs = 0;
  private running = false;
  private closed = false;

  constructor(options: WatcherOptions) {
    this.store = options.store;
    this.roots = options.roots;
    this.log = options.log;
    this.onCommit = options.onCommit;
    this.stateDisk = options.stateDisk;
    this.skippedNames = options.skippedNames ?? new SkippedNames(options.log);
    this.settle = { settleMs: options.settleMs ?? SETTLE_MS, maxWaitMs: options.maxWaitMs ?? 2000, limit: options.batchLimit ?? 2000 };
    this.rootPollMs = options.rootPollMs ?? 1000;
    this.rescanEveryMs = options.rescanEveryMs ?? RESCAN_DEFAULT_MINUTES * 60_000;
    this.burstOptions = { threshold: Math.floor(maxQueuedEvents() / 2), quietMs: 1000, ...options.burst };
  }

  /**
   * Starts watching every root; resolves once the watchers are ready, or as soon as `stop` aborts
   * (setting up the watches of a big tree takes a while; close() ends it). Events are queued
   * until run().
   */
  async start(stop?: AbortSignal): Promise<void> {
    await Promise.all(this.roots.all().map((root) => this.watchRoot(root, stop)));
  }

  /**
   * For a whole-root scan's onDirectory: watches each directory it lists that the root's watcher
   * never heard of (see DirectoryWatcher.watchUnknown). Such a directory was made during the
   * watcher's initial walk, which lists each directory before its watch exists and, unlike later
   * watches, not again after; without this it stayed unwatched until the next rescan. Once its
   * watch exists, onWatching asks for a look at its subtree, which logs what was written there
   * meanwhile. Cost: a lookup per directory; no listing beyond the scan's own.
   */
  watchMissed(base_dir: string): (dir: string) => void {
    const root = this.roots.get(base_dir);
    // Directories below one handed to chokidar here: chokidar walks them itself.
    const handedOver = new Set<string>();
    return (dir) => {
      const parent = posixPath.dirname(dir);
      if (handedOver.has(parent)) handedOver.add(dir);
      else if (root && this.watchers.get(base_dir)?.watchUnknown(absPath(root.root, dir))) {
        this.log.debug({ base_dir, path: dir }, 'a directory the watcher never heard of; watching it');
        handedOver.add(dir);
      }
    };
  }

  /** Begins processing queued and future events. */
  run(): void {
    this.running = true;
    if (this.rescanEveryMs > 0) {
      // Longer than 2^31-1 ms (--rescan-interval of ~24.8 days or more), Node would fire every
      // millisecond: a rescan without end, ahead of every event.
      this.rescanTimer = setInterval(() => {
        for (const root of this.roots.all()) this.requestRescan(root.name);
      }, Math.min(this.rescanEveryMs, 2 ** 31 - 1));
      this.rescanTimer.unref();
    }
    // `rm -rf root && mkdir root` (or a mv) leaves the watch on the old directory, which raises
    // no event for the new one, ever; a stat per root now and then tells.
    this.rootCheckTimer = setInterval(() => {
      for (const root of this.roots.all()) {
        if (root.available && this.watchedDirs.get(root.name) !== directoryKey(root.root)) this.requestRescan(root.name);
      }
    }, this.rootPollMs);
    this.rootCheckTimer.unref();
    this.arm(0);
  }

  /** Says a logged batch at info, or sums it into the line said at the window's end. */
  private noteLogged(batch: LoggedBatch): void {
    const line = `logged ${batch.changes} change(s), sequences ${batch.first}..${batch.last}`;
    if (this.logged.note(Date.now(), batch) === 'info') {
      this.log.info(line);
      return;
    }
    this.log.debug(line);
    if (this.loggedTimer) return;
    this.loggedTimer = setTimeout(() => this.sayLogged(), Math.max(0, (this.logged.dueAt() ?? Date.now()) - Date.now()));
    this.loggedTimer.unref();
  }

  private sayLogged(): void {
    if (this.loggedTimer) clearTimeout(this.loggedTimer);
    this.loggedTimer = null;
    const sum = this.logged.flush(Date.now());
    if (sum) this.log.info(`logged ${sum.total.changes} change(s) in ${sum.count} batch(es) since the last such line, sequences ${sum.total.first}..${sum.total.last}`);
  }

  async close(): Promise<void> {
    this.sayLogged();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    if (this.rootCheckTimer) clearInterval(this.rootCheckTimer);
    if (this.burstTimer) clearTimeout(this.burstTimer);
    for (const t of this.rootTimers.values()) clearInterval(t);
    await Promise.all([...this.watchers.values()].map((w) => w.close()));
    this.watchers.clear();
    await this.current?.catch(() => undefined);
  }

  /**
   * Records inputs in one transaction and tells the server; returns the entries logged and how
   * many recorded paths were marked ignored now (say so with logUntracked, once per look).
   */
  /** A root's rules as loaded now; a root no longer served keeps what it ignored. */
  private readonly stillIgnored = (base_dir: string, path: string, isDir: boolean): boolean => this.roots.get(base_dir)?.matcher(path, isDir) ?? true;

  record(inputs: readonly ChangeInput[]): { recorded: ChangeEntry[]; untracked: number } {
    if (inputs.length === 0) return { recorded: [], untracked: 0 };
    const { highestSequence, recorded, untracked } = this.store.applyChanges(inputs, Date.now(), this.stillIgnored);
    // With changes refused still waiting, a smaller batch that fits does not end the full-disk spell.
    if (this.unlogged.size === 0) this.stateDisk?.wrote();
    if (recorded.length > 0) {
      for (const e of recorded) this.log.debug({ sequence: e.sequence, operation: e.operation, kind: e.kind, base_dir: e.base_dir, path: e.path }, 'logged');
      this.noteLogged({ changes: recorded.length, first: recorded[0]!.sequence, last: recorded[recorded.length - 1]!.sequence });
      this.onCommit(highestSequence, recorded);
    }
    return { recorded, untracked };
  }

  /**
   * Paths logged as present that no longer match the disk once the batch is committed. The
   * paths of one batch are looked at over some milliseconds, so an early look can be outdated by
   * the time a later one (a subtree rescan of its directory, say) runs; and the watcher may have
   * reported the later change before the look, or not at all. Looking again closes that window.
   * Also the other names of a hard-linked file that changed: the OS reports a write for the name
   * it went through only, and the others show the same new content.
   */
  private async staleAfterCommit(recorded: readonly ChangeEntry[]): Promise<{ base_dir: string; path: string }[]> {
    const stale: { base_dir: string; path: string }[] = [];
    for (const e of recorded) {
      if (e.operation === 'delete') continue;
      const root = this.roots.get(e.base_dir);
      if (!root) continue;
      const stats = lstatInRoot(root.root, e.path);
      if (stats === NOT_PERMITTED) continue; // cannot tell; a later event or rescan looks again
      const now = stats ? toStatEntry(e.path, stats) : null;
      if (!now || now.kind !== e.kind || now.mode !== e.mode || (e.kind === 'file' && (now.size !== e.size || now.mtime !== e.mtime))) {
        stale.push({ base_dir: e.base_dir, path: e.path });
      }
      if (stats && stats.isFile() && stats.nlink > 1) {
        // Each name whose look records a change leads here once more; a name already recorded
        // with this state records nothing, which ends it.
        for (const other of this.store.liveFilesWithInode(stats.ino)) {
          if (other.base_dir !== e.base_dir || other.path !== e.path) stale.push(other);
        }
      }
    }
    return stale;
  }

  /**
   * Watches the directories of a root (one OS watch per directory, none per file: a tree of
   * 100k files stays within default inotify limits and memory). chokidar tracks directories
   * appearing and disappearing; changes to files arrive as its 'raw' events, which name the child
   * of the watched directory that changed. Both are only hints for the coalescer.
   */
  private async watchRoot(root: Root, stop?: AbortSignal): Promise<void> {
    const old = this.watchers.get(root.name);
    const dir = directoryKey(root.root);
    const replaced = this.watchedDirs.get(root.name) !== dir;
    this.watchedDirs.set(root.name, dir);
    if (old && replaced) {
      // chokidar shares one OS watch per path among its watchers: the old one's, still on the
      // directory that was moved away, would serve the new watcher. So it is closed first.
      this.watchers.delete(root.name);
      await old.close();
    }
    const relOf = (path: string): string | null => {
      const rel = toRelativePath(root.root, path);
      if (rel.startsWith('..')) return null;
      if (rel !== '' && !isSafeRelativePath(rel)) {
        this.reportUnsyncable(root, rel);
        return null;
      }
      return mayBeNonUtf8(rel) && !this.isRealName(root, rel) ? null : rel;
    };
    const fsw = new DirectoryWatcher({
      ignoreInitial: true,
      followSymlinks: false,
      atomic: false, // the coalescer settles events itself
      ignorePermissionErrors: true,
      ignored: (path: string, stats?: { isDirectory(): boolean }) => {
        const rel = toRelativePath(root.root, path);
        if (rel === '' || rel.startsWith('..')) return false;
        // Without stats chokidar asks again with them; only directories are watched.
        if (stats && !stats.isDirectory()) return true;
        return root.matcher(rel, stats !== undefined);
      },
    });
    fsw.on('all', (event, path) => {
      const rel = WATCH_EVENTS.has(event) ? relOf(path) : null;
      if (rel === null) return;
      // chokidar saw it go, so it watches whatever is made there next itself.
      if (event === 'unlinkDir') this.lostWatches.delete(pendingKey(root.name, rel));
      this.onEvent(root.name, event as WatchEventType, rel);
    });
    fsw.on('raw', (event, name, details) => {
      this.noteRawEvent();
      const dir = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
      if (typeof dir !== 'string') return;
      const rel = relOf(typeof name === 'string' && name !== '' ? nodePath.join(dir, name) : dir);
      if (rel !== null) this.onEvent(root.name, 'change', rel);
      // The OS names the watched directory itself when it is removed or moved away (a child of
      // the same name looks alike; that costs one needless re-watch).
      const self = event === 'rename' && name === nodePath.basename(dir) ? relOf(dir) : null;
      if (self) {
        this.lostWatches.add(pendingKey(root.name, self));
        this.onEvent(root.name, 'change', self);
      }
    });
    fsw.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EMFILE') {
        this.log.error(
          { base_dir: root.name, code },
          'the OS refused more file watches (raise fs.inotify.max_user_watches or the open-file limit); changes there are picked up by the periodic rescan only',
        );
      } else {
        this.log.warn({ base_dir: root.name, err: (err as Error).message }, 'watcher error');
      }
    });
    await new Promise<void>((resolve) => {
      const done = () => {
        stop?.removeEventListener('abort', done);
        resolve();
      };
      fsw.once('ready', done);
      stop?.addEventListener('abort', done, { once: true });
      fsw.add(root.root);
      if (stop?.aborted) done();
    });
    // Watches set up during the initial walk are covered by the scan that follows start() (or
    // this re-watch), which also watches what the walk missed (watchMissed).
    fsw.onWatching = (path) => {
      const rel = relOf(path);
      if (rel) this.onEvent(root.name, 'addDir', rel);
    };
    this.watchers.set(root.name, fsw);
    if (!replaced) await old?.close(); // same directory: the old watch covered the gap
  }

  /** Counts an event the OS delivered; a spell that may have overflowed its queue is followed by rescans. */
  private noteRawEvent(): void {
    if (this.closed) return;
    noteEvent(this.bursts, performance.now(), this.burstOptions);
    // owed: the spell before this event ended before the timer asked (a busy event loop).
    if (this.bursts.owed > 0 || this.bursts.count === this.burstOptions.threshold) this.checkBurst();
  }

  private readonly checkBurst = (): void => {
    if (this.burstTimer) clearTimeout(this.burstTimer);
    this.burstTimer = null;
    if (this.closed) return;
    const events = this.bursts.owed || this.bursts.count;
    const { rescan, askAt } = takeEndedBurst(this.bursts, performance.now(), this.burstOptions);
    if (rescan) {
      this.log.info(`a burst of ${events} file system events; rescanning the roots in case the OS dropped some (raise fs.inotify.max_queued_events if this is frequent)`);
      for (const root of this.roots.all()) this.requestRescan(root.name);
    }
    if (askAt !== null) {
      this.burstTimer = setTimeout(this.checkBurst, Math.max(0, askAt - performance.now()));
      this.burstTimer.unref();
    }
  };

  private onEvent(base_dir: string, type: WatchEventType, path: string): void {
    if (this.closed) return;
    addEvents(this.pending, [{ type, base_dir, path, at: performance.now() }]);
    this.arm(this.settle.settleMs);
  }

  private arm(delayMs: number): void {
    if (!this.running || this.closed || this.timer || this.processing) return;
    this.timer = setTimeout(this.tick, Math.max(0, delayMs));
  }

  /**
   * The one work loop: queued root rescans first, then settled paths. Work items never overlap,
   * so a rescan's snapshot and a batch's looks are committed one after the other, each followed
   * by its own staleness check.
   */
  private readonly tick = (): void => {
    this.timer = null;
    if (this.closed || this.processing) return;
    let work: Promise<void>;
    /** What this work logs: said unlogged if the full disk refuses it, logged again once it goes through. */
    let keys: string[];
    const rescan = this.rescans.values().next();
    if (!rescan.done) {
      this.rescans.delete(rescan.value);
      keys = [rescanKey(rescan.value)];
      work = this.rescanRoot(rescan.value);
    } else {
      // Monotonic time: a wall clock stepped back (NTP, a resumed VM) must not hold events for hours.
      const { ready, nextDueAt } = takeSettled(this.pending, performance.now(), this.settle);
      if (ready.length === 0) {
        if (nextDueAt !== null) this.arm(nextDueAt - performance.now());
        return;
      }
      keys = ready.map((p) => pendingKey(p.base_dir, p.path));
      work = this.processBatch(ready);
    }
    this.processing = true;
    this.current = work
      .then(() => this.loggedAgain(keys))
      .catch((err: unknown) => {
        if (this.stateDisk?.failed(err)) {
          for (const key of keys) this.unlogged.add(key);
          this.stateDisk.changesRefused();
          // A batch's paths wait already (processBatch); a rescan cut short is asked for again.
          if (!rescan.done) this.retryRescanLater(rescan.value);
          return;
        }
        this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'failed to record changes');
      })
      .finally(() => {
        this.processing = false;
        this.current = null;
        this.arm(0);
      });
  };

  /**
   * For a path holding U+FFFD: whether it names a real entry (or a recorded one, whose deletion
   * must be seen). One that is not there under that spelling stands for a name that is not
   * UTF-8 (or one already gone): its directory is listed, once, to report it.
   */
  private isRealName(root: Root, rel: string): boolean {
    if (lstatInRoot(root.root, rel) !== null) return true;
    const recorded = this.store.getFile(root.name, rel);
    if (recorded && !recorded.deleted) return true;
    const key = pendingKey(root.name, rel);
    if (!this.undecodable.has(key)) {
      this.undecodable.add(key);
      const dir = posixPath.dirname(rel);
      this.skippedNames.check(root.name, root.root, dir === '.' ? '' : dir);
    }
    return false;
  }

  /**
   * Warns, as the scanner does, about a name made while the daemon runs that cannot cross the
   * wire: else it would go unmentioned until the next rescan. The first component that makes
   * the path unsafe is named (a directory, not each file in it); links are not synced anyway.
   */
  private reportUnsyncable(root: Root, rel: string): void {
    const names = rel.split('/');
    for (let i = 1; i <= names.length; i++) {
      const prefix = names.slice(0, i).join('/');
      if (isSafeRelativePath(prefix)) continue;
      const stats = lstatInRoot(root.root, prefix);
      if (stats !== null && stats !== NOT_PERMITTED && (stats.isFile() || stats.isDirectory())) this.skippedNames.unsyncable(root.name, prefix);
      return;
    }
  }

  /**
   * The start-up scan of root `name` could not log what it found (err, the state disk full):
   * what changed while the daemon was stopped is known to a whole-root rescan only, so one waits
   * as a refused rescan does: run at run(), and after each refusal again, until it goes through.
   * False (nothing done) when err is not a full disk.
   */
  scanRefused(name: string, err: unknown): boolean {
    if (!this.stateDisk?.scanRefused(err)) return false;
    this.unlogged.add(rescanKey(name));
    this.requestRescan(name);
    return true;
  }

  /** Asks for a whole-root rescan (with its .zyncignore reloaded first when `reload`). */
  requestRescan(name: string, reload = false): void {
    if (reload) this.reloads.add(name);
    this.rescans.add(name);
    this.arm(0);
  }

  /**
   * Records a batch; when that fails as a whole (the database full or locked), its paths wait
   * and are looked at again, with a growing delay while failures go on, instead of being lost.
   */
  private async processBatch(ready: PendingPath[]): Promise<void> {
    const retry: PendingPath[] = [];
    try {
      await this.recordBatch(ready, retry);
    } catch (err) {
      this.retryLater(ready);
      throw err;
    }
    if (retry.length > 0) this.retryLater(retry);
    else this.retryDelayMs = 0;
  }

  /**
   * A work the full disk refused went through: once no refused path or rescan waits any more (a
   * refused path no longer pending was logged with another batch), E's disk has room again.
   */
  private loggedAgain(keys: readonly string[]): void {
    if (this.unlogged.size === 0) return;
    for (const key of keys) this.unlogged.delete(key);
    for (const key of this.unlogged) if (!key.startsWith(RESCAN_KEY) && !this.pending.has(key)) this.unlogged.delete(key);
    if (this.unlogged.size === 0) this.stateDisk?.wrote();
  }

  /** A rescan whose commit the full disk refused runs again after the batches' retry delay. */
  private retryRescanLater(name: string): void {
    this.retryDelayMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.retryDelayMs * 2));
    setTimeout(() => {
      if (!this.closed) this.requestRescan(name);
    }, this.retryDelayMs).unref();
  }

  private retryLater(paths: readonly PendingPath[]): void {
    this.retryDelayMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.retryDelayMs * 2));
    const at = performance.now() + this.retryDelayMs;
    // A directory event keeps its subtree rescan.
    addEvents(this.pending, paths.map((p) => ({ type: p.subtree ? ('addDir' as const) : ('change' as const), base_dir: p.base_dir, path: p.path, at })));
  }

  private async recordBatch(ready: PendingPath[], retry: PendingPath[]): Promise<void> {
    const inputs: ChangeInput[] = [];
    const requeue: { base_dir: string; path: string }[] = [];
    const present: { base_dir: string; path: string }[] = [];
    const gone: { base_dir: string; path: string }[] = [];
    // Symbolic links looked at, per root: a set, since a new directory's subtree and the link's
    // own event may both name the same link in one batch.
    const links = new Map<string, Set<string>>();
    const linkSeen = (base_dir: string) => (rel: string) => {
      let seen = links.get(base_dir);
      if (!seen) links.set(base_dir, (seen = new Set()));
      seen.add(rel);
    };

    await forEachLimited(ready, LOOK_CONCURRENCY, async (item) => {
      const root = this.roots.get(item.base_dir);
      if (!root || !root.available || this.closed) return;
      if (item.path === '') {
        this.requestRescan(root.name);
        return;
      }
      if (item.path === IGNORE_FILE) this.requestRescan(root.name, true);
      let looked: Awaited<ReturnType<TreeWatcher['look']>>;
      try {
        looked = await this.look(root, item, linkSeen(root.name));
      } catch (err) {
        // EMFILE, EIO and the like: this path is looked at again later; the others go on.
        this.log.warn({ base_dir: root.name, path: item.path, err: (err as Error).message }, 'could not look at a changed path; trying again later');
        retry.push(item);
        return;
      }
      for (const input of looked.inputs) inputs.push(input); // not push(...): a subtree may hold more entries than a call takes arguments
      for (const path of looked.unsettled) requeue.push({ base_dir: root.name, path });
      if (looked.present) present.push({ base_dir: root.name, path: item.path });
      else if (looked.inputs.length > 0) gone.push({ base_dir: root.name, path: item.path });
    });
    if (this.closed) return;
    for (const [base_dir, seen] of links) {
      const tally = newLinkTally();
      for (const rel of seen) noteLink(tally, rel);
      this.skippedNames.newLinks(base_dir, tally);
    }

    inputs.push(...(await this.missingParents(present)));
    const { recorded, untracked } = this.record(await this.guardRoots(inputs));
    logUntracked(this.log, untracked);
    for (const path of [...(await this.staleAfterCommit(recorded)), ...(await this.checkParents(gone))]) requeue.push(path);

    this.requeue(requeue);
  }

  private requeue(paths: readonly { base_dir: string; path: string }[]): void {
    if (paths.length === 0) return;
    const at = performance.now();
    addEvents(this.pending, paths.map((r) => ({ type: 'change' as const, ...r, at })));
    this.arm(this.settle.settleMs);
  }

  /** Looks at one settled path on disk and says what to record. */
  private async look(root: Root, item: PendingPath, onSymlink: (rel: string) => void): Promise<{ inputs: ChangeInput[]; unsettled: string[]; present: boolean }> {
    const gone = { operation: 'delete', kind: 'file', base_dir: root.name, path: item.path, checksum: null, size: 0, mtime: 0, mode: 0 } as const;
    const stats = lstatInRoot(root.root, item.path);
    if (stats === NOT_PERMITTED) {
      // Behind a directory the daemon may not search: there, but unknown. Never a deletion.
      this.log.warn({ base_dir: root.name, path: item.path }, 'cannot look at a changed path (a directory above it is not searchable); left as recorded');
      return { inputs: [], unsettled: [], present: true };
    }
    const entry = stats ? toStatEntry(item.path, stats) : null;
    if (stats?.isSymbolicLink() && !root.matcher(item.path, false)) onSymlink(item.path);
    const watchLost = this.lostWatches.delete(pendingKey(root.name, item.path));
    // A directory made there now, or later, must get a watch of its own. Once it has one,
    // onWatching asks for another look at its subtree.
    if (watchLost) this.watchers.get(root.name)?.renew(absPath(root.root, item.path), entry?.kind === 'dir');
    const prev = this.store.getFile(root.name, item.path);
    const live = prev !== null && !prev.deleted ? prev : null;
    // Recorded, and ignored now: marked ignored, never deleted (as diffScan decides in a rescan).
    if (live && root.matcher(item.path, live.kind === 'dir')) return { inputs: [ignoredInput(root.name, item.path, live.kind)], unsettled: [], present: false };
    if (!entry) return { inputs: [gone], unsettled: [], present: false };
    if (root.matcher(item.path, entry.kind === 'dir')) return { inputs: [], unsettled: [], present: false };

    if (entry.kind === 'dir') {
      // A permission change may have made the directory searchable again: what changed below it
      // meanwhile could not be looked at then (left as recorded), so its subtree is compared now.
      if (watchLost || item.subtree || live?.kind !== 'dir' || live.mode !== entry.mode || live.ignored) {
        const result = await reconcile({ store: this.store, root, under: item.path, log: this.log, skippedNames: this.skippedNames, onSymlink });
        return { inputs: result.inputs, unsettled: result.unsettled, present: true };
      }
      return { inputs: [{ operation: 'add', base_dir: root.name, checksum: null, ...entry }], unsettled: [], present: true };
    }

    if (live?.kind === 'file' && sameStat(live, entry) && live.mode === entry.mode && !live.ignored) return { inputs: [], unsettled: [], present: true };
    const buffer = this.buffers.pop() ?? Buffer.allocUnsafe(HASH_BUFFER_BYTES);
    try {
      const hashed = await hashStable(root.root, item.path, buffer);
      if (hashed.status === 'ok') return { inputs: [{ operation: 'add', base_dir: root.name, ...hashed.entry }], unsettled: [], present: true };
      if (hashed.status === 'gone') return { inputs: [gone], unsettled: [], present: false };
      if (hashed.status === 'unreadable') {
        this.log.warn({ base_dir: root.name, path: item.path, code: hashed.code }, 'file not readable by the daemon; its content is not synced until it is');
        const input = unreadableInput(root.name, live, entry.mode);
        return { inputs: input ? [input] : [], unsettled: [], present: true };
      }
      return { inputs: [], unsettled: [item.path], present: false };
    } finally {
      this.buffers.push(buffer);
    }
  }

  /**
   * Compares the parent directories of paths found gone with the log, and returns the children
   * (or the parent itself) that differ. When a directory is swapped for a file of the same name,
   * or a burst outruns the watcher, the watcher may report the children and never the parent or
   * a sibling; the parent's listing tells. Cost: one readdir per parent, no stat.
   */
  private async checkParents(gone: readonly { base_dir: string; path: string }[]): Promise<{ base_dir: string; path: string }[]> {
    const out: { base_dir: string; path: string }[] = [];
    const parents = new Map<string, { base_dir: string; dir: string }>();
    for (const g of gone) {
      const dir = posixPath.dirname(g.path);
      const parent = { base_dir: g.base_dir, dir: dir === '.' ? '' : dir };
      parents.set(`${parent.base_dir}\u0000${parent.dir}`, parent);
    }
    for (const { base_dir, dir } of parents.values()) {
      const root = this.roots.get(base_dir);
      if (!root || !root.available) continue;
      // Gone, no longer a directory, or now a symlink (whose listing is not E's tree): the
      // parent itself is looked at.
      const stats = dir === '' ? null : lstatInRoot(root.root, dir);
      if (dir !== '' && (stats === null || (stats !== NOT_PERMITTED && !stats.isDirectory()))) {
        out.push({ base_dir, path: dir });
        continue;
      }
      let listing;
      try {
        listing = await readdir(absPath(root.root, dir), { withFileTypes: true });
      } catch {
        if (dir !== '') out.push({ base_dir, path: dir });
        continue;
      }
      const onDisk = new Map(listing.map((d) => [d.name, d.isFile() ? 'file' : d.isDirectory() ? 'dir' : 'other']));
      const recorded = this.store.liveChildren(base_dir, dir);
      const child = (name: string) => (dir === '' ? name : `${dir}/${name}`);
      for (const [name, { kind }] of recorded) {
        if (onDisk.get(name) !== kind) out.push({ base_dir, path: child(name) });
      }
      let literal: ReadonlySet<string> | null | undefined;
      for (const [name, kind] of onDisk) {
        const rel = child(name);
        if (kind === 'other' || recorded.has(name) || !isSafeRelativePath(rel) || root.matcher(rel, kind === 'dir')) continue;
        if (mayBeNonUtf8(name)) {
          // Not UTF-8: looking at the decoded name finds nothing, and would lead back here.
          if (literal === undefined) literal = this.skippedNames.check(base_dir, root.root, dir);
          if (!literal?.has(name)) continue;
        }
        out.push({ base_dir, path: rel });
      }
    }
    return out;
  }

  /** Directory entries for ancestors of present paths that the log does not hold yet. */
  private async missingParents(present: readonly { base_dir: string; path: string }[]): Promise<ChangeInput[]> {
    const inputs: ChangeInput[] = [];
    const checked = new Set<string>();
    for (const { base_dir, path } of present) {
      const root = this.roots.get(base_dir);
      if (!root) continue;
      for (let dir = posixPath.dirname(path); dir !== '.'; dir = posixPath.dirname(dir)) {
        const key = `${base_dir}\u0000${dir}`;
        if (checked.has(key)) break;
        checked.add(key);
        const prev = this.store.getFile(base_dir, dir);
        if (prev && !prev.deleted && prev.kind === 'dir') break;
        const stats = lstatInRoot(root.root, dir);
        const entry = stats && stats !== NOT_PERMITTED ? toStatEntry(dir, stats) : null;
        if (entry?.kind === 'dir' && !root.matcher(dir, true)) {
          inputs.push({ operation: 'add', base_dir, checksum: null, ...entry });
        }
      }
    }
    return inputs;
  }

  /**
   * Drops every input for a root that has vanished (its deletions would be mass deletions on
   * every client), reports it, and starts watching for its return.
   */
  private async guardRoots(inputs: ChangeInput[]): Promise<ChangeInput[]> {
    const deleting = new Set(inputs.filter((i) => i.operation === 'delete' && !i.ignored).map((i) => i.base_dir));
    const held = new Set<string>();
    for (const name of deleting) {
      const root = this.roots.get(name);
      if (!root) continue;
      const verdict = await this.checkRootNow(root);
      if (verdict.status !== 'ok') {
        held.add(name);
        this.holdRoot(root, verdict.reason);
      }
    }
    return held.size === 0 ? inputs : inputs.filter((i) => !held.has(i.base_dir));
  }

  /**
   * Whether a root is believably there right now: present, and not suddenly empty while the log
   * holds many entries for it (an unmounted disk leaves an empty mount point; removing every
   * file at once looks the same). Only the root's own listing is read: an empty listing means
   * an empty tree.
   */
  private async checkRootNow(root: Root): Promise<RootVerdict> {
    const listing = await readdir(root.root, { withFileTypes: true }).catch(() => null);
    const entries =
      listing === null
        ? null
        : listing.filter((d) => (d.isFile() || d.isDirectory()) && isSafeRelativePath(d.name) && !root.matcher(d.name, d.isDirectory())).length;
    const rootPresent = listing !== null || (await stat(root.root).catch(() => null))?.isDirectory() === true;
    const recordedLive = entries === 0 ? liveCountUnignored(this.store, root) : this.store.liveCount(root.name);
    return checkRoot({ base_dir: root.name, root: root.root, rootPresent, scannedEntries: entries, recordedLive });
  }

  /**
   * Stops processing a root that vanished or was emptied (its events are dropped, nothing is
   * logged for it) until checkRootNow believes it again, then watches and rescans it. Also
   * called for a root the start-up scan found vanished or emptied.
   */
  holdRoot(root: Root, reason: string): void {
    if (!root.available) return;
    root.available = false;
    this.log.error({ base_dir: root.name, code: 'ROOT_UNAVAILABLE' }, reason);
    const timer = setInterval(() => {
      void this.checkRootNow(root).then(
        async (verdict) => {
          if (verdict.status !== 'ok' || this.closed || root.available || !this.rootTimers.has(root.name)) return;
          // A remounted disk or a folder moved back brings its own rules: nothing of it is looked
          // at under the old ones. A rules file that cannot be read keeps the root held.
          await this.roots.reloadIgnores(root.name);
          if (this.closed || root.available || !this.rootTimers.has(root.name)) return;
          clearInterval(timer);
          this.rootTimers.delete(root.name);
          this.log.info({ base_dir: root.name }, `root "${root.name}" is back; rescanning it`);
          root.available = true;
          await this.watchRoot(root);
          this.requestRescan(root.name);
        },
        () => undefined,
      ).catch((err: unknown) => this.log.error({ base_dir: root.name, err: String(err) }, 'rescan of a returned root failed'));
    }, this.rootPollMs);
    this.rootTimers.set(root.name, timer);
  }

  /**
   * Reconciles a whole root with the log: after it returned, when its ignore rules changed, and
   * periodically (a safety net for events the OS or chokidar dropped).
   */
  private async rescanRoot(name: string): Promise<void> {
    const root = this.roots.get(name);
    if (!root || !root.available || this.closed) return;
    const dirNow = directoryKey(root.root);
    if (this.reloads.delete(name)) {
      await this.roots.reloadIgnores(name);
      this.log.info({ base_dir: name }, `${IGNORE_FILE} changed; rescanning the root`);
      await this.watchRoot(root); // newly unignored directories must be watched too
    } else if (dirNow !== null && this.watchedDirs.get(name) !== dirNow) {
      await this.roots.reloadIgnores(name); // a new directory (a mount) has rules of its own
      this.log.info({ base_dir: name }, `root "${name}" is a new directory; watching it`);
      await this.watchRoot(root);
    }
    for (const key of this.undecodable) if (key.startsWith(pendingKey(name, ''))) this.undecodable.delete(key);
    const stale: { base_dir: string; path: string }[] = [];
    let untracked = 0;
    const record = async (inputs: ChangeInput[]) => {
      const done = this.record(inputs);
      untracked += done.untracked;
      for (const path of await this.staleAfterCommit(done.recorded)) stale.push(path);
    };
    const result = await reconcile({
      store: this.store,
      root,
      log: this.log,
      skippedNames: this.skippedNames,
      record,
      stop: () => this.closed,
      onDirectory: this.watchMissed(name),
    });
    logUntracked(this.log, untracked, name);
    if (!result.stopped && result.verdict.status === 'ok') this.skippedNames.linksInRoot(name, result.links);
    if (result.verdict.status !== 'ok') {
      this.holdRoot(root, result.verdict.reason);
      return;
    }
    this.requeue([...result.unsettled.map((path) => ({ base_dir: name, path })), ...stale]);
  }
}

/** The key (in TreeWatcher.unlogged) of a root's rescan the full disk refused; no pendingKey starts so. */
const RESCAN_KEY = '\u0001rescan\u0000';
const rescanKey = (name: string): string => `${RESCAN_KEY}${name}`;

/**
 * One info line for the recorded paths a look marked ignored because the rules now exclude them:
 * a user who added `data/` to .zyncignore learns that it is no longer synced, and that the
 * clients keep their copies. One line per look, not per path.
 */
export function logUntracked(log: Logger, untracked: number, base_dir?: string): void {
  if (untracked === 0) return;
  log.info(base_dir === undefined ? {} : { base_dir }, `${untracked} recorded path(s) no longer synced: the ignore rules now exclude them (clients keep their copies)`);
}

/** How many events the OS queues for one inotify instance before it drops them (Linux; 16,384 by default). */
function maxQueuedEvents(): number {
  try {
    const n = Number(readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8').trim());
    if (Number.isInteger(n) && n > 0) return n;
  } catch {
    // not Linux, or /proc not mounted: assume the default
  }
  return 16_384;
}

/**
 * The directory a root path leads to now (through a symlinked root); null: none. Inode numbers
 * are reused at once (ext4 gives `rm -rf root && mkdir root` the same one), so the birth time
 * is part of it where the file system keeps one.
 */
function directoryKey(path: string): string | null {
  try {
    const stats = statSync(path);
    return stats.isDirectory() ? `${stats.dev}:${stats.ino}:${stats.birthtimeMs}` : null;
  } catch {
    return null;
  }
}
