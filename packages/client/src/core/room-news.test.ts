import { describe, expect, it } from 'vitest';
import { roomHandOffRefusal, roomNews, type EndedWait } from './room-news.js';
import type { EntryKey } from './types.js';

const file = (path: string): EntryKey => ({ base_dir: 'docs', path });
const ended = (path: string, removed: boolean): EndedWait => ({ base_dir: 'docs', path, removed });
const key = (path: string) => `docs\0${path}`;

describe('roomNews', () => {
  it.each<[string, string[], EntryKey[], EndedWait[], boolean, { newly: string[]; removed: string[]; roomAgain: boolean; noneWaits: boolean; said: string[] }]>([
    ['the first file that does not fit is named', [], [file('huge.bin')], [], false, { newly: ['huge.bin'], removed: [], roomAgain: false, noneWaits: false, said: ['huge.bin'] }],
    ['met again: nothing new to say', ['huge.bin'], [file('huge.bin')], [], false, { newly: [], removed: [], roomAgain: false, noneWaits: false, said: ['huge.bin'] }],
    ['a second file that does not fit is named too (before: never at info or warn)', ['huge.bin'], [file('huge.bin'), file('second.bin')], [], false, { newly: ['second.bin'], removed: [], roomAgain: false, noneWaits: false, said: ['huge.bin', 'second.bin'] }],
    ['the file arrived, nothing waits: room again', ['huge.bin'], [], [ended('huge.bin', false)], true, { newly: [], removed: [], roomAgain: true, noneWaits: true, said: [] }],
    ['E removed the file: said so, and not "room again" (before: "room again" on a disk as full)', ['huge.bin'], [], [ended('huge.bin', true)], true, { newly: [], removed: ['huge.bin'], roomAgain: false, noneWaits: true, said: [] }],
    ['one removed, the other arrived: both true', ['a.bin', 'b.bin'], [], [ended('a.bin', true), ended('b.bin', false)], true, { newly: [], removed: ['a.bin'], roomAgain: true, noneWaits: true, said: [] }],
    ['one removed, the other still waits', ['a.bin', 'b.bin'], [file('b.bin')], [ended('a.bin', true)], false, { newly: [], removed: ['a.bin'], roomAgain: false, noneWaits: false, said: ['b.bin'] }],
    ['a pass stopped by another failure says nothing of the files it did not meet', ['huge.bin'], [], [], false, { newly: [], removed: [], roomAgain: false, noneWaits: false, said: ['huge.bin'] }],
    ['removed, then made again too big: named again', ['huge.bin'], [file('huge.bin')], [ended('huge.bin', true)], false, { newly: ['huge.bin'], removed: ['huge.bin'], roomAgain: false, noneWaits: false, said: ['huge.bin'] }],
  ])('%s', (_why, said, waiting, ends, clean, expected) => {
    const news = roomNews(new Set(said.map(key)), waiting, ends, clean);
    expect({
      newly: news.newly.map((f) => f.path),
      removed: news.removed.map((f) => f.path),
      roomAgain: news.roomAgain,
      noneWaits: news.noneWaits,
      said: [...news.said].map((k) => k.split('\0')[1]),
    }).toEqual(expected);
  });
});

describe('roomHandOffRefusal', () => {
  const refusal = "--dirs docs: no pull has brought it up to date from E on this state yet, so R cannot tell E's files there from R's own; the zync-client running on this state (pid 7) pulls it at its next pull: run --update-upstream again after that pull. Nothing was sent.";
  it.each<[string, EntryKey[], string | null]>([
    ['nothing waits: the refusal stands as it is', [], null],
    ['a file of another root waits: not this one\'s trouble', [{ base_dir: 'other', path: 'x.bin' }], null],
    [
      'a file waits: the pull cannot end until it fits (before: "run again after that pull", which cannot help)',
      [file('huge.bin')],
      "--dirs docs: no pull has brought it up to date from E on this state yet, and the pull cannot end until R's disk has room for docs/huge.bin: free some space there (the running zync-client fetches it by itself), then run --update-upstream again. Nothing was sent.",
    ],
    [
      'several wait: the first named, the others counted',
      [file('a.bin'), file('b.bin')],
      "--dirs docs: no pull has brought it up to date from E on this state yet, and the pull cannot end until R's disk has room for docs/a.bin and 1 other file(s): free some space there (the running zync-client fetches them by itself), then run --update-upstream again. Nothing was sent.",
    ],
  ])('%s', (_why, waiting, expected) => {
    expect(roomHandOffRefusal(refusal, ['docs'], waiting)).toBe(expected);
  });
});
