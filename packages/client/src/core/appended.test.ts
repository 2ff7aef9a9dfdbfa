import type { ChangeEntry } from '@zync/common';
import { describe, expect, it } from 'vitest';
import { APPEND_MIN_BYTES, appendOffset } from './appended.js';
import type { LocalState, RecordedEntry } from './types.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const SIZE = 4 * APPEND_MIN_BYTES;
const rec = (over: Partial<RecordedEntry> = {}): RecordedEntry => ({
  base_dir: 'd',
  path: 'app.log',
  kind: 'file',
  checksum: A,
  size: SIZE,
  mtime: 1000,
  mode: 0o644,
  local_size: SIZE,
  local_mtime: 1000,
  local_ino: 7,
  sequence: 1,
  seen_gen: 1,
  ...over,
});
const file = (over: Partial<Extract<LocalState, { kind: 'file' }>> = {}): LocalState => ({ kind: 'file', size: SIZE, mtime: 1000, ino: 7, mode: 0o644, ...over });
const entry = (over: Partial<ChangeEntry> = {}): ChangeEntry => ({
  sequence: 2,
  operation: 'modify',
  kind: 'file',
  base_dir: 'd',
  path: 'app.log',
  checksum: B,
  size: SIZE + 100,
  mtime: 2000,
  mode: 0o644,
  timestamp: 2000,
  ...over,
});

describe('appendOffset', () => {
  it.each<[string, ChangeEntry, RecordedEntry | null, LocalState, number | undefined]>([
    ['E grew the file R holds as received: ask from R’s size', entry(), rec(), file(), SIZE],
    ['R’s file touched, same bytes (hashed)', entry(), rec(), file({ mtime: 3000, checksum: A }), SIZE],
    ['R edited the file: never the start of E’s', entry(), rec(), file({ mtime: 3000, size: SIZE + 5, checksum: B }), undefined],
    ['R’s stat moved, not hashed yet: not known to be E’s', entry(), rec(), file({ mtime: 3000 }), undefined],
    ['E’s file is not larger (rewritten, truncated)', entry({ size: SIZE }), rec(), file(), undefined],
    ['E’s file is smaller', entry({ size: SIZE - 1 }), rec(), file(), undefined],
    ['R’s file is small: the batched download is cheaper', entry({ size: APPEND_MIN_BYTES + 10 }), rec({ size: APPEND_MIN_BYTES - 1, local_size: APPEND_MIN_BYTES - 1 }), file({ size: APPEND_MIN_BYTES - 1 }), undefined],
    ['R’s file exactly at the threshold', entry({ size: APPEND_MIN_BYTES + 10 }), rec({ size: APPEND_MIN_BYTES, local_size: APPEND_MIN_BYTES }), file({ size: APPEND_MIN_BYTES }), APPEND_MIN_BYTES],
    ['never received', entry(), null, file(), undefined],
    ['nothing on R', entry(), rec(), { kind: 'absent' }, undefined],
    ['a directory on R', entry(), rec(), { kind: 'dir', mode: 0o755 }, undefined],
    ['R received a directory there', entry(), rec({ kind: 'dir', checksum: null, local_size: null, local_mtime: null, local_ino: null }), file(), undefined],
    ['E deleted it', entry({ operation: 'delete', checksum: null }), rec(), file(), undefined],
    ['E made it a directory', entry({ kind: 'dir', checksum: null }), rec(), file(), undefined],
  ])('%s', (_, e, recorded, local, expected) => {
    expect(appendOffset(e, recorded, local)).toBe(expected);
  });
});
