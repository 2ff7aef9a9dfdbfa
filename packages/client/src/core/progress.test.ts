import { describe, expect, it } from 'vitest';
import { describeFromE, describeHashing, describeProgress, describeScan, describeUpload, fitToWidth } from './progress.js';

const base = { elapsedMs: 4000, files: 4812, bytes: 41.25 * 1024 * 1024, fromSequence: 0, appliedSequence: 5000, highestSequence: 10_110 };

describe('describeProgress', () => {
  it('says what was received, how fast, and how far through the log R is', () => {
    expect(describeProgress(base)).toBe('pulling: 4,812 files received (41.3 MiB) · 1,203 files/s, 10.3 MiB/s · log 49% applied (5,000 of 10,110 entries)');
  });

  it.each<[string, { files: number; bytes: number }, string]>([
    ['small files: files/s first', { files: 4812, bytes: 41.25 * 1024 * 1024 }, '· 1,203 files/s, 10.3 MiB/s ·'],
    ['a few small files: files/s with a decimal', { files: 6, bytes: 60 * 1024 }, '· 1.5 files/s, 0.0 MiB/s ·'],
    ['large files: MiB/s alone', { files: 3, bytes: 300 * 1024 * 1024 }, '· 75.0 MiB/s ·'],
    ['nothing received yet: MiB/s alone', { files: 0, bytes: 0 }, '· 0.0 MiB/s ·'],
  ])('gives the rate in files/s too when the files are small: %s', (_why, received, rate) => {
    expect(describeProgress({ ...base, ...received })).toContain(rate);
  });

  it('counts the log from where the pass started, not from the log’s beginning', () => {
    expect(describeProgress({ ...base, fromSequence: 9000, appliedSequence: 9500, highestSequence: 10_000 })).toContain('log 50% applied (500 of 1,000 entries)');
  });

  it('gives no rate in the first second', () => {
    expect(describeProgress({ ...base, elapsedMs: 999 })).not.toContain('/s');
  });

  it('leaves the log out when there is nothing past the start (a continuous pass over an empty log)', () => {
    expect(describeProgress({ ...base, files: 1, fromSequence: 10, appliedSequence: 10, highestSequence: 10 })).toBe('pulling: 1 file received (41.3 MiB) · 10.3 MiB/s');
  });

  it('never shows more than 100% or less than 0% when the log moved under it', () => {
    expect(describeProgress({ ...base, appliedSequence: 12_000 })).toContain('log 100% applied (10,110 of 10,110 entries)');
    expect(describeProgress({ ...base, fromSequence: 100, appliedSequence: 0 })).toContain('log 0% applied (0 of 10,010 entries)');
  });
});

describe('fitToWidth', () => {
  it('keeps a line that fits and leaves the last column free', () => {
    expect(fitToWidth('abcd', 5)).toBe('abcd');
    expect(fitToWidth('abcde', 5)).toBe('abc…');
  });

  it('cuts by characters, never inside one', () => {
    expect(fitToWidth('ääääää', 5)).toBe('äää…');
  });

  it('leaves the line alone when the width is unknown', () => {
    expect(fitToWidth('abcdef', undefined)).toBe('abcdef');
  });
});

describe('describeUpload', () => {
  it('says how much of the session E has taken', () => {
    expect(describeUpload({ elapsedMs: 2000, entries: 120, totalEntries: 500, bytes: 41 * 1024 * 1024, totalBytes: 1024 * 1024 * 1024 })).toBe(
      'sending upstream: 120 of 500 changes · 41.0 of 1,024.0 MiB · 20.5 MiB/s',
    );
  });

  it('leaves bytes out of a session of deletions and directories only', () => {
    expect(describeUpload({ elapsedMs: 500, entries: 0, totalEntries: 1, bytes: 0, totalBytes: 0 })).toBe('sending upstream: 0 of 1 change');
  });

  it("says what E took from its own copies instead of receiving it", () => {
    expect(describeUpload({ elapsedMs: 500, entries: 2, totalEntries: 3, bytes: 0, totalBytes: 1024, fromEBytes: 20 * 1024 * 1024 })).toBe(
      "sending upstream: 2 of 3 changes · 0.0 of 0.0 MiB · 20.0 MiB taken from E's own copies",
    );
    expect(describeFromE(2, 20 * 1024 * 1024)).toBe("2 files (20.0 MiB) taken from E's own copies");
    expect(describeFromE(1, 4 * 1024 * 1024)).toBe("1 file (4.0 MiB) taken from E's own copies");
  });
});

describe('describeScan', () => {
  it('says how many of R’s files were looked at and how many may have changed', () => {
    expect(describeScan({ files: 41_200, suspects: 820 })).toBe('scanning R: 41,200 files looked at · 820 may have changed');
    expect(describeScan({ files: 1, suspects: 0 })).toBe('scanning R: 1 file looked at · 0 may have changed');
  });
});

describe('describeHashing', () => {
  it('says how much of what may have changed was hashed, and how fast', () => {
    expect(describeHashing({ elapsedMs: 2000, files: 120, totalFiles: 500, bytes: 300 * 1024 * 1024, totalBytes: 1024 * 1024 * 1024 })).toBe(
      "checking R's changes: 120 of 500 files hashed · 300.0 of 1,024.0 MiB · 150.0 MiB/s",
    );
  });

  it('gives no rate in the first second, and no bytes when every file is empty', () => {
    expect(describeHashing({ elapsedMs: 400, files: 0, totalFiles: 1, bytes: 0, totalBytes: 0 })).toBe("checking R's changes: 0 of 1 file hashed");
  });
});
