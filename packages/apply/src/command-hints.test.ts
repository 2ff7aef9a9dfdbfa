import { describe, expect, it } from 'vitest';
import { shellWord } from '@zync/common';
import { applyCommand, dbInArgs } from './command-hints.js';

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

describe('applyCommand', () => {
  it.each<[string, string | null, string[], string]>([
    ['the default database: no --db', null, ['list', '--all'], 'zync-apply list --all'],
    ['a plain path', 'Estate/sync.db', ['apply', 'S1'], 'zync-apply --db Estate/sync.db apply S1'],
    ['a path with a space, quoted', 'E state/sync.db', ['show', 'ID'], "zync-apply --db 'E state/sync.db' show ID"],
    ["a name that starts with '-', as --db=NAME, which no parser reads as an option", '-x.db', ['discard', 'S1'], 'zync-apply --db=-x.db discard S1'],
    ["a name that starts with '-' and needs quoting", "-E's.db", ['list'], "zync-apply --db='-E'\\''s.db' list"],
  ])('gives %s', (_why, db, words, command) => {
    expect(applyCommand(db, ...words)).toBe(command);
  });
});

describe('dbInArgs', () => {
  it.each<[string, string[], string | null]>([
    ['none given', ['show'], null],
    ['--db X before the command', ['--db', 'a.db', 'show'], 'a.db'],
    ['--db=X after the command', ['show', '--db=a b.db'], 'a b.db'],
    ['--db without its value', ['show', '--db'], null],
    ['the last of two', ['--db', 'a.db', 'show', '--db', 'b.db'], 'b.db'],
    ['nothing after --', ['show', '--', '--db', 'a.db'], null],
  ])('finds %s', (_why, args, db) => {
    expect(dbInArgs(args)).toBe(db);
  });
});
