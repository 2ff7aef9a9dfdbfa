// Whether E's new version of a file may be fetched as R's own copy plus the bytes after it: a log
// E appends to would otherwise cross the tunnel whole at every version (rsync's --append-verify).
// Only for R's file exactly as R received it (an edit of R's is never the start of E's file) and
// only above APPEND_MIN_BYTES: below, the batched download costs less than a second local read.
// Whether E really appended is not known here: the download hashes R's bytes with E's and fetches
// the file whole when the result is not E's checksum. Pure.
import type { ChangeEntry } from '@zync/common';
import { classifyLocalEdit } from './local-edits.js';
import type { LocalState, RecordedEntry } from './types.js';

/** R's files at least this large are extended rather than downloaded again when E's is larger. */
export const APPEND_MIN_BYTES = 1024 * 1024;

/**
 * Where E's file may continue R's (R's size, asked as GET_FILE's offset); undefined: download it
 * whole. R's file must hold what R last received, be that large, and E's be larger.
 */
export function appendOffset(entry: ChangeEntry, recorded: RecordedEntry | null | undefined, local: LocalState): number | undefined {
  if (entry.kind !== 'file' || entry.operation === 'delete' || recorded?.kind !== 'file' || local.kind !== 'file') return undefined;
  if (classifyLocalEdit(recorded, local) !== 'unchanged' || local.size !== recorded.size) return undefined;
  if (recorded.size < APPEND_MIN_BYTES || entry.size <= recorded.size) return undefined;
  return recorded.size;
}
