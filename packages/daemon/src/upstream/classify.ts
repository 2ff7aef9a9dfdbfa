// Conflict classification for one staged upstream entry: pure, shared by the daemon (at staging
// time) and zync-apply (again at apply time, since E may have changed after staging).
// Contents are compared as tokens: a file's checksum, DIR_TOKEN for a directory, null for
// "absent". Must not do I/O: the caller supplies E's current token.

import type { ChangeOperation, EChange, EntryKind } from '@zync/common';

/** The content token of a directory (checksums are 64 hex digits, so it cannot collide). */
export const DIR_TOKEN = 'dir';

export interface EntryContents {
  /** What R last received from E (null: the path was new on R). */
  base_checksum: string | null;
  /** R's new content (null: R deleted it). */
  upstream_checksum: string | null;
  /** E's current content (null: absent on E). */
  e_checksum: string | null;
}

export interface Classification {
  /** E's content differs both from R's base and from R's new content. */
  conflict: boolean;
  /** E's content is no longer what R edited from. */
  e_changed_since_base: boolean;
  /** E already holds R's new content (applying it changes nothing). */
  already_applied: boolean;
}

export function classifyStagedEntry(c: EntryContents): Classification {
  const e_changed_since_base = c.e_checksum !== c.base_checksum;
  const already_applied = c.e_checksum === c.upstream_checksum;
  return { conflict: e_changed_since_base && !already_applied, e_changed_since_base, already_applied };
}

/**
 * What E did since R's base (null: nothing, E still holds it), so a conflict is reported as what
 * happened — "E deleted it" is not "E changed it".
 */
export function eChangeOf(c: Pick<EntryContents, 'base_checksum' | 'e_checksum'>): EChange | null {
  const { base_checksum: base, e_checksum: e } = c;
  if (e === base) return null;
  if (e === null) return 'deleted';
  if (base === null) return e === DIR_TOKEN ? 'added_dir' : 'added_file';
  if (e === DIR_TOKEN) return 'replaced_with_dir';
  return base === DIR_TOKEN ? 'replaced_with_file' : 'modified';
}

/**
 * An entry's base and new content as tokens. A directory R created had no base (or, made over a
 * file R had received, that file) and is a directory now; one R removed was a directory and is
 * absent now.
 */
export function entryTokens(entry: {
  kind: EntryKind;
  delete: boolean;
  checksum: string | null;
  base_checksum: string | null;
}): { base_checksum: string | null; upstream_checksum: string | null } {
  if (entry.kind === 'dir') {
    return entry.delete ? { base_checksum: DIR_TOKEN, upstream_checksum: null } : { base_checksum: entry.base_checksum, upstream_checksum: DIR_TOKEN };
  }
  return { base_checksum: entry.base_checksum, upstream_checksum: entry.delete ? null : entry.checksum };
}

/** The operation as R sees it: new on R, edited, or deleted. */
export function upstreamOperation(entry: { delete: boolean; base_checksum: string | null; kind?: EntryKind }): ChangeOperation {
  if (entry.delete) return 'delete';
  return entry.kind === 'dir' || entry.base_checksum === null ? 'add' : 'modify';
}
