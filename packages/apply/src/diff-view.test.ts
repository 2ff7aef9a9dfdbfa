import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { formatBytes, isBinary, renderDiff, type DiffSide } from './diff-view.js';

const plain = new Chalk({ level: 0 });
const coloured = new Chalk({ level: 1 });
const side = (label: string, text: string | Buffer | null, over: Partial<DiffSide> = {}): DiffSide => {
  const content = text === null ? null : Buffer.isBuffer(text) ? text : Buffer.from(text);
  return { label, present: true, checksum: 'f'.repeat(64), size: content?.length ?? 0, content, ...over };
};

describe('renderDiff', () => {
  it('shows a unified diff of E against upstream', () => {
    const out = renderDiff(side('E: docs/a.txt', 'one\ntwo\nthree\n'), side('upstream: docs/a.txt', 'one\nTWO\nthree\n'), plain);
    expect(out).toContain('--- E: docs/a.txt');
    expect(out).toContain('+++ upstream: docs/a.txt');
    expect(out).toContain('-two');
    expect(out).toContain('+TWO');
    expect(out).not.toContain('====');
  });

  it('colours added and removed lines on a terminal', () => {
    const out = renderDiff(side('E', 'a\n'), side('up', 'b\n'), coloured);
    expect(out).toContain('\u001b[32m+b');
    expect(out).toContain('\u001b[31m-a');
  });

  it('shows a deletion against an absent side', () => {
    const out = renderDiff(side('E', 'kept\n'), side('up', null, { present: false, checksum: null }), plain);
    expect(out).toContain('+++ /dev/null');
    expect(out).toContain('-kept');
  });

  // R's file tries to make the reviewer see `x = safe()` while approving `x = evil()`.
  const hostile = [
    'x = evil()\u001b[2K\rx = safe()', // erase the line, rewrite it
    'y = 1\r\u001b[1Ay = 2', // cursor up over the line above
    '\u001b]8;;https://evil.example/\u0007docs\u001b]8;;\u0007', // OSC 8 hyperlink, BEL-terminated
    'ding\u0007 back\b\b\b\bspace', // BEL, backspaces
    'c1\u009b2K csi', // C1 CSI
  ].join('\n');
  /** Left once chalk's own colour sequences are taken out: nothing a terminal acts on may remain. */
  const withoutSgr = (out: string) => out.replace(/\u001b\[\d+(;\d+)*m/g, '');
  // eslint-disable-next-line no-control-regex
  const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

  it.each([
    ['plain', plain],
    ['coloured', coloured],
  ])('shows control characters from R as escapes, never raw (%s)', (_name, chalk) => {
    const out = renderDiff(side('E: docs/a.txt', 'x = old()\n'), side('upstream: docs/a.txt', `${hostile}\n`), chalk);
    expect(withoutSgr(out)).not.toMatch(ACTIVE);
    const shown = withoutSgr(out);
    expect(shown).toContain('+x = evil()\\x1b[2K\\x0dx = safe()');
    expect(shown).toContain('+y = 1\\x0d\\x1b[1Ay = 2');
    expect(shown).toContain('+\\x1b]8;;https://evil.example/\\x07docs\\x1b]8;;\\x07');
    expect(shown).toContain('+ding\\x07 back\\x08\\x08\\x08\\x08space');
    expect(shown).toContain('+c1\\x9b2K csi');
    expect(shown).toContain('-x = old()');
  });

  it('still colours the lines it escaped', () => {
    const out = renderDiff(side('E', 'a\n'), side('up', 'b\u001b[2K\n'), coloured);
    expect(out).toContain('\u001b[32m+b\\x1b[2K\u001b[39m');
    expect(out).toContain('\u001b[31m-a');
  });

  it('keeps tabs, and escapes a CR that ends a line so a change of line endings shows', () => {
    const out = renderDiff(side('E', 'a\tb\n'), side('up', 'a\tb\r\n'), plain);
    expect(out).toContain('-a\tb\n+a\tb\\x0d');
  });

  it('escapes control characters in the labels (R’s paths)', () => {
    const out = renderDiff(side('E: docs/\u009b2Ka\u202e.txt', 'a\n'), side('upstream: docs/\u001b[2Ka\tb.txt', 'b\n'), plain);
    expect(out).toContain('--- E: docs/\\x9b2Ka\\u202e.txt');
    expect(out).toContain('+++ upstream: docs/\\x1b[2Ka\\x09b.txt');
    expect(out).not.toMatch(ACTIVE);
  });

  it('text with control characters but valid UTF-8 and no NUL is diffed (escaped), not called binary', () => {
    expect(isBinary(Buffer.from(hostile))).toBe(false);
    expect(renderDiff(side('E', 'a\n'), side('up', `${hostile}\n`), plain)).not.toMatch(/^Binary file/);
  });

  it.each([
    ['a NUL byte', Buffer.from([104, 0, 105])],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x41])],
  ])('describes binary content (%s) with sizes and hashes instead of diffing', (_name, bytes) => {
    const out = renderDiff(side('E', bytes), side('up', 'text\n'), plain);
    expect(out).toMatch(/^Binary file; not shown as a diff\./);
    expect(out).toContain("E's current:  3 B, sha256 ffffffffffffffff…");
    expect(out).toContain('upstream (R): 5 B');
  });

  it('describes content too large to load', () => {
    const out = renderDiff(side('E', null, { size: 10 * 1024 * 1024 }), side('up', 'x'), plain);
    expect(out).toMatch(/^Too large to diff/);
    expect(out).toContain('10 MiB');
  });
});

describe('isBinary / formatBytes', () => {
  it.each([
    ['plain text', Buffer.from('hello\n'), false],
    ['UTF-8 text', Buffer.from('grüße\n'), false],
    ['NUL', Buffer.from([0]), true],
  ])('%s', (_name, buf, binary) => expect(isBinary(buf)).toBe(binary));
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [300 * 1024 * 1024, '300 MiB'],
  ])('%d bytes -> %s', (n, text) => expect(formatBytes(n)).toBe(text));
});
