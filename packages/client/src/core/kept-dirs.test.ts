import { describe, expect, it } from 'vitest';
import { planKeptDirs, type KeptDirState } from './kept-dirs.js';

const dir = (path: string, names: string[], recordedByE = false): KeptDirState => ({ base_dir: 'docs', path, recordedByE, local: { kind: 'dir', names } });
const other = (path: string, kind: 'absent' | 'other' | 'unknown'): KeptDirState => ({ base_dir: 'docs', path, recordedByE: false, local: { kind } });
const paths = (keys: { path: string }[]) => keys.map((k) => k.path);

describe('planKeptDirs', () => {
  it.each<{ name: string; kept: KeptDirState[]; remove: string[]; forget: string[] }>([
    { name: 'an empty kept directory is removed', kept: [dir('d', [])], remove: ['d'], forget: [] },
    { name: "one that still holds R's file stays", kept: [dir('d', ['mine.txt'])], remove: [], forget: [] },
    { name: 'one that holds a conflict copy stays', kept: [dir('d', ['a.zync-conflict-20260101-120000-R.txt'])], remove: [], forget: [] },
    { name: 'one that holds a directory R made stays, however empty', kept: [dir('d', ['new'])], remove: [], forget: [] },
    { name: 'one E made again is forgotten, not removed', kept: [dir('d', [], true)], remove: [], forget: ['d'] },
    { name: 'one R removed itself is forgotten', kept: [other('d', 'absent')], remove: [], forget: ['d'] },
    { name: 'one R replaced with a file is forgotten', kept: [other('d', 'other')], remove: [], forget: ['d'] },
    { name: 'one that cannot be listed is left for later', kept: [other('d', 'unknown')], remove: [], forget: [] },
    {
      name: 'nested kept directories, all empty, go deepest first',
      kept: [dir('a', ['b']), dir('a/b', ['c']), dir('a/b/c', [])],
      remove: ['a/b/c', 'a/b', 'a'],
      forget: [],
    },
    {
      name: "a parent whose kept child still holds R's file stays, with the child",
      kept: [dir('a', ['b']), dir('a/b', ['mine.txt'])],
      remove: [],
      forget: [],
    },
    {
      name: 'a parent holding an empty kept child and a file of R stays; the child goes',
      kept: [dir('a', ['b', 'mine.txt']), dir('a/b', [])],
      remove: ['a/b'],
      forget: [],
    },
    {
      name: 'a parent whose child E made again stays',
      kept: [dir('a', ['b']), dir('a/b', [], true)],
      remove: [],
      forget: ['a/b'],
    },
    {
      name: 'a child of the same name in another base_dir does not count',
      kept: [dir('a', ['b']), { base_dir: 'other', path: 'a/b', recordedByE: false, local: { kind: 'dir', names: [] } }],
      remove: ['a/b'],
      forget: [],
    },
  ])('$name', ({ kept, remove, forget }) => {
    const plan = planKeptDirs(kept);
    expect(paths(plan.remove)).toEqual(remove);
    expect(paths(plan.forget)).toEqual(forget);
  });
});
