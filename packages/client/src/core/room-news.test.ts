import { describe, expect, it } from 'vitest';
import { roomNews, type EndedWait } from './room-news.js';
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
