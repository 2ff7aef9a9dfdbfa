// The daemon's housekeeping schedule: every --compact-interval it compacts the change log
// (compaction.ts: superseded entries, tombstones older than --tombstone-days, freed pages) and
// removes upstream leftovers and backups older than --retention-days (upstream/retention.ts).
// A pass also runs soon after start-up when the log grew a lot since the last one. Passes never
// overlap; close() waits for a running one, so the store is never closed under it.
// Owns the timer and the log lines; decides nothing itself.
import { ZyncError, type Logger } from '@zync/common';
import { compactLog, type CompactionReport } from './compaction.js';
import { HOUSEKEEPING, type StateDiskNotice } from './state-disk.js';
import type { DaemonStore } from './store/daemon-store.js';
import { backupRootFor, removeExpiredUpstreamFiles, stagingRootFor, StagingStore } from './upstream/index.js';

export interface MaintenanceOptions {
  store: DaemonStore;
  stateDir: string;
  log: Logger;
  /** Time between passes; 0 turns the schedule off. */
  intervalMs: number;
  /** How long tombstones (deletions) stay in the log. */
  tombstoneMs: number;
  /** How long staging leftovers and apply backups are kept. */
  retentionMs: number;
  /** Sequences recorded since the last pass above which a pass runs right after start-up. */
  startupGrowth?: number;
  /** Says a pass refused for a full disk as the watcher and the server do (once, with the fix). */
  stateDisk?: StateDiskNotice;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** The defaults of --compact-interval (minutes), --tombstone-days and --retention-days. */
export const MAINTENANCE_DEFAULTS = { compactIntervalMinutes: 60, tombstoneDays: 7, retentionDays: 30 } as const;

/** The schedule from the flags' units (minutes, days; fractions allowed); BAD_ARGUMENT if one is not a number >= 0. */
export function maintenanceSchedule(flags: { compactIntervalMinutes: number; tombstoneDays: number; retentionDays: number }) {
  const check = (flag: string, value: number) => {
    if (!Number.isFinite(value) || value < 0) throw new ZyncError('BAD_ARGUMENT', `--${flag} must be a number of at least 0, not ${String(value)}.`);
    return value;
  };
  return {
    intervalMs: check('compact-interval', flags.compactIntervalMinutes) * MINUTE,
    tombstoneMs: check('tombstone-days', flags.tombstoneDays) * DAY,
    retentionMs: check('retention-days', flags.retentionDays) * DAY,
  };
}

export interface Maintenance {
  /** Runs one pass now (or waits for the one running) and returns its compaction report. */
  runNow(): Promise<CompactionReport | null>;
  close(): Promise<void>;
}

/** meta key: the highest sequence when the last pass finished. */
const LAST_PASS_KEY = 'compaction_last_sequence';
const STARTUP_GROWTH = 10_000;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export function startMaintenance(options: MaintenanceOptions): Maintenance {
  const { store, log } = options;
  const staging = new StagingStore(store.db);
  let closed = false;
  let running: Promise<CompactionReport | null> | null = null;

  const pass = async (): Promise<CompactionReport | null> => {
    const report = await compactLog(store, { tombstonesBefore: Date.now() - options.tombstoneMs, stopped: () => closed });
    if (closed) return report;
    store.setMeta(LAST_PASS_KEY, String(store.lastSequence()));
    if (report.dropped > 0 || report.rewritten) {
      log.info(
        `compaction: dropped ${report.dropped} log entries (${report.tombstones} deletions older than the horizon), ` +
          `${report.entriesAfter} left, compacted through ${report.compactedThrough}; database ${mib(report.bytesBefore)} -> ` +
          `${mib(report.bytesAfter)}${report.rewritten ? ' (rewritten once for incremental vacuum)' : ''} in ${report.ms} ms`,
      );
    }
    const removed = await removeExpiredUpstreamFiles({
      stagingRoot: stagingRootFor(options.stateDir),
      backupRoot: backupRootFor(options.stateDir),
      staging,
      retentionMs: options.retentionMs,
    });
    if (removed.length > 0) log.info(`retention: removed ${removed.length} expired upstream director${removed.length === 1 ? 'y' : 'ies'} (${removed.slice(0, 5).join(', ')}${removed.length > 5 ? ', ...' : ''})`);
    return report;
  };

  const runNow = (): Promise<CompactionReport | null> => {
    if (closed) return Promise.resolve(null);
    running ??= pass()
      .then((report) => {
        options.stateDisk?.wrote(HOUSEKEEPING);
        return report;
      })
      .catch((err: unknown) => {
        if (options.stateDisk?.failed(err, undefined, HOUSEKEEPING)) return null;
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'compaction failed; retrying at the next interval');
        return null;
      })
      .finally(() => (running = null));
    return running;
  };

  let timer: NodeJS.Timeout | null = null;
  if (options.intervalMs > 0) {
    timer = setInterval(() => void runNow(), Math.min(options.intervalMs, 2 ** 31 - 1)); // longer: Node would fire at once
    timer.unref();
    const lastPass = Number(store.meta(LAST_PASS_KEY) ?? '0');
    if (store.lastSequence() - lastPass >= (options.startupGrowth ?? STARTUP_GROWTH)) setImmediate(() => void runNow());
  }

  return {
    runNow,
    async close(): Promise<void> {
      closed = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
