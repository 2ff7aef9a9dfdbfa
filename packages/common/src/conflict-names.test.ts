import { describe, expect, it } from 'vitest';
import { conflictCopyPath, isConflictCopy } from './conflict-names.js';

const when = new Date(Date.UTC(2026, 10, 22, 18, 47, 5));

describe('conflictCopyPath', () => {
  it.each([
    ['a file with an extension', 'docs/report.txt', 0, 'docs/report.zync-conflict-20261122-184705-R.txt'],
    ['a file without extension', 'Makefile', 0, 'Makefile.zync-conflict-20261122-184705-R'],
    ['a dotfile', '.bashrc', 0, '.bashrc.zync-conflict-20261122-184705-R'],
    ['a second copy in the same second', 'a.md', 2, 'a.zync-conflict-20261122-184705-2-R.md'],
  ])('names %s', (_why, rel, attempt, expected) => {
    const copy = conflictCopyPath(rel, when, 'R', attempt);
    expect(copy).toBe(expected);
    expect(isConflictCopy(copy)).toBe(true);
  });

  it.each(['report.txt', 'zync-conflict.txt', 'a.zync-conflict-notes.txt'])('does not mistake %s for a copy', (rel) => {
    expect(isConflictCopy(rel)).toBe(false);
  });
});
