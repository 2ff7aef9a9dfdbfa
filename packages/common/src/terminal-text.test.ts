import { describe, expect, it } from 'vitest';
import { inertLine, inertText } from './terminal-text.js';

/** Anything a terminal would act on (C0 but tab and newline, DEL, C1, bidi controls). */
// eslint-disable-next-line no-control-regex
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('inertText', () => {
  it.each([
    ['plain text stays as it is', 'const x = 1;\tok\n', 'const x = 1;\tok\n'],
    ['non-ASCII text stays as it is', 'grüße — 日本語 🎉', 'grüße — 日本語 🎉'],
    ['an erase-line sequence', 'shown\u001b[2Khidden', 'shown\\x1b[2Khidden'],
    ['a carriage return that would overwrite the line', 'rm -rf ~\rok     ', 'rm -rf ~\\x0dok     '],
    ['a backspace', 'evil\b\b\b\bgood', 'evil\\x08\\x08\\x08\\x08good'],
    ['an OSC 8 hyperlink ended by BEL', '\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007', '\\x1b]8;;https://evil.example\\x07click\\x1b]8;;\\x07'],
    ['an OSC ended by ST (ESC \\)', '\u001b]0;title\u001b\\', '\\x1b]0;title\\x1b\\'],
    ['a C1 CSI (U+009B)', 'a\u009b2Kb', 'a\\x9b2Kb'],
    ['NUL, vertical tab, form feed and DEL', '\u0000\u000b\u000c\u007f', '\\x00\\x0b\\x0c\\x7f'],
    ['a right-to-left override (Trojan Source)', 'if (admin\u202e) {', 'if (admin\\u202e) {'],
    ['an isolate and a mark', '\u2066x\u2069\u200f', '\\u2066x\\u2069\\u200f'],
  ])('%s', (_name, input, expected) => {
    const out = inertText(input);
    expect(out).toBe(expected);
    expect(out).not.toMatch(ACTIVE);
  });

  it('is idempotent (escaping twice changes nothing more)', () => {
    const once = inertText('a\u001b[31mb\rc\u009b');
    expect(inertText(once)).toBe(once);
  });
});

describe('inertLine', () => {
  it.each([
    ['a path with a tab and a newline', 'docs/a\tb\nc.txt', 'docs/a\\x09b\\x0ac.txt'],
    ['a path with ESC, CR and a C1 char', 'docs/\u001b[2K\r\u009bx.txt', 'docs/\\x1b[2K\\x0d\\x9bx.txt'],
    ['an ordinary path', 'docs/sub dir/ä.txt', 'docs/sub dir/ä.txt'],
  ])('%s', (_name, input, expected) => {
    expect(inertLine(input)).toBe(expected);
  });
});
