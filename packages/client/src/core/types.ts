// Domain types shared by the client's pure core and its shells. Wire shapes come from
// @zync/common (ChangeEntry); these describe R's side: what R recorded and what its disk holds.
import type { EntryKind } from '@zync/common';

export interface EntryKey {
  base_dir: string;
  path: string;
}

/** A directory E removed that R kept for R's files in it; `movedTo`: where E moved it, when R could tell. */
export interface KeptDir extends EntryKey {
  movedTo?: EntryKey;
}

/** A map key for (base_dir, path). */
export function entryKeyString(key: EntryKey): string {
  return `${key.base_dir}\u0000${key.path}`;
}

/** What R last received for one path, and how the local file looked right after writing it. */
export interface RecordedEntry extends EntryKey {
  kind: EntryKind;
  /** null for directories. */
  checksum: string | null;
  size: number;
  mtime: number;
  mode: number;
  /** Local stat after writing (null for directories). */
  local_size: number | null;
  local_mtime: number | null;
  local_ino: number | null;
  /**
   * At least the file's ctime right after R wrote and recorded it (sql/006-local-ctime.sql): a
   * later ctime means the file was written since, whatever its size, mtime and inode say. Absent
   * or null: not known (recorded before it was kept), not checked.
   */
  local_ctime_max?: number | null;
  /**
   * The file's permission bits right after R wrote it, less a chmod of R's kept over E's bits
   * (sql/009-local-mode.sql): what R's file shows while R made no chmod. Absent or null: not known
   * (recorded before it was kept), E's bits (`mode`) stand for it.
   */
  local_mode?: number | null;
  /** The log sequence this state came from. */
  sequence: number;
  /** The resync generation during which the daemon last confirmed this path. */
  seen_gen: number;
}

/**
 * What R's disk holds at a path right now. For a file, `checksum` is present only when it was
 * hashed (the planner asks for a hash when the stat alone cannot tell, see needsLocalHash).
 */
export type LocalState =
  | { kind: 'absent' }
  /** `mode`: permission bits as they are on R (before a batch opened the directory to write in it). */
  | { kind: 'dir'; mode: number }
  | { kind: 'other' }
  | { kind: 'file'; size: number; mtime: number; ino: number; mode: number; ctime?: number; checksum?: string };

/**
 * E's content a batch noted before it may place it at a path (sql/005-placements.sql), with the
 * permission bits E's entry gave it (sql/010): null where not known (a deletion names no bits,
 * or noted before they were kept).
 */
export interface Placement {
  checksum: string;
  mode: number | null;
  /**
   * The latest sequence at which a page showed E holding it there (sql/015): to tell it from a
   * state R's record is later than (notedAfter). Absent or null: not known (noted before it was kept).
   */
  sequence?: number | null;
  /** Which batch noted it (sql/011): 2 or 3, one a kill -9 stopped before its record. */
  batch?: number;
  /**
   * Whether the batch that noted it would write it there: the path's last entry in its page
   * (sql/016). false: a content the page shows E holding before a later entry (one it replaced, or
   * the one a deletion removed), which no batch renames into place. Absent: not known (as placed).
   */
  placed?: boolean;
}

/** A large download cut short: its temp file (beside the target) holds the first bytes of this content. */
export interface PartialDownload {
  base_dir: string;
  path: string;
  checksum: string;
  size: number;
  temp_path: string;
}

/** A directory a batch opened for its owner to write in it, and its mode before (sql/008). */
export interface OpenedDir {
  base_dir: string;
  path: string;
  mode: number;
}
