import { describe, expect, it } from 'vitest';
import { unservedDirsError } from './served-dirs.js';

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
