import { describe, expect, it } from 'vitest';
import { openedMode, planDirModes, type DirModeTarget } from './dir-modes.js';

describe('openedMode', () => {
  it.each([
    { name: 'owner may already do everything: left alone', mode: 0o700, opened: null },
    { name: 'a usual directory: left alone', mode: 0o755, opened: null },
    { name: 'read-only for its owner: owner write added', mode: 0o500, opened: 0o700 },
    { name: 'read-only for everyone: only the owner gains', mode: 0o555, opened: 0o755 },
    { name: 'no permissions at all', mode: 0o000, opened: 0o700 },
    { name: 'setgid and sticky bits are kept', mode: 0o3555, opened: 0o3755 },
  ])('$name', ({ mode, opened }) => {
    expect(openedMode(mode)).toBe(opened);
  });
});

describe('planDirModes', () => {
  const t = (path: string, mode: number, from: string | null): DirModeTarget<string> => ({ path, depth: path.split('/').length, mode, from });
  const show = (levels: DirModeTarget<string>[][]) => levels.map((level) => level.map((x) => `${x.path} ${x.mode.toString(8)} ${x.from ?? 'restore'}`));

  it.each([
    { name: 'nothing to do', targets: [], want: [] },
    {
      name: 'deepest first, one level at a time',
      targets: [t('a', 0o700, 'e1'), t('a/b/c', 0o500, 'e3'), t('a/b', 0o0, 'e2'), t('x/y', 0o750, 'e4')],
      want: [['a/b/c 500 e3'], ['a/b 0 e2', 'x/y 750 e4'], ['a 700 e1']],
    },
    {
      name: 'an opened directory gets its mode back',
      targets: [t('ro', 0o500, null), t('ro/new', 0o700, 'e1')],
      want: [['ro/new 700 e1'], ['ro 500 restore']],
    },
    {
      name: "E's mode wins over the mode the batch found, in either order",
      targets: [t('p', 0o500, null), t('p', 0o750, 'e1'), t('q', 0o700, 'e2'), t('q', 0o500, null)],
      want: [['p 750 e1', 'q 700 e2']],
    },
  ])('$name', ({ targets, want }) => {
    expect(show(planDirModes(targets))).toEqual(want);
  });
});
