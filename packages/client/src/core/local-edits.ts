// "Did someone on R edit this?" — compares what R's disk holds with what R last received. The
// stat recorded right after writing (size, mtime, inode) is trusted as proof that nothing
// changed; when it differs, only a hash can tell (a touch or a rewrite with the same bytes is not
// an edit). Pure: the shell stats and hashes, these functions decide.
import type { LocalState, RecordedEntry } from './types.js';

/**
 * - absent: nothing at the path;
 * - unchanged: R holds exactly what it last received;
 * - edited: R changed what it received (content, or a file became a dir / a link);
 * - untracked: R holds something E never sent it (no record);
 * - unknown: the stat differs from the record and no hash was taken yet.
 */
export type LocalEditState = 'absent' | 'unchanged' | 'edited' | 'untracked' | 'unknown';

type Recorded = Pick<RecordedEntry, 'kind' | 'checksum' | 'local_size' | 'local_mtime' | 'local_ino'>;

export function statMatches(recorded: Recorded, local: LocalState): boolean {
  return (
    local.kind === 'file' &&
    recorded.kind === 'file' &&
    recorded.local_size === local.size &&
    recorded.local_mtime === local.mtime &&
    recorded.local_ino === local.ino
  );
}

export function classifyLocalEdit(recorded: Recorded | null | undefined, local: LocalState): LocalEditState {
  if (local.kind === 'absent') return 'absent';
  if (!recorded) return 'untracked';
  if (local.kind === 'other') return 'edited';
  if (local.kind === 'dir') return recorded.kind === 'dir' ? 'unchanged' : 'edited';
  if (recorded.kind !== 'file') return 'edited';
  if (statMatches(recorded, local)) return 'unchanged';
  if (local.checksum === undefined) return 'unknown';
  return local.checksum === recorded.checksum ? 'unchanged' : 'edited';
}

/** The checksum of R's local file when it is known without reading it (or was hashed). */
export function knownLocalChecksum(recorded: Recorded | null | undefined, local: LocalState): string | undefined {
  if (local.kind !== 'file') return undefined;
  if (local.checksum !== undefined) return local.checksum;
  if (recorded && statMatches(recorded, local)) return recorded.checksum ?? undefined;
  return undefined;
}

/**
 * Whether planning this path needs the local file's hash: R holds a file the stat cannot vouch
 * for, and the decision depends on its content (same as E's? unchanged since received?).
 */
export function needsLocalHash(
  entry: { kind: 'file' | 'dir'; operation: 'add' | 'modify' | 'delete' },
  recorded: Recorded | null | undefined,
  local: LocalState,
): boolean {
  if (local.kind !== 'file' || knownLocalChecksum(recorded, local) !== undefined) return false;
  if (recorded?.kind === 'file') return true;
  // No file recorded (none, or a directory R since replaced with this file): only a file
  // arriving from E is compared with it (same bytes need no transfer, other bytes a copy).
  return entry.kind === 'file' && entry.operation !== 'delete';
}
