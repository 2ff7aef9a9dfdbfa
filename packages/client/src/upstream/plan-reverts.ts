// Edits R staged and then undid: a file R made and removed again, one R edited or deleted and
// put back as it received it, a directory R made and removed (or removed and made again). R's
// scan sees no change at such a path (R holds what it received), yet the session on E still
// holds the edit: applied, it would come back to R at the next pull and silently undo R's undo.
// revertOf turns such a record into an entry that sends what R holds now, so that E ends with
// R's latest version whichever order the sessions are applied in (an older session's entry
// never replaces a later one's: apply-plan.ts, rVersionOf). Only a record whose base is what R
// still holds counts: where R received something else since (E's change, pulled), R's edit was
// superseded on R by E's, and the waiting session stays for the person on E to decide.
// Pure: the shell reads R's disk and store for the records' paths.
import type { EntryKind } from '@zync/common';
import type { StagedRecord, UpstreamEntry } from './plan-upstream.js';

/** What R's disk holds at a staged record's path now ('unknown': it could not be looked at). */
export type LocalNow =
  | { kind: 'absent' }
  | { kind: 'dir'; mode: number }
  | { kind: 'file'; checksum: string; mode: number; size: number; mtime: number }
  | { kind: 'unknown' };

export interface UndoneInput {
  record: StagedRecord;
  /** What R last received at the path (null: nothing). */
  received: { kind: EntryKind; checksum: string | null; mode: number } | null;
  local: LocalNow;
}

type State = { kind: EntryKind; checksum: string | null; mode: number | null } | null;

const sameContent = (a: State, b: State) => (a === null || b === null ? a === b : a.kind === b.kind && (a.kind === 'dir' || a.checksum === b.checksum));

/** What the record's path held on R when it was staged (its base) and what was sent. */
function recordStates(r: StagedRecord): { base: State; sent: State } {
  if (r.kind === 'dir') {
    // A directory made over a received file carries that file as its base.
    const made = r.base_checksum === null ? null : { kind: 'file' as const, checksum: r.base_checksum, mode: null };
    return r.operation === 'delete' ? { base: { kind: 'dir', checksum: null, mode: null }, sent: null } : { base: made, sent: { kind: 'dir', checksum: null, mode: r.mode } };
  }
  const base = r.base_checksum === null ? null : { kind: 'file' as const, checksum: r.base_checksum, mode: null };
  return { base, sent: r.operation === 'delete' ? null : { kind: 'file', checksum: r.checksum, mode: r.mode } };
}

/**
 * The entry that undoes a staged record on E, or null: R's disk differs from what R received (a
 * change planUpstream already sends, or one that cannot be seen), R received something other
 * than the record's base since, or what was sent is what R received (applied and pulled).
 */
export function revertOf({ record, received, local }: UndoneInput): UpstreamEntry | null {
  const at = { base_dir: record.base_dir, path: record.path };
  if (local.kind === 'unknown') return null;
  const now: State = local.kind === 'absent' ? null : local.kind === 'dir' ? { kind: 'dir', checksum: null, mode: local.mode } : { kind: 'file', checksum: local.checksum, mode: local.mode };
  const got: State = received === null ? null : { kind: received.kind, checksum: received.checksum, mode: received.mode };
  const holdsReceived = sameContent(now, got) && (now === null || now.kind === 'dir' || now.mode === got!.mode);
  if (!holdsReceived) return null;
  const { base, sent } = recordStates(record);
  if (!sameContent(got, base)) return null;
  if (sameContent(got, sent) && (got === null || got.kind === 'dir' || got.mode === sent!.mode)) return null;
  if (local.kind === 'absent') return { ...at, kind: record.kind, operation: 'delete', checksum: null, size: 0, base_checksum: null };
  if (local.kind === 'dir') return { ...at, kind: 'dir', operation: 'add', checksum: null, size: 0, base_checksum: null, mode: local.mode };
  return {
    ...at,
    kind: 'file',
    operation: 'modify',
    checksum: local.checksum,
    size: local.size,
    base_checksum: received!.checksum,
    mode: local.mode,
    base_mode: received!.mode,
    mtime: local.mtime,
  };
}
