// Directories E deleted that R kept, because they still held R's own files or conflict copies
// when the deletion arrived (apply-batch's delete-dir). They are looked at again later: one that
// E has made again is an ordinary synced directory, one that is gone (or is something else now)
// is R's business, and one that holds nothing but such kept directories, themselves empty, is
// removed — E no longer has it and nothing of R's is in it. Anything else in it (a file, a
// conflict copy, a directory R made, a temp file) keeps it. Pure: the shell reads the disk and
// removes with rmdir, which never removes a directory holding anything.
import { entryKeyString, type EntryKey } from './types.js';

export interface KeptDirState extends EntryKey {
  /** R's records hold this path again: E made it again after deleting it. */
  recordedByE: boolean;
  /**
   * What R's disk holds at the path: nothing, something other than a directory, a directory and
   * the names in it, or unknown (it could not be listed, or its root is not synced by this run).
   */
  local: { kind: 'absent' } | { kind: 'other' } | { kind: 'dir'; names: readonly string[] } | { kind: 'unknown' };
}

export interface KeptDirsPlan {
  /** Directories to remove, each after every one below it. */
  remove: EntryKey[];
  /** Records to drop without touching the disk (the removed ones are dropped too, once removed). */
  forget: EntryKey[];
}

const depth = (path: string) => path.split('/').length;

export function planKeptDirs(kept: readonly KeptDirState[]): KeptDirsPlan {
  const plan: KeptDirsPlan = { remove: [], forget: [] };
  const removable = new Set<string>();
  // Deepest first: a directory is empty of R's things when all it holds are kept directories
  // already found removable.
  for (const dir of [...kept].sort((a, b) => depth(b.path) - depth(a.path))) {
    const key = { base_dir: dir.base_dir, path: dir.path };
    if (dir.recordedByE || dir.local.kind === 'absent' || dir.local.kind === 'other') {
      plan.forget.push(key);
      continue;
    }
    if (dir.local.kind === 'unknown') continue;
    const onlyRemovable = dir.local.names.every((name) => removable.has(entryKeyString({ base_dir: dir.base_dir, path: `${dir.path}/${name}` })));
    if (!onlyRemovable) continue;
    removable.add(entryKeyString(key));
    plan.remove.push(key);
  }
  return plan;
}
