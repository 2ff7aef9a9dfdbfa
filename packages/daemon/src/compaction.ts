// Runs one compaction of the change log to its end: steps of a few thousand entries, each its own
// short transaction (DaemonStore.compactStep, decided by core/plan-compaction), with the event
// loop free between steps so requests and the watcher are served meanwhile; then the freed pages
// go back to the file system (incremental vacuum, in steps too) and the WAL is truncated.
// Decides nothing about entries itself and owns no schedule (maintenance.ts does).
import type { DaemonStore } from './store/daemon-store.js';

export interface CompactionOptions {
  /** Tombstones recorded before this time (ms since the epoch) are dropped. */
  tombstonesBefore: number;
  /** Entries looked at per transaction. */
  stepEntries?: number;
  /** Pages freed per incremental-vacuum step. */
  vacuumPages?: number;
  /** Stop between steps (the daemon is shutting down). */
  stopped?: () => boolean;
}

export interface CompactionReport {
  /** Entries in the log before and after. */
  entriesBefore: number;
  entriesAfter: number;
  dropped: number;
  tombstones: number;
  compactedThrough: number;
  /** Database file size (pages in use plus free pages) before and after, in bytes. */
  bytesBefore: number;
  bytesAfter: number;
  /** The database was rewritten once to switch it to incremental vacuum. */
  rewritten: boolean;
  ms: number;
}

const STEP_ENTRIES = 5000;
const VACUUM_PAGES = 2048;
/** A database without incremental vacuum is rewritten once when this much of it is free. */
const REWRITE_FREE_FRACTION = 0.25;
const REWRITE_MIN_FREE_BYTES = 4 * 1024 * 1024;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function compactLog(store: DaemonStore, options: CompactionOptions): Promise<CompactionReport> {
  const started = Date.now();
  const stopped = options.stopped ?? (() => false);
  const sizeOf = () => {
    const s = store.space();
    return s.pages * s.pageSize;
  };
  const report: CompactionReport = {
    entriesBefore: store.changeCount(),
    entriesAfter: 0,
    dropped: 0,
    tombstones: 0,
    compactedThrough: store.compactedThrough(),
    bytesBefore: sizeOf(),
    bytesAfter: 0,
    rewritten: false,
    ms: 0,
  };
  // Entries recorded while this runs are left for the next run.
  const upTo = store.lastSequence();
  for (let after = 0; !stopped(); ) {
    const step = store.compactStep(after, upTo, options.stepEntries ?? STEP_ENTRIES, options.tombstonesBefore);
    report.dropped += step.dropped;
    report.tombstones += step.tombstones;
    report.compactedThrough = step.compactedThrough;
    after = step.next;
    if (step.done) break;
    await yieldToEventLoop();
  }

  let space = store.space();
  if (space.autoVacuum === 2) {
    while (space.freePages > 0 && !stopped()) {
      store.vacuumStep(options.vacuumPages ?? VACUUM_PAGES);
      await yieldToEventLoop();
      space = store.space();
    }
  } else if (
    !stopped() &&
    space.freePages >= space.pages * REWRITE_FREE_FRACTION &&
    space.freePages * space.pageSize >= REWRITE_MIN_FREE_BYTES
  ) {
    store.vacuumFull();
    report.rewritten = true;
  }
  if (!stopped()) store.checkpoint();
  report.entriesAfter = store.changeCount();
  report.bytesAfter = sizeOf();
  report.ms = Date.now() - started;
  return report;
}
