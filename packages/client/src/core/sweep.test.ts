import { describe, expect, it } from 'vitest';
import { createIgnoreMatcher } from '@zync/common';
import type { ChangeEntry } from '@zync/common';
import { dirsAbove, dirsReplacedByFiles, leftPlacements, planSweep, splitIgnored } from './sweep.js';
import { entryKeyString, type RecordedEntry } from './types.js';

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

describe('dirsReplacedByFiles', () => {
  const change = (path: string, kind: 'file' | 'dir', operation: ChangeEntry['operation'] = 'add'): ChangeEntry => ({
    sequence: 5, operation, kind, base_dir: 'd', path, checksum: kind === 'file' && operation !== 'delete' ? 'b'.repeat(64) : null, size: 1, mtime: 7, mode: 0o644, timestamp: 7,
  });
  const recorded = new Map([rec('was-dir', 'dir'), rec('still-dir', 'dir'), rec('file', 'file'), rec('gone-dir', 'dir')].map((r) => [entryKeyString(r), r]));
  it.each([
    { name: "E's file where R received a directory", entry: change('was-dir', 'file'), replaced: ['was-dir'] },
    { name: 'E still has the directory', entry: change('still-dir', 'dir'), replaced: [] },
    { name: "E's file where R received a file", entry: change('file', 'file', 'modify'), replaced: [] },
    { name: "E's file where R received nothing", entry: change('new', 'file'), replaced: [] },
    { name: "a deletion (E's tombstone of a file once there)", entry: change('gone-dir', 'file', 'delete'), replaced: [] },
  ])('$name', ({ entry, replaced }) => {
    expect(dirsReplacedByFiles([entry], recorded).map((k) => k.path)).toEqual(replaced);
  });
});

describe('dirsAbove', () => {
  it.each([
    { name: 'a top-level path has none', paths: ['a.txt'], dirs: [] },
    { name: 'each once, deepest first', paths: ['y/d1/sub/f', 'y/d1/g', 'y/d2/h'], dirs: ['y/d1/sub', 'y/d1', 'y/d2', 'y'] },
    { name: 'directories named as such come with those above them', paths: ['y/a.txt'], also: ['y/d1/sub', 'z'], dirs: ['y/d1/sub', 'y/d1', 'y', 'z'] },
  ])('$name', ({ paths, dirs, also }) => {
    expect(dirsAbove([...paths, ...(also ?? [])], also)).toEqual(dirs);
  });
});

describe('leftPlacements', () => {
  it('plans a file deletion per noted path, of no known content', () => {
    expect(leftPlacements('d', ['y/f'], 9, 1234).map((e) => [e.operation, e.kind, e.path, e.sequence, e.checksum])).toEqual([['delete', 'file', 'y/f', 9, null]]);
  });
});
