import { describe, expect, it } from 'vitest';
import { expandHome, homePathOption } from './home-path.js';

describe('expandHome', () => {
  it.each([
    ['~ alone as the home directory', '~', '/home/me'],
    ['a path below ~', '~/c.db', '/home/me/c.db'],
    ['a relative path, as given', 'state/c.db', 'state/c.db'],
    ['an absolute path, as given', '/srv/c.db', '/srv/c.db'],
    ['a ~ that is not at the start, as given', 'a/~/c.db', 'a/~/c.db'],
  ])('expands %s', (_why, path, expected) => {
    expect(expandHome(path, '--db', '/home/me')).toBe(expected);
  });

  it("refuses another user's home (~name), naming the input", () => {
    expect(() => expandHome('~bob/c.db', '--db "~bob/c.db"', '/home/me')).toThrow('--db "~bob/c.db" starts with "~bob", which zync does not expand; give the full path.');
  });
});

describe('homePathOption', () => {
  it('expands a leading ~ of an option as the shell would have', () => {
    expect(homePathOption('token-file')('~')).not.toContain('~');
  });
  it('names the option when refusing ~name', () => {
    expect(() => homePathOption('token-file')('~bob/t')).toThrow(/^--token-file "~bob\/t" starts with "~bob"/);
  });
  it('leaves an option given twice for refuseRepeatedOptions to refuse', () => {
    const twice = ['~/a', '~/b'] as unknown as string;
    expect(homePathOption('db')(twice)).toBe(twice);
  });
});
