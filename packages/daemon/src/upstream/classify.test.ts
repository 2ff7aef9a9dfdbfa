import { describe, expect, it } from 'vitest';
import { classifyStagedEntry, eChangeOf, entryTokens, upstreamOperation, type EntryContents } from './classify.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

describe('classifyStagedEntry', () => {
  it.each<[string, EntryContents, { conflict: boolean; e_changed_since_base: boolean; already_applied: boolean }]>([
    ['R edited, E unchanged since base', { base_checksum: A, upstream_checksum: B, e_checksum: A }, { conflict: false, e_changed_since_base: false, already_applied: false }],
    ['both edited, differently', { base_checksum: A, upstream_checksum: B, e_checksum: C }, { conflict: true, e_changed_since_base: true, already_applied: false }],
    ['both edited to the same content', { base_checksum: A, upstream_checksum: B, e_checksum: B }, { conflict: false, e_changed_since_base: true, already_applied: true }],
    ['new on R, absent on E', { base_checksum: null, upstream_checksum: B, e_checksum: null }, { conflict: false, e_changed_since_base: false, already_applied: false }],
    ['new on R, E created other content', { base_checksum: null, upstream_checksum: B, e_checksum: C }, { conflict: true, e_changed_since_base: true, already_applied: false }],
    ['new on R, E created the same content', { base_checksum: null, upstream_checksum: B, e_checksum: B }, { conflict: false, e_changed_since_base: true, already_applied: true }],
    ['R deleted, E unchanged', { base_checksum: A, upstream_checksum: null, e_checksum: A }, { conflict: false, e_changed_since_base: false, already_applied: false }],
    ['R deleted, E edited', { base_checksum: A, upstream_checksum: null, e_checksum: C }, { conflict: true, e_changed_since_base: true, already_applied: false }],
    ['R deleted, E deleted too', { base_checksum: A, upstream_checksum: null, e_checksum: null }, { conflict: false, e_changed_since_base: true, already_applied: true }],
    ['R edited, E deleted', { base_checksum: A, upstream_checksum: B, e_checksum: null }, { conflict: true, e_changed_since_base: true, already_applied: false }],
  ])('%s', (_name, input, expected) => {
    expect(classifyStagedEntry(input)).toEqual(expected);
  });
});

describe('eChangeOf', () => {
  it.each<[string, string | null, string | null, string | null]>([
    ['E still holds the base', A, A, null],
    ['E edited the file', A, C, 'modified'],
    ['E deleted the file', A, null, 'deleted'],
    ['E replaced the file with a directory', A, 'dir', 'replaced_with_dir'],
    ['E replaced the directory with a file', 'dir', C, 'replaced_with_file'],
    ['E removed the directory', 'dir', null, 'deleted'],
    ['new on R, E added a file there too', null, C, 'added_file'],
    ['new on R, E made a directory there', null, 'dir', 'added_dir'],
    ['new on R, nothing on E', null, null, null],
  ])('%s', (_name, base, e, expected) => {
    expect(eChangeOf({ base_checksum: base, e_checksum: e })).toBe(expected);
  });
});

describe('upstreamOperation', () => {
  it.each([
    ['deletion', { delete: true, base_checksum: A }, 'delete'],
    ['new on R', { delete: false, base_checksum: null }, 'add'],
    ['edited on R', { delete: false, base_checksum: A }, 'modify'],
  ] as const)('%s', (_name, input, expected) => {
    expect(upstreamOperation(input)).toBe(expected);
  });
});

describe('entryTokens', () => {
  it.each([
    ['a file edit', { kind: 'file', delete: false, checksum: B, base_checksum: A }, { base_checksum: A, upstream_checksum: B }],
    ['a file deletion', { kind: 'file', delete: true, checksum: null, base_checksum: A }, { base_checksum: A, upstream_checksum: null }],
    ['a directory made on R', { kind: 'dir', delete: false, checksum: null, base_checksum: null }, { base_checksum: null, upstream_checksum: 'dir' }],
    ['a directory made over a received file', { kind: 'dir', delete: false, checksum: null, base_checksum: A }, { base_checksum: A, upstream_checksum: 'dir' }],
    ['a directory removed on R', { kind: 'dir', delete: true, checksum: null, base_checksum: null }, { base_checksum: 'dir', upstream_checksum: null }],
  ] as const)('%s', (_name, entry, expected) => {
    expect(entryTokens(entry)).toEqual(expected);
  });

  it.each<[string, string | null, boolean]>([
    ['E still has the directory R removed: no conflict', 'dir', false],
    ['E removed it too', null, false],
    ['E has a file there now', C, true],
  ])('directory removal: %s', (_name, e, conflict) => {
    expect(classifyStagedEntry({ ...entryTokens({ kind: 'dir', delete: true, checksum: null, base_checksum: null }), e_checksum: e }).conflict).toBe(conflict);
  });
});

describe('a directory made over a file R had received', () => {
  it.each<[string, string | null, { conflict: boolean; already_applied: boolean }]>([
    ['E still has the file R replaced: no conflict', A, { conflict: false, already_applied: false }],
    ['E changed the file since: a conflict', C, { conflict: true, already_applied: false }],
    ['E removed the file since: a conflict', null, { conflict: true, already_applied: false }],
    ['E made the directory too', 'dir', { conflict: false, already_applied: true }],
  ])('%s', (_name, e, expected) => {
    const c = classifyStagedEntry({ ...entryTokens({ kind: 'dir', delete: false, checksum: null, base_checksum: A }), e_checksum: e });
    expect({ conflict: c.conflict, already_applied: c.already_applied }).toEqual(expected);
  });
});

describe('upstreamOperation for directories', () => {
  it.each([
    ['made on R', { delete: false, base_checksum: null, kind: 'dir' }, 'add'],
    ['made on R over a received file', { delete: false, base_checksum: A, kind: 'dir' }, 'add'],
    ['removed on R', { delete: true, base_checksum: null, kind: 'dir' }, 'delete'],
  ] as const)('%s', (_name, input, expected) => {
    expect(upstreamOperation(input)).toBe(expected);
  });
});
