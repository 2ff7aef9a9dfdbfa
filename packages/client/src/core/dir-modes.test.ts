import { describe, expect, it } from 'vitest';
import { modeToGiveBack, openedMode, planDirModes, type DirModeTarget } from './dir-modes.js';

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

describe('modeToGiveBack', () => {
  const dir = (mode: number) => ({ kind: 'dir' as const, mode });
  it.each([
    { name: 'still opened, R received the mode noted: given back', noted: 0o555, local: dir(0o755), received: 0o555, back: 0o555 },
    { name: 'still opened, never received (a directory a killed batch made): given back', noted: 0o500, local: dir(0o700), received: null, back: 0o500 },
    { name: 'setgid kept through opening: given back', noted: 0o2555, local: dir(0o2755), received: 0o2555, back: 0o2555 },
    { name: 'already given back (the note outlived its batch): left', noted: 0o555, local: dir(0o555), received: 0o555, back: null },
    { name: "chmodded by R's user since: theirs, left", noted: 0o555, local: dir(0o750), received: 0o555, back: null },
    { name: "the opened mode is E's own, received later: left", noted: 0o555, local: dir(0o755), received: 0o755, back: null },
    { name: 'gone: left', noted: 0o555, local: { kind: 'absent' as const }, received: 0o555, back: null },
    { name: 'a file in its place: left', noted: 0o555, local: { kind: 'file' as const, size: 1, mtime: 1, ino: 1, mode: 0o755 }, received: 0o555, back: null },
  ])('$name', ({ noted, local, received, back }) => {
    expect(modeToGiveBack(noted, local, received)).toBe(back);
  });
});
