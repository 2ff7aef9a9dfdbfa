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

  it.each([
    ['a 255-byte name: the stem is cut, the extension kept', 'L'.repeat(251) + '.txt', 'L'.repeat(219) + '.zync-conflict-20261122-184705-R.txt'],
    ['85 three-byte characters: cut by bytes, never inside a character', `d/${'日'.repeat(85)}`, `d/${'日'.repeat(74)}.zync-conflict-20261122-184705-R`],
    ['a long extension beside a short stem: the extension is cut', 'x.' + 'y'.repeat(250), 'x.zync-conflict-20261122-184705-R.' + 'y'.repeat(221)],
    ['a long stem and a long extension: each keeps about half', 'x'.repeat(120) + '.' + 'y'.repeat(120), 'x'.repeat(112) + '.zync-conflict-20261122-184705-R.' + 'y'.repeat(110)],
  ])('keeps the copy of %s within 255 bytes', (_why, rel, expected) => {
    const copy = conflictCopyPath(rel, when, 'R');
    expect(Buffer.byteLength(copy.split('/').pop()!, 'utf8')).toBeLessThanOrEqual(255);
    expect(isConflictCopy(copy)).toBe(true);
    expect(copy).toBe(expected);
  });

  it.each(['report.txt', 'zync-conflict.txt', 'a.zync-conflict-notes.txt'])('does not mistake %s for a copy', (rel) => {
    expect(isConflictCopy(rel)).toBe(false);
  });
});
