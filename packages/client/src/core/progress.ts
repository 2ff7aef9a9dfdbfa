// What a progress line says, from counters alone (no clock, no terminal). A pull: the files and
// bytes received in this pass, their rate (files/s too when they are small), and how far through the daemon's log R has applied;
// the log position moves a page (up to 5,000 entries) at a time, when the page is durable, and
// the received counters with every answer, so a long page or a large file still shows motion.
// An upload: first the scan of R's roots (files looked at, those that may have changed), then the
// hashing of those (files and bytes of the totals), then changes E has taken and bytes sent, of
// the session's totals.

export interface PullProgress {
  elapsedMs: number;
  /** Files and content bytes received in this pass. */
  files: number;
  bytes: number;
  /** Log sequences: where the pass started, how far it has applied, the log's end as last seen. */
  fromSequence: number;
  appliedSequence: number;
  highestSequence: number;
}

const MiB = 1024 * 1024;

export function describeProgress(p: PullProgress): string {
  const parts = [`${count(p.files)} ${p.files === 1 ? 'file' : 'files'} received (${mib(p.bytes)})`];
  // A rate over less than a second says more about start-up than about the link.
  if (p.elapsedMs >= 1000) parts.push(pullRate(p));
  const total = p.highestSequence - p.fromSequence;
  if (total > 0) {
    const done = Math.min(total, Math.max(0, p.appliedSequence - p.fromSequence));
    parts.push(`log ${Math.floor((100 * done) / total)}% applied (${count(done)} of ${count(total)} entries)`);
  }
  return `pulling: ${parts.join(' · ')}`;
}

/** Below this average size, files are what a pull of them is counted in: per file, not per MiB. */
const SMALL_FILE_BYTES = MiB;

/**
 * MiB/s; for small files (sources, objects: thousands of them) files/s first, which is what such
 * a pull moves at (a tenth of a MiB/s says little about 2,000 files a second).
 */
function pullRate(p: PullProgress): string {
  const seconds = p.elapsedMs / 1000;
  const bytes = `${mib(p.bytes / seconds)}/s`;
  if (p.files === 0 || p.bytes / p.files >= SMALL_FILE_BYTES) return bytes;
  const files = p.files / seconds;
  return `${files < 10 ? files.toFixed(1) : count(Math.round(files))} files/s, ${bytes}`;
}

export interface ScanProgress {
  /** Files looked at so far, and those among them that may have changed (to be hashed). */
  files: number;
  suspects: number;
}

export function describeScan(p: ScanProgress): string {
  return `scanning R: ${count(p.files)} ${p.files === 1 ? 'file' : 'files'} looked at · ${count(p.suspects)} may have changed`;
}

export interface HashProgress {
  elapsedMs: number;
  /** Files hashed, and their bytes, of the totals to hash. */
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

export function describeHashing(p: HashProgress): string {
  const parts = [`${count(p.files)} of ${count(p.totalFiles)} ${p.totalFiles === 1 ? 'file' : 'files'} hashed`];
  if (p.totalBytes > 0) parts.push(`${mib(p.bytes, false)} of ${mib(p.totalBytes)}`);
  if (p.elapsedMs >= 1000) parts.push(`${mib(p.bytes / (p.elapsedMs / 1000))}/s`);
  return `checking R's changes: ${parts.join(' · ')}`;
}

export interface UploadProgress {
  elapsedMs: number;
  /** Upstream entries (files, directories, deletions) answered by E, of the session's total. */
  entries: number;
  totalEntries: number;
  /** Content bytes read and sent, of the total. */
  bytes: number;
  totalBytes: number;
  /** Content bytes E staged from its own copies instead (not in the total). */
  fromEBytes?: number;
}

export function describeUpload(p: UploadProgress): string {
  const parts = [`${count(p.entries)} of ${count(p.totalEntries)} ${p.totalEntries === 1 ? 'change' : 'changes'}`];
  if (p.totalBytes > 0) parts.push(`${mib(p.bytes, false)} of ${mib(p.totalBytes)}`);
  if (p.elapsedMs >= 1000) parts.push(`${mib(p.bytes / (p.elapsedMs / 1000))}/s`);
  if ((p.fromEBytes ?? 0) > 0) parts.push(`${mib(p.fromEBytes!)} taken from E's own copies`);
  return `sending upstream: ${parts.join(' · ')}`;
}

/** Files E staged from its own copies, for the upload's summary: "2 files (20.0 MiB) taken from E's own copies". */
export function describeFromE(files: number, bytes: number): string {
  return `${count(files)} ${files === 1 ? 'file' : 'files'} (${mib(bytes)}) taken from E's own copies`;
}

/** The line cut to fit a terminal `columns` wide (one column spare: writing the last one wraps on some terminals). */
export function fitToWidth(line: string, columns: number | undefined): string {
  if (columns === undefined || columns < 2) return line;
  const room = columns - 1;
  const chars = [...line];
  return chars.length <= room ? line : `${chars.slice(0, room - 1).join('')}…`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function mib(bytes: number, unit = true): string {
  const figure = (bytes / MiB).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  return unit ? `${figure} MiB` : figure;
}
