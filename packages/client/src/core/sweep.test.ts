import { describe, expect, it } from 'vitest';
import { planSweep } from './sweep.js';
import type { RecordedEntry } from './types.js';

describe('planSweep', () => {
  it('turns unconfirmed records into delete entries of the same kind', () => {
    const rec = (path: string, kind: 'file' | 'dir'): RecordedEntry => ({
      base_dir: 'd', path, kind, checksum: kind === 'file' ? 'a'.repeat(64) : null, size: 1, mtime: 7, mode: 0o644,
      local_size: 1, local_mtime: 7, local_ino: 1, sequence: 3, seen_gen: 1,
    });
    expect(planSweep([rec('x', 'dir'), rec('x/f', 'file')], 99, 1234).map((e) => [e.operation, e.kind, e.path, e.sequence, e.checksum])).toEqual([
      ['delete', 'dir', 'x', 99, null],
      ['delete', 'file', 'x/f', 99, null],
    ]);
  });
});
