import { describe, expect, it } from 'vitest';
import type { MissingRoot } from './missing-roots.js';
import { backAgainNote, goneWhileRunningError, goneWhileRunningWarning, isSameTreeBack, judgeRootDirectory, otherTreeBackWarning, rootIdOf, rootsGoneWhileRunning, strangerRootWarning } from './vanished-roots.js';

const docs = { name: 'docs', root: '/home/u/docs' };
const code = { name: 'code', root: '/home/u/code' };

describe('rootsGoneWhileRunning', () => {
  it.each<[string, MissingRoot[], string[], string[]]>([
    ['nothing missing', [], [], []],
    ['a root moved or removed under the running client is held, not made again', [docs], [], ['docs']],
    ['every missing root, in --dirs order', [docs, code], [], ['docs', 'code']],
    ['one held as off its disk is said as that, not as gone', [docs, code], ['docs'], ['code']],
    ['one E no longer serves is said as that', [docs], ['docs'], []],
  ])('%s', (_name, missing, heldOtherwise, expected) => {
    expect(rootsGoneWhileRunning(missing, new Set(heldOtherwise)).map((d) => d.name)).toEqual(expected);
  });
});

describe('isSameTreeBack', () => {
  it.each<[string, { recordedFiles: number; provenAtNewPlace: number; diskUnknown?: true }, boolean]>([
    ['moved back: every file R received is there as R wrote it', { recordedFiles: 10, provenAtNewPlace: 10 }, true],
    ['moved back after R rewrote some (half still as R wrote them)', { recordedFiles: 10, provenAtNewPlace: 5 }, true],
    ['an empty directory made after an rm -rf', { recordedFiles: 10, provenAtNewPlace: 0 }, false],
    ['a copy or a restored backup (new inodes and ctimes)', { recordedFiles: 10, provenAtNewPlace: 4 }, false],
    ['a root R received no file into: nothing to mistake', { recordedFiles: 0, provenAtNewPlace: 0 }, true],
    ['a disk never recorded (a state from before): trusted, as at a start', { recordedFiles: 10, provenAtNewPlace: 0, diskUnknown: true }, true],
  ])('%s', (_name, evidence, expected) => {
    expect(isSameTreeBack(evidence)).toBe(expected);
  });
});

describe('judgeRootDirectory', () => {
  const recorded = rootIdOf({ ino: 5169153n, birthtimeNs: 1795574957858541006n });
  it.each<[string, string | undefined, string, ReturnType<typeof judgeRootDirectory>]>([
    ['moved away and back (mv keeps inode and birth time)', recorded, '5169153:1795574957858541006', 'same'],
    ['rm -rf then mkdir, the freed inode number reused: a new birth time', recorded, '5169153:1795574957864664841', 'other'],
    ['cp -a or a restored backup: another inode', recorded, '7000001:1795574957858541006', 'other'],
    ['nothing recorded (a state from before, or records just forgotten)', undefined, '5169153:1795574957858541006', 'unknown'],
    ['no birth times on that file system, the same inode number: cannot tell', '5169153:0', '5169153:0', 'unknown'],
    ['no birth times, another inode', '5169153:0', '5169154:0', 'other'],
  ])('%s', (_name, before, now, expected) => {
    expect(judgeRootDirectory(before, now)).toBe(expected);
  });
});

describe('rootIdOf', () => {
  it('is the inode and the birth time', () => {
    expect(rootIdOf({ ino: 12n, birthtimeNs: 1000n, ctimeNs: 2000n })).toBe('12:1000');
  });

  it('counts a birth time equal to the change time as none: without statx libuv gives the ctime, which moves with every entry made', () => {
    const before = rootIdOf({ ino: 12n, birthtimeNs: 2000n, ctimeNs: 2000n });
    const after = rootIdOf({ ino: 12n, birthtimeNs: 3000n, ctimeNs: 3000n });
    expect([before, after]).toEqual(['12:0', '12:0']);
    expect(judgeRootDirectory(before, after)).toBe('unknown');
  });
});

describe('the sentences', () => {
  it('say a link or file at the place as what it is, and that it is not followed', () => {
    expect(goneWhileRunningWarning({ ...docs, inTheWay: 'symlink' })).toBe(
      'The local directory for "docs" (/home/u/docs) is now a symbolic link, not a directory: a running zync-client does not follow it. ' +
        "Nothing is pulled into it or sent from it, and R's records of it are kept. Put the directory back; or restart zync-client, which takes the " +
        'directory a link leads to as the root\'s new place (a moved one keeps R\'s edits).',
    );
    expect(goneWhileRunningWarning({ ...docs, inTheWay: 'other' })).toMatch(/^The local directory for "docs" \(\/home\/u\/docs\) is now something else, not a directory/);
    expect(strangerRootWarning(docs)).toMatch(/^The local directory for "docs" \(\/home\/u\/docs\) is not the directory R synced there .*: R's records for "docs" are dropped and E's files are fetched into it by a full resync/);
  });

  it('name the root and its path, say it is not made again, and the ways forward', () => {
    expect(goneWhileRunningWarning(docs)).toBe(
      'The local directory for "docs" (/home/u/docs) is gone — moved or deleted? A running zync-client does not make it again: ' +
        "nothing is pulled into it or sent from it, and R's records of it are kept. Put it back; or, if it moved, restart zync-client " +
        "with --dirs docs:NEWPLACE (R's edits there stay R's); or restart zync-client as it is to make it again empty and fetch E's files again.",
    );
    expect(backAgainNote(docs)).toBe('The local directory for "docs" (/home/u/docs) is back; R catches up with it by a full resync.');
    expect(otherTreeBackWarning(docs, { recordedFiles: 6 })).toBe(
      'The local directory for "docs" (/home/u/docs) is there again, but fewer than half of the 6 file(s) R received are in it as R wrote them: it is taken for another directory. ' +
        "R's records for \"docs\" are dropped and E's files are fetched into it; a file there that differs from E's is kept as a conflict copy.",
    );
    const err = goneWhileRunningError([docs, code]);
    expect(err.code).toBe('ROOT_GONE');
    expect(err.message).toMatch(/^The local directory for "docs" \(\/home\/u\/docs\) went away during the run \(and 1 more root\(s\) likewise\); nothing was pulled into it — /);
  });
});
