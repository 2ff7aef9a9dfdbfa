import { describe, expect, it } from 'vitest';
import { createIgnoreMatcher } from '@zync/common';
import { planSweep, splitIgnored } from './sweep.js';
import type { RecordedEntry } from './types.js';

const rec = (path: string, kind: 'file' | 'dir'): RecordedEntry => ({
  base_dir: 'd', path, kind, checksum: kind === 'file' ? 'a'.repeat(64) : null, size: 1, mtime: 7, mode: 0o644,
  local_size: 1, local_mtime: 7, local_ino: 1, sequence: 3, seen_gen: 1,
});

describe('splitIgnored', () => {
  it.each([
    { name: 'nothing ignored: all swept', rules: null, sweep: ['data', 'data/a.bin', 'notes.log', 'x.txt'], kept: [] },
    { name: 'an ignored directory keeps itself and what is below it', rules: 'data/\n', sweep: ['notes.log', 'x.txt'], kept: ['data', 'data/a.bin'] },
    { name: 'a file pattern keeps matching files only', rules: '*.log\n', sweep: ['data', 'data/a.bin', 'x.txt'], kept: ['notes.log'] },
  ])('$name', ({ rules, sweep, kept }) => {
    const unseen = [rec('data', 'dir'), rec('data/a.bin', 'file'), rec('notes.log', 'file'), rec('x.txt', 'file')];
    const split = splitIgnored(unseen, createIgnoreMatcher(rules));
    expect(split.sweep.map((e) => e.path)).toEqual(sweep);
    expect(split.kept.map((e) => e.path)).toEqual(kept);
  });

  it('keeps what a built-in rule ignores (one a newer zync added, say)', () => {
    expect(splitIgnored([rec('#draft#', 'file')], createIgnoreMatcher(null)).kept).toHaveLength(1);
  });
});

describe('planSweep', () => {
  it('turns unconfirmed records into delete entries of the same kind', () => {
    expect(planSweep([rec('x', 'dir'), rec('x/f', 'file')], 99, 1234).map((e) => [e.operation, e.kind, e.path, e.sequence, e.checksum])).toEqual([
      ['delete', 'dir', 'x', 99, null],
      ['delete', 'file', 'x/f', 99, null],
    ]);
  });
});
