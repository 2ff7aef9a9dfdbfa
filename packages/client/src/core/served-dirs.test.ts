import { describe, expect, it } from 'vitest';
import { availableOnEAgainNote, unavailableOnENews, unavailableOnEWarning, unservedDirsError } from './served-dirs.js';

describe('unservedDirsError', () => {
  it.each<[string, string[], string[], string | null]>([
    ['every name served', ['docs', 'code'], ['docs'], null],
    ['no names asked for', ['docs'], [], null],
    ['one name missing', ['docs'], ['nope'], 'The daemon does not serve "nope" (it serves "docs").'],
    ['several missing', ['docs', 'code'], ['a', 'docs', 'b'], 'The daemon does not serve "a", "b" (it serves "docs", "code").'],
    ['a daemon that serves nothing', [], ['docs'], 'The daemon does not serve "docs" (it serves no directories).'],
  ])('%s', (_why, served, wanted, message) => {
    const err = unservedDirsError(served, wanted);
    if (message === null) expect(err).toBeNull();
    else expect(err).toMatchObject({ code: 'BAD_ARGUMENT', message });
  });
});

describe('unavailableOnENews', () => {
  const gone = unavailableOnEWarning;
  const back = availableOnEAgainNote;
  it.each<[string, string[], string[], { warnings: string[]; notes: string[] }]>([
    ['nothing unavailable, before or now: nothing said', [], [], { warnings: [], notes: [] }],
    ["a run's first pass finds a root unavailable: warned", [], ['docs'], { warnings: [gone('docs')], notes: [] }],
    ['still unavailable at the next pass: nothing said again', ['docs'], ['docs'], { warnings: [], notes: [] }],
    ['available again: one note', ['docs'], [], { warnings: [], notes: [back('docs')] }],
    ['gone again after coming back: warned again (as from none)', [], ['docs'], { warnings: [gone('docs')], notes: [] }],
    ['one more root goes while one stays: only the new one is warned', ['docs'], ['docs', 'code'], { warnings: [gone('code')], notes: [] }],
    ['one comes back as another goes', ['docs'], ['code'], { warnings: [gone('code')], notes: [back('docs')] }],
  ])('%s', (_why, before, now, expected) => {
    expect(unavailableOnENews(before, now)).toEqual(expected);
  });
});
