import { afterEach, describe, expect, it, vi } from 'vitest';
import { PullProgress, StatusLine, Ticker, UploadProgress, type TerminalOut } from './progress.js';

function fakeTerminal(columns?: number): TerminalOut & { written: string } {
  const out = { written: '', write: (text: string) => void (out.written += text), columns: () => columns };
  return out;
}

describe('StatusLine', () => {
  it('draws in place, cut to the terminal, and clears only what it drew', () => {
    const out = fakeTerminal(12);
    const line = new StatusLine(out);
    line.clear();
    expect(out.written).toBe('');
    line.show('pulling: 12 files');
    expect(out.written).toBe('\rpulling: 1…\x1b[K');
    line.clear();
    expect(out.written.endsWith('\r\x1b[K')).toBe(true);
  });

  it('steps aside for a log record and comes back below it', () => {
    const out = fakeTerminal();
    const line = new StatusLine(out);
    line.show('status');
    out.written = '';
    line.around(() => out.write('a log record\n'));
    expect(out.written).toBe('\r\x1b[Ka log record\n\rstatus\x1b[K');
  });
});

describe('PullProgress', () => {
  afterEach(() => void vi.useRealTimers());

  it('shows nothing in a pass’s first second, then what was received since the pass began', () => {
    vi.useFakeTimers();
    const shown: string[] = [];
    let hidden = 0;
    const display = new PullProgress(new Ticker((text) => shown.push(text), () => hidden++, { firstAfterMs: 1000, everyMs: 250 }));
    const received = { files: 7, bytes: 0 };
    display.begin(received, 100, 300);
    received.files = 12;
    vi.advanceTimersByTime(999);
    expect(shown).toEqual([]);
    display.position(200, 300);
    vi.advanceTimersByTime(1);
    expect(shown).toEqual(['pulling: 5 files received (0.0 MiB) · 5.0 files/s, 0.0 MiB/s · log 50% applied (100 of 200 entries)']);
    vi.advanceTimersByTime(500);
    expect(shown).toHaveLength(3);
    display.end();
    expect(hidden).toBe(1);
    vi.advanceTimersByTime(5000);
    expect(shown).toHaveLength(3);
  });

  it('counts a resync resumed after a stopped run from 0: the same total as the run before, its pages done', () => {
    vi.useFakeTimers();
    const shown: string[] = [];
    const display = new PullProgress(new Ticker((text) => shown.push(text), () => undefined, { firstAfterMs: 0, everyMs: 1000 }));
    display.begin({ files: 0, bytes: 0 }, 5000, 6360, true);
    vi.advanceTimersByTime(0);
    expect(shown).toEqual(['pulling: 0 files received (0.0 MiB) · log 78% applied (5,000 of 6,360 entries)']);
  });

  it('counts a resync’s pages from 0', () => {
    vi.useFakeTimers();
    const shown: string[] = [];
    const display = new PullProgress(new Ticker((text) => shown.push(text), () => undefined, { firstAfterMs: 0, everyMs: 1000 }));
    display.begin({ files: 0, bytes: 0 }, 500, 1000);
    display.position(0, 1000);
    display.position(250, 1000);
    vi.advanceTimersByTime(0);
    expect(shown[0]).toContain('log 25% applied (250 of 1,000 entries)');
    display.end();
  });
});

describe('UploadProgress', () => {
  afterEach(() => void vi.useRealTimers());

  it('counts the entries E answered and the bytes sent, against the session’s totals', () => {
    vi.useFakeTimers();
    const shown: string[] = [];
    const upload = new UploadProgress(new Ticker((text) => shown.push(text), () => undefined, { firstAfterMs: 1000, everyMs: 1000 }));
    upload.begin(3, 4 * 1024 * 1024);
    upload.bytesSent(1024 * 1024);
    upload.entrySent();
    vi.advanceTimersByTime(1000);
    expect(shown).toEqual(['sending upstream: 1 of 3 changes · 1.0 of 4.0 MiB · 1.0 MiB/s']);
    upload.end();
  });

  it('counts against totals recounted for a file left out and one read again at another size', () => {
    vi.useFakeTimers();
    const shown: string[] = [];
    const upload = new UploadProgress(new Ticker((text) => shown.push(text), () => undefined, { firstAfterMs: 1000, everyMs: 1000 }));
    upload.begin(3, 4 * 1024 * 1024);
    // A 1 MiB file left out after half of it went: its bytes are taken back, it no longer counts.
    upload.bytesSent(512 * 1024);
    upload.bytesSent(-512 * 1024);
    upload.recount(-1, -1024 * 1024);
    // A 1 MiB file read again at 2 MiB, then sent whole.
    upload.recount(0, 1024 * 1024);
    upload.bytesSent(2 * 1024 * 1024);
    upload.entrySent();
    upload.bytesSent(2 * 1024 * 1024);
    upload.entrySent();
    vi.advanceTimersByTime(1000);
    expect(shown).toEqual(['sending upstream: 2 of 2 changes · 4.0 of 4.0 MiB · 4.0 MiB/s']);
    upload.end();
  });

  it('shows the scan and the hashing before the upload, on one display that waits its second once', () => {
    vi.useFakeTimers();
    const shown: string[] = [];
    let hidden = 0;
    const upload = new UploadProgress(new Ticker((text) => shown.push(text), () => hidden++, { firstAfterMs: 1000, everyMs: 500 }));
    const scanned = { files: 0, suspects: 0 };
    upload.scanning(scanned);
    scanned.files = 40_000;
    scanned.suspects = 3;
    vi.advanceTimersByTime(600);
    const hashed = { files: 0, bytes: 0 };
    upload.hashing({ files: 3, bytes: 3 * 1024 * 1024 }, hashed);
    hashed.files = 1;
    hashed.bytes = 1024 * 1024;
    vi.advanceTimersByTime(400);
    expect(shown).toEqual(["checking R's changes: 1 of 3 files hashed · 1.0 of 3.0 MiB"]);
    // A new phase shows at once (a log line every 5 s would otherwise skip a short one).
    upload.begin(3, 3 * 1024 * 1024);
    expect(shown[1]).toBe('sending upstream: 0 of 3 changes · 0.0 of 3.0 MiB');
    upload.entrySent();
    vi.advanceTimersByTime(500);
    expect(shown[2]).toBe('sending upstream: 1 of 3 changes · 0.0 of 3.0 MiB');
    upload.end();
    upload.end();
    expect(hidden).toBe(1);
    vi.advanceTimersByTime(5000);
    expect(shown).toHaveLength(3);
  });

  it('shows a long scan as it goes', () => {
    vi.useFakeTimers();
    const shown: string[] = [];
    const upload = new UploadProgress(new Ticker((text) => shown.push(text), () => undefined, { firstAfterMs: 1000, everyMs: 500 }));
    const scanned = { files: 0, suspects: 0 };
    upload.scanning(scanned);
    scanned.files = 12_345;
    vi.advanceTimersByTime(1000);
    expect(shown).toEqual(['scanning R: 12,345 files looked at · 0 may have changed']);
    upload.end();
  });
});
