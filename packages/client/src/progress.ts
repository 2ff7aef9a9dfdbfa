// A pull's or an upload's progress on stderr while it runs. On a terminal: one status line,
// redrawn a few times a second; log records make it step aside (cleared, the record written,
// drawn again below it), and it is cleared before the summary. Elsewhere, when asked for
// (--progress): a log line every few seconds, for a log file or a service manager's journal.
// Work shorter than a second shows nothing, so continuous mode's small pulls stay quiet.
import { writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { Logger } from '@zync/common';
import { describeHashing, describeProgress, describeScan, describeUpload, fitToWidth } from './core/progress.js';
import type { PassObserver } from './pull-engine.js';
import type { ScanCounts } from './upstream/find-changes.js';
import type { UpstreamObserver } from './upstream/index.js';
import type { HashCounts } from './upstream/scan-local.js';

export type ProgressMode = 'off' | 'status-line' | 'log-lines';

/** Where a status line is drawn: stderr, or a fake in tests. */
export interface TerminalOut {
  write(text: string): void;
  columns(): number | undefined;
}

export const stderrTerminal: TerminalOut = {
  write: (text) => void writeSync(2, text),
  columns: () => process.stderr.columns,
};

/** The terminal's last line, owned by the progress display. */
export class StatusLine {
  private shown = '';

  constructor(private readonly out: TerminalOut) {}

  show(text: string): void {
    this.shown = fitToWidth(text, this.out.columns());
    this.out.write(`\r${this.shown}\x1b[K`);
  }

  clear(): void {
    if (this.shown === '') return;
    this.shown = '';
    this.out.write('\r\x1b[K');
  }

  /** Writes something else (a log record) above the line, which comes back below it. */
  around(write: () => void): void {
    const text = this.shown;
    this.clear();
    write();
    if (text !== '') this.show(text);
  }
}

/** The logger's destination while a status line may be on screen: records step around it. */
export function stderrAround(line: StatusLine): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      line.around(() => writeSync(2, bytes));
      done();
    },
  });
}

export interface ProgressTiming {
  /** Nothing is shown before a pass has run this long. */
  firstAfterMs: number;
  /** Then: a status line is redrawn, or a log line written, this often. */
  everyMs: number;
}

export const STATUS_LINE_TIMING: ProgressTiming = { firstAfterMs: 1000, everyMs: 250 };
export const LOG_LINE_TIMING: ProgressTiming = { firstAfterMs: 1000, everyMs: 5000 };

/** Shows what `describe` says after `firstAfterMs`, then every `everyMs`, until stopped. */
export class Ticker {
  private timer: NodeJS.Timeout | null = null;
  private shown = false;
  private tick: () => void = () => undefined;

  constructor(
    private readonly show: (text: string) => void,
    private readonly hide: () => void,
    private readonly timing: ProgressTiming,
  ) {}

  static forMode(mode: ProgressMode, logger: Logger, line: StatusLine): Ticker | undefined {
    if (mode === 'status-line') return new Ticker((text) => line.show(text), () => line.clear(), STATUS_LINE_TIMING);
    if (mode === 'log-lines') return new Ticker((text) => logger.info(text), () => undefined, LOG_LINE_TIMING);
    return undefined;
  }

  start(describe: () => string): void {
    this.stop();
    this.tick = () => {
      this.shown = true;
      this.show(describe());
      this.timer = setTimeout(this.tick, this.timing.everyMs);
      this.timer.unref();
    };
    this.timer = setTimeout(this.tick, this.timing.firstAfterMs);
    this.timer.unref();
  }

  /** Shows what `describe` says now, if anything was shown already (a new phase of the work). */
  redraw(): void {
    if (this.timer === null || !this.shown) return;
    clearTimeout(this.timer);
    this.tick();
  }

  stop(): void {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.shown = false;
    this.hide();
  }
}

/** Follows one pull pass at a time (PullEngine calls begin, position and end) and shows it. */
export class PullProgress implements PassObserver {
  private received: Readonly<{ files: number; bytes: number }> = { files: 0, bytes: 0 };
  private base = { files: 0, bytes: 0 };
  private from = 0;
  private applied = 0;
  private highest = 0;
  private started = 0;

  constructor(private readonly ticker: Ticker) {}

  begin(received: Readonly<{ files: number; bytes: number }>, sequence: number, highest: number, resyncing = false): void {
    this.received = received;
    this.base = { ...received };
    // A first sync stopped and started again is one resync: counted from 0, its total stays the
    // log's and the pages the stopped run applied show as done (not a smaller total each run).
    this.from = resyncing ? 0 : sequence;
    this.applied = sequence;
    this.highest = highest;
    this.started = Date.now();
    this.ticker.start(() =>
      describeProgress({
        elapsedMs: Date.now() - this.started,
        files: this.received.files - this.base.files,
        bytes: this.received.bytes - this.base.bytes,
        fromSequence: this.from,
        appliedSequence: this.applied,
        highestSequence: this.highest,
      }),
    );
  }

  position(applied: number, highest: number): void {
    // A resync starts again from 0: the pass's work is counted from there.
    if (applied < this.from) this.from = applied;
    this.applied = applied;
    this.highest = Math.max(highest, applied);
  }

  end(): void {
    this.ticker.stop();
  }
}

/**
 * Follows --update-upstream through its phases (runUpstream reports the scan and the hashing,
 * sendSession the upload) on one display: it appears once the run has taken a second, whatever
 * the phase, and each phase shows its own counters.
 */
export class UploadProgress implements UpstreamObserver {
  private describe: () => string = () => '';
  private showing = false;
  private sent = { entries: 0, bytes: 0, fromEBytes: 0 };
  private totals = { entries: 0, bytes: 0 };

  constructor(private readonly ticker: Ticker) {}

  scanning(scanned: Readonly<ScanCounts>): void {
    this.show(() => describeScan(scanned));
  }

  hashing(totals: Readonly<HashCounts>, hashed: Readonly<HashCounts>): void {
    const started = Date.now();
    this.show(() => describeHashing({ elapsedMs: Date.now() - started, ...hashed, totalFiles: totals.files, totalBytes: totals.bytes }));
  }

  begin(entries: number, bytes: number): void {
    const started = Date.now();
    const sent = (this.sent = { entries: 0, bytes: 0, fromEBytes: 0 });
    const totals = (this.totals = { entries, bytes });
    this.show(() => describeUpload({ elapsedMs: Date.now() - started, ...sent, totalEntries: totals.entries, totalBytes: totals.bytes }));
  }

  recount(entries: number, bytes: number): void {
    this.totals.entries += entries;
    this.totals.bytes += bytes;
  }

  bytesSent(bytes: number): void {
    this.sent.bytes += bytes;
  }

  entrySent(): void {
    this.sent.entries++;
  }

  tookFromE(bytes: number): void {
    this.sent.fromEBytes += bytes;
  }

  end(): void {
    this.showing = false;
    this.ticker.stop();
  }

  /** The phase's line from now on, shown at once if the display is up; it waits its first second once per run. */
  private show(describe: () => string): void {
    this.describe = describe;
    if (this.showing) {
      this.ticker.redraw();
      return;
    }
    this.showing = true;
    this.ticker.start(() => this.describe());
  }
}
