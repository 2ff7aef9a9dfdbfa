// Directory permission bits on R. E's mode is given to a directory only once the batch is done
// with it: a directory that is 0500 or 0000 refuses the temp files, renames and deletions of
// its entries. While a batch works, a directory it creates is owner-only (a private folder is
// never briefly world-readable), and an existing one it must write in (left read-only by an
// earlier batch) is opened for its owner and given back its mode at the end — or, after a kill -9
// before that end, at the next start. Pure: the local tree, the batch shell and opened-dirs.ts do
// the chmods.
import type { LocalState } from './types.js';

/** Owner read, write and search: what a batch needs in a directory it writes in. */
export const OWNER_RWX = 0o700;

/** The mode a directory has while a batch creates it and fills it. */
export const MADE_DIR_MODE = OWNER_RWX;

/** The mode an existing directory is opened to for the batch, or null when it needs no opening. */
export function openedMode(mode: number): number | null {
  return (mode & OWNER_RWX) === OWNER_RWX ? null : mode | OWNER_RWX;
}

/**
 * At start, the mode to give back to a directory a killed batch opened (`noted`: its mode
 * before), or null to leave it as it is: gone, not a directory, or no longer in the mode the
 * batch opened it to — R's user changed it since, and that change is theirs to keep. Left too when
 * it holds the mode R last received for it (`received`): the note outlived a batch that did give
 * the mode back, and E's later mode is the opened one. A chmod by R's user to exactly the opened
 * mode cannot be told apart and is undone.
 */
export function modeToGiveBack(noted: number, local: LocalState, received: number | null): number | null {
  if (local.kind !== 'dir' || local.mode !== openedMode(noted) || local.mode === received) return null;
  return noted;
}

/** A directory whose mode is settled at the end of a batch. */
export interface DirModeTarget<T> {
  /** A key for the directory (the shell uses its absolute path). */
  path: string;
  /** Path components below the root: children have more than their parents. */
  depth: number;
  mode: number;
  /** The entry that asked for this mode (null: the batch opened the directory, give its mode back). */
  from: T | null;
}

/**
 * The chmods that end a batch, in levels to run one after the other, deepest first (a parent
 * left without search permission for its owner would refuse its children's chmod). Per
 * directory E's mode wins over the mode the batch found: the entry said what it is now.
 */
export function planDirModes<T>(targets: readonly DirModeTarget<T>[]): DirModeTarget<T>[][] {
  const byPath = new Map<string, DirModeTarget<T>>();
  for (const target of targets) {
    const seen = byPath.get(target.path);
    if (!seen || (seen.from === null && target.from !== null)) byPath.set(target.path, target);
  }
  const levels = new Map<number, DirModeTarget<T>[]>();
  for (const target of byPath.values()) {
    const level = levels.get(target.depth);
    if (level) level.push(target);
    else levels.set(target.depth, [target]);
  }
  return [...levels.entries()].sort(([a], [b]) => b - a).map(([, level]) => level);
}
