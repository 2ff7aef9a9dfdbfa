// The end of a full resync: paths R had received that the daemon's current state no longer
// holds were deleted on E while R could not follow the log. They become ordinary deletions, so
// the no-loss rule of planPull applies (unchanged files go, R's edits are kept). Those the ignore
// rules now exclude are not among them: E stopped syncing them, it did not delete them. What R
// received below a directory E replaced with a file is swept earlier, with that page
// (dirsReplacedByFiles). What a killed run placed (or made directories for) at paths E no
// longer holds has no record to sweep: its placement notes name it (leftPlacements). Pure.
import type { ChangeEntry, IgnoreMatcher } from '@zync/common';
import { entryKeyString, type EntryKey, type RecordedEntry } from './types.js';

/** Synthetic delete entries for recorded paths the resync pass did not confirm. */
export function planSweep(unseen: readonly RecordedEntry[], sequence: number, now: number): ChangeEntry[] {
  return unseen.map((recorded) => ({
    sequence,
    operation: 'delete',
    kind: recorded.kind,
    base_dir: recorded.base_dir,
    path: recorded.path,
    checksum: null,
    size: 0,
    mtime: recorded.mtime,
    mode: recorded.mode,
    timestamp: now,
  }));
}

/**
 * Splits unconfirmed records into those to sweep and those the root's ignore rules (R's copy of
 * E's .zyncignore, and the built-in ones) now exclude: E no longer syncs those, so R keeps its
 * copies and their records, as a pull that followed the log would have.
 */
export function splitIgnored(unseen: readonly RecordedEntry[], ignored: IgnoreMatcher): { sweep: RecordedEntry[]; kept: RecordedEntry[] } {
  const sweep: RecordedEntry[] = [];
  const kept: RecordedEntry[] = [];
  for (const entry of unseen) (ignored(entry.path, entry.kind === 'dir') ? kept : sweep).push(entry);
  return { sweep, kept };
}

/**
 * The directories R received where a resync's page brings a file of E's: nothing E holds lies
 * below them, so what R received there is E's deletion, to sweep before the page is applied. A
 * pull that follows the log gets those deletions in the file's page; left to the sweep after
 * the last page, they would still fill the directory when the file replaces it, and R's whole
 * directory would be kept as a conflict copy although R changed nothing in it.
 */
export function dirsReplacedByFiles(entries: readonly ChangeEntry[], recorded: ReadonlyMap<string, RecordedEntry>): EntryKey[] {
  return entries.flatMap((entry) =>
    entry.kind === 'file' && entry.operation !== 'delete' && recorded.get(entryKeyString(entry))?.kind === 'dir' ? [{ base_dir: entry.base_dir, path: entry.path }] : [],
  );
}

/**
 * Delete entries for the paths a killed run noted placements at and that hold no record once a
 * resync's pages and sweep are done: E no longer has them. Planned as deletions, a file there
 * that holds the noted content is E's and goes; anything else there is R's and stays.
 */
export function leftPlacements(baseDir: string, paths: readonly string[], sequence: number, now: number): ChangeEntry[] {
  return paths.map((path) => ({ sequence, operation: 'delete', kind: 'file', base_dir: baseDir, path, checksum: null, size: 0, mtime: 0, mode: 0, timestamp: now }));
}

/** The directories above these paths (the root excluded), and those `also` names, each once, deepest first. */
export function dirsAbove(paths: readonly string[], also: readonly string[] = []): string[] {
  const dirs = new Set<string>(also);
  for (const path of paths) {
    for (let at = path.lastIndexOf('/'); at > 0; at = path.lastIndexOf('/', at - 1)) dirs.add(path.slice(0, at));
  }
  const depth = (path: string) => path.split('/').length;
  return [...dirs].sort((a, b) => depth(b) - depth(a) || (a < b ? -1 : a > b ? 1 : 0));
}
