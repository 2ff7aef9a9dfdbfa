import { describe, expect, it } from 'vitest';
import { ZyncError } from '@zync/common';
import { shellWord, withDbInError, withDbInHints } from './command-hints.js';

describe('shellWord', () => {
  it.each([
    ['a plain relative path, as it is', 'Estate/sync.db', 'Estate/sync.db'],
    ['a path with a space, in single quotes', 'E state/sync.db', "'E state/sync.db'"],
    ["a path with a quote, the quote escaped", "E's/sync.db", "'E'\\''s/sync.db'"],
    ['a path with a $, in single quotes', '/srv/$x.db', "'/srv/$x.db'"],
  ])('gives %s', (_why, text, word) => {
    expect(shellWord(text)).toBe(word);
  });
});

describe('withDbInHints', () => {
  it.each([
    [
      'the exit-6 hint of a non-interactive apply',
      "Session S has 1 conflict (first: docs/a); nothing was changed — run zync-apply apply S in a terminal to resolve it, or add --force to take R's versions.",
      "Session S has 1 conflict (first: docs/a); nothing was changed — run zync-apply --db Estate/sync.db apply S in a terminal to resolve it, or add --force to take R's versions.",
    ],
    ['an unknown session', 'There is no staging session nosuch; run zync-apply list --all to see the sessions.', 'There is no staging session nosuch; run zync-apply --db Estate/sync.db list --all to see the sessions.'],
    ['every hint in a text', 'zync-apply show ID ...\nzync-apply discard ID ...', 'zync-apply --db Estate/sync.db show ID ...\nzync-apply --db Estate/sync.db discard ID ...'],
    ['no hint', 'Applied session S: 1 written, 0 deleted.', 'Applied session S: 1 written, 0 deleted.'],
  ])('adds the --db given to %s', (_why, text, expected) => {
    expect(withDbInHints(text, 'Estate/sync.db')).toBe(expected);
  });

  it("gives a database whose name starts with '-' as --db=NAME, which no shell or parser reads as an option", () => {
    expect(withDbInHints('run zync-apply list --all', '-x.db')).toBe('run zync-apply --db=-x.db list --all');
  });

  it('leaves the hints as they are for the default database', () => {
    expect(withDbInHints('run zync-apply list --all', null)).toBe('run zync-apply list --all');
  });

  it('rewords an error, keeping its code', () => {
    const err = withDbInError(new ZyncError('QUIT', 'Quit at the prompt — run zync-apply apply S again to continue.'), 'a b.db');
    expect(err).toEqual(new ZyncError('QUIT', "Quit at the prompt — run zync-apply --db 'a b.db' apply S again to continue."));
    expect((err as ZyncError).code).toBe('QUIT');
  });
});
