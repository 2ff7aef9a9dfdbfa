// Compares what a scan found (one directory's listing, or more) with what the files table holds
// for the same paths, and plans what to do: which files must be read and hashed (new, or size,
// mtime, inode or change time moved — a chmod moves the change time, so a file's mode change is
// hashed too), and which changes are known without reading (new directories, deletions,
// directory mode changes).
// Unchanged files are not re-hashed. Paths below a directory the scan could not read are left
// alone, never taken as deleted; a deleted directory's contents go with it (the store's job).
// A recorded path the ignore rules now exclude (the scan leaves it out) is not deleted but
// marked ignored (ChangeInput.ignored): ignoring stops syncing, the clients keep their copies.
// One marked so that the scan finds again is read and logged afresh (the clients' copies may be
// stale); one the rules let through again but the scan does not find was deleted meanwhile.
// Pure: the scanner shell does the I/O.
import { ignoredInput, sameStat, type ChangeInput, type FileRecord, type StatEntry } from './entries.js';

export interface ScanPlan {
  /** Files whose content must be read before they can be classified. */
  hash: StatEntry[];
  /**
   * Changes known from stat alone: directory adds and mode changes, deletions, and a file's mode
   * change where its change time did not move (file systems that keep it on chmod).
   */
  changes: ChangeInput[];
  /** Entries whose recorded state still holds. */
  unchanged: number;
}

export function diffScan(input: {
  base_dir: string;
  /** Everything the scan found (files and directories), relative to the root. */
  scanned: readonly StatEntry[];
  /** Live rows (deleted = 0) recorded for the same root or subtree. */
  recorded: ReadonlyMap<string, FileRecord>;
  /** Directories the scan could not read: what lies below them is unknown, not deleted. */
  unreadable?: readonly string[];
  /** The root's ignore rules now; a recorded path they exclude is marked ignored, not deleted. */
  ignored?: (path: string, isDir: boolean) => boolean;
}): ScanPlan {
  const { base_dir, scanned, recorded } = input;
  const unreadable = new Set(input.unreadable ?? []);
  const plan: ScanPlan = { hash: [], changes: [], unchanged: 0 };
  const seen = new Set<string>();

  for (const entry of scanned) {
    seen.add(entry.path);
    const prev = recorded.get(entry.path);
    if (entry.kind === 'dir') {
      const known = prev !== undefined && prev.kind === 'dir' && !prev.ignored;
      if (known && prev.mode === entry.mode) plan.unchanged++;
      else plan.changes.push({ operation: known ? 'modify' : 'add', kind: 'dir', base_dir, path: entry.path, checksum: null, size: 0, mtime: entry.mtime, mode: entry.mode, ino: entry.ino });
      continue;
    }
    if (!prev || prev.kind !== 'file' || prev.checksum === null || prev.ignored || !sameStat(prev, entry)) {
      plan.hash.push(entry);
    } else if (prev.mode !== entry.mode) {
      plan.changes.push({ operation: 'modify', kind: 'file', base_dir, path: entry.path, checksum: prev.checksum, size: entry.size, mtime: entry.mtime, mode: entry.mode, ino: entry.ino });
    } else {
      plan.unchanged++;
    }
  }

  for (const [path, prev] of recorded) {
    if (seen.has(path) || prev.deleted) continue;
    if (unreadable.size > 0 && belowAny(path, unreadable)) continue;
    if (input.ignored?.(path, prev.kind === 'dir')) {
      if (!prev.ignored) plan.changes.push(ignoredInput(base_dir, path, prev.kind));
      continue;
    }
    plan.changes.push({ operation: 'delete', kind: prev.kind, base_dir, path, checksum: null, size: 0, mtime: 0, mode: 0 });
  }
  return plan;
}

/** Whether path is one of dirs or lies below one: a walk up its parents, not a scan of dirs. */
function belowAny(path: string, dirs: ReadonlySet<string>): boolean {
  for (let end = path.length; end > 0; end = path.lastIndexOf('/', end - 1)) {
    if (dirs.has(path.slice(0, end))) return true;
  }
  return false;
}
